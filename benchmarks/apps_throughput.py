"""What does the docker sandbox cost the `apps` verifier, against unsandboxed local subprocesses?

Three measurements, each on every backend in one run (`process`: local subprocesses, no isolation;
`docker`: the hardened container backend, a fresh container per submission (the default);
`docker+reuse`: the same with `reuse=REUSE`, one container serving up to REUSE submissions, wiped and
verified clean between them; `docker+runsc`, only when named in --backends: fresh containers under
gVisor, a user-space kernel between the program and the host's; left out, with the reason, where
dockerd has no runsc):

1. Throughput: the HumanEval + MBPP reference solutions (first 400 by default) graded with
   `rest_verify.grade` (2 workers), `--runs` times with the backends alternating, so that a change in
   the machine's load hits all: each run's wall time, each run's ratio to process and their median,
   held against the target (TARGET); per-problem sandbox time and per-test time inside the sandbox
   (p50/p99) over all runs.
2. Cost per language, from one verifier in this process: a 1-test and a 41-test echo program in each
   language graded repeatedly. per test = (median(41) - median(1)) / 40; compile = median of the
   harness's compile time; start = median(1) - compile - per test (sandbox, harness and report).
3. The machine's load average before and after, since a shared machine skews every figure, and docker's
   the most: under cgroup v1 all containers share the one `docker` cgroup, which weighs as much as a
   single process of the host, so other work squeezes the containers far more than the process backend.

    python benchmarks/apps_throughput.py [--data ../shared/data] [--limit 400] [--runs 3] [--repeats 15]
        [--backends process docker docker+reuse docker+runsc] [--reuse 20] [--languages python cpp java ...]
        [--runs 0: the language costs alone, no data needed]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from rest_em_apps import AppsVerifier
from rest_verify import Problem, grade

DATASETS = ("code/humaneval_apps.jsonl", "code/mbpp_apps.jsonl")
REUSE = 20  # submissions per container in the docker+reuse mode (--reuse)
TARGET = 1.3  # docker wall time at most this many times the process backend's (issue 15)
BACKENDS = {"process": ("process", {}), "docker": ("docker", {}), "docker+reuse": ("docker", {"reuse": REUSE}),
            "docker+runsc": ("docker", {"runtime": "runsc"})}  # name: (sandbox, its options)
DEFAULT_BACKENDS = ["process", "docker", "docker+reuse"]  # gVisor's price is a question of its own
ECHO = {
    "python": "print(input())\n",
    "cpp": "```cpp\n#include <iostream>\n#include <string>\nint main() {\n    std::string line;\n"
           "    std::getline(std::cin, line);\n    std::cout << line << '\\n';\n}\n```",
    "java": "```java\nimport java.io.*;\npublic class Main {\n    public static void main(String[] a) throws IOException {\n"
            "        System.out.println(new BufferedReader(new InputStreamReader(System.in)).readLine());\n    }\n}\n```",
    "javascript": "```js\nprocess.stdout.write(require('fs').readFileSync(0, 'utf8'));\n```",
    "go": "```go\npackage main\n\nimport (\n\t\"io\"\n\t\"os\"\n)\n\nfunc main() {\n\tio.Copy(os.Stdout, os.Stdin)\n}\n```",
    "rust": "```rust\nfn main() {\n    let mut line = String::new();\n    std::io::stdin().read_line(&mut line).unwrap();\n"
            "    print!(\"{}\", line);\n}\n```",
}


def load(data: Path, limit: int | None) -> tuple[list[Problem], list[str]]:
    problems, solutions = [], []
    for name in DATASETS:
        with open(data / name, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                problems.append(Problem(id=row["problem_id"], reference=row["input_output"], domain="code"))
                solutions.append(json.loads(row["solutions"])[0])
    return problems[:limit], solutions[:limit]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def verifier_for(backend: str) -> AppsVerifier:
    sandbox, options = BACKENDS[backend]
    return AppsVerifier(sandbox=sandbox, sandbox_options=options)


def available(backends: list[str]) -> list[str]:
    """The backends this machine can run; a line for each one left out."""
    from sandboxes.docker import DockerSandbox

    usable = []
    for backend in backends:
        sandbox, options = BACKENDS[backend]
        try:
            if sandbox == "docker":
                DockerSandbox.check_options(**options)
        except Exception as exc:
            print(f"   {backend} left out: {exc}")
            continue
        usable.append(backend)
    return usable


def throughput(backend: str, problems: list[Problem], solutions: list[str], workers: int) -> dict:
    verifier = verifier_for(backend)
    start = time.monotonic()
    verdicts = grade(problems, solutions, verifier, workers=workers, timeout=60.0, progress=False)
    wall = time.monotonic() - start
    per_problem = [v.info["sandbox_elapsed"] for v in verdicts if "sandbox_elapsed" in v.info]
    per_test = [t["elapsed"] for v in verdicts for t in v.info.get("tests", []) if t.get("elapsed") is not None]
    return {"backend": backend, "wall": wall, "correct": sum(v.correct for v in verdicts), "n": len(verdicts),
            "per_problem": per_problem, "per_test": per_test}


def language_cost(backend: str, language: str, repeats: int, many: int = 41) -> dict:
    verifier = verifier_for(backend)

    def problem(count: int) -> Problem:
        return Problem(id=f"echo-{count}", reference={"inputs": [f"{i}\n" for i in range(count)],
                                                      "outputs": [f"{i}\n" for i in range(count)]},
                       meta={"language": language})

    timings: dict[int, list[float]] = {1: [], many: []}
    compiles: list[float] = []
    try:
        verifier.verify(problem(1), ECHO[language])  # start the sandbox (and its warm pool) before timing
        for _ in range(repeats):
            for count in timings:
                start = time.monotonic()
                verdict = verifier.verify(problem(count), ECHO[language])
                timings[count].append(time.monotonic() - start)
                assert verdict.correct, verdict.detail
                compiles.append(verdict.info.get("compile_elapsed") or 0.0)
    finally:
        verifier.close()
    one, lots = statistics.median(timings[1]), statistics.median(timings[many])
    per_test = (lots - one) / (many - 1)
    compile_seconds = statistics.median(compiles)
    return {"backend": backend, "language": language, "compile": compile_seconds, "per_test": per_test,
            "start": one - compile_seconds - per_test}


def report_throughput(args: argparse.Namespace, backends: list[str]) -> None:
    """Part 1: every backend grading the reference solutions, `args.runs` times."""
    problems, solutions = load(args.data, args.limit or None)
    print(f"1. {len(problems)} reference solutions, {args.workers} workers, {args.runs} runs; "
          f"docker+reuse: reuse={args.reuse}")
    runs: dict[str, list[dict]] = {backend: [] for backend in backends}
    for run in range(1, args.runs + 1):
        for backend in backends:
            runs[backend].append(throughput(backend, problems, solutions, args.workers))
        line = "  ".join(f"{backend} {r[-1]['wall']:6.1f}s ({r[-1]['correct']}/{r[-1]['n']} correct, "
                         f"{r[-1]['n'] / r[-1]['wall']:.1f} problems/s)" for backend, r in runs.items())
        print(f"   run {run}: {line}", flush=True)
    if "process" in runs:
        for backend in [name for name in runs if name != "process"]:
            ratios = [b["wall"] / p["wall"] for p, b in zip(runs["process"], runs[backend])]
            median = statistics.median(ratios)
            verdict = "meets" if median <= TARGET else "misses"
            print(f"   {backend}/process wall ratio: {' / '.join(f'{r:.2f}x' for r in ratios)}, median {median:.2f}x "
                  f"({verdict} the {TARGET}x target)")
    if {"docker", "docker+runsc"} <= runs.keys():
        ratios = [g["wall"] / d["wall"] for d, g in zip(runs["docker"], runs["docker+runsc"])]
        print(f"   median docker+runsc/docker wall ratio (the price of gVisor): {statistics.median(ratios):.2f}x")
    print(f"   {'backend':12s} {'problems/s':>10s} {'problem p50':>12s} {'problem p99':>12s} {'test p50':>9s} "
          f"{'test p99':>9s}")
    for backend, results in runs.items():
        per_problem = [x for r in results for x in r["per_problem"]]
        per_test = [x for r in results for x in r["per_test"]]
        rate = statistics.median(r["n"] / r["wall"] for r in results)
        print(f"   {backend:12s} {rate:10.1f} {percentile(per_problem, 0.5) * 1000:10.1f}ms "
              f"{percentile(per_problem, 0.99) * 1000:10.1f}ms {percentile(per_test, 0.5) * 1000:7.1f}ms "
              f"{percentile(per_test, 0.99) * 1000:7.1f}ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=400, help="the first N problems (0: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="throughput runs per backend")
    parser.add_argument("--repeats", type=int, default=15, help="gradings per point of the language costs")
    parser.add_argument("--backends", nargs="+", choices=list(BACKENDS), default=DEFAULT_BACKENDS)
    parser.add_argument("--reuse", type=int, default=REUSE, help="submissions per container in docker+reuse")
    parser.add_argument("--languages", nargs="+", choices=list(ECHO), default=list(ECHO))
    args = parser.parse_args(argv)
    BACKENDS["docker+reuse"][1]["reuse"] = args.reuse

    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    backends = available(args.backends)
    if args.runs:
        report_throughput(args, backends)
    print(f"2. cost per language (median of {args.repeats} gradings of an echo program, 1 and 41 tests)")
    print(f"   {'backend':12s} {'language':10s} {'compile':>9s} {'start':>9s} {'per test':>9s}")
    for backend in backends:
        for language in args.languages:
            cost = language_cost(backend, language, args.repeats)
            print(f"   {backend:12s} {language:10s} {cost['compile'] * 1000:7.0f}ms {cost['start'] * 1000:7.0f}ms "
                  f"{cost['per_test'] * 1000:7.1f}ms", flush=True)
    print(f"3. load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if max(os.getloadavg()) > (os.cpu_count() or 1):
        print("   (more runnable work than CPUs: the containers got less than a fair share, see the docstring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

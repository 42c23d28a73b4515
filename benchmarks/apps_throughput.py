"""What does the docker sandbox cost the `apps` verifier, against unsandboxed local subprocesses?

Two measurements, each on both backends in one run (`process`: local subprocesses, no isolation;
`docker`: the hardened container backend):

1. Throughput: the HumanEval + MBPP reference solutions graded with `rest_verify.grade` (2 workers):
   wall time, problems per second, per-problem sandbox time (p50/p99), per-test time inside the
   sandbox as the harness measures it (fork to exit, p50/p99), and the docker/process ratio.
2. Marginal cost of one test of a trivial program, from one verifier in this process: a 1-test and a
   41-test `print(input())` problem graded repeatedly; (median(41) - median(1)) / 40.

    python benchmarks/apps_throughput.py [--data ../shared/data] [--limit N] [--repeats 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from rest_em_apps import AppsVerifier
from rest_verify import Problem, grade

DATASETS = ("code/humaneval_apps.jsonl", "code/mbpp_apps.jsonl")
BACKENDS = ("process", "docker")


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


def throughput(backend: str, problems: list[Problem], solutions: list[str], workers: int) -> dict:
    verifier = AppsVerifier(sandbox=backend)
    start = time.monotonic()
    verdicts = grade(problems, solutions, verifier, workers=workers, timeout=60.0, progress=False)
    wall = time.monotonic() - start
    per_problem = [v.info["sandbox_elapsed"] for v in verdicts if "sandbox_elapsed" in v.info]
    per_test = [t["elapsed"] for v in verdicts for t in v.info.get("tests", []) if t.get("elapsed") is not None]
    return {"backend": backend, "wall": wall, "correct": sum(v.correct for v in verdicts), "n": len(verdicts),
            "per_problem": per_problem, "per_test": per_test}


def marginal_test_cost(backend: str, repeats: int, many: int = 41) -> dict:
    verifier = AppsVerifier(sandbox=backend)
    program = "print(input())\n"

    def problem(count: int) -> Problem:
        return Problem(id=f"trivial-{count}", reference={"inputs": [f"{i}\n" for i in range(count)],
                                                         "outputs": [f"{i}\n" for i in range(count)]})

    timings: dict[int, list[float]] = {1: [], many: []}
    harness_tests: list[float] = []
    try:
        verifier.verify(problem(1), program)  # start the sandbox (and its warm pool) before timing
        for _ in range(repeats):
            for count in timings:
                start = time.monotonic()
                verdict = verifier.verify(problem(count), program)
                timings[count].append(time.monotonic() - start)
                assert verdict.correct, verdict.detail
                harness_tests += [t["elapsed"] for t in verdict.info["tests"]]
    finally:
        verifier.close()
    one, lots = statistics.median(timings[1]), statistics.median(timings[many])
    return {"backend": backend, "one_test": one, "many_tests": lots, "many": many,
            "marginal": (lots - one) / (many - 1), "harness_p50": statistics.median(harness_tests)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N problems")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)

    problems, solutions = load(args.data, args.limit)
    results = {backend: throughput(backend, problems, solutions, args.workers) for backend in BACKENDS}
    print(f"1. {len(problems)} reference solutions, {args.workers} workers")
    print(f"   {'backend':8s} {'correct':>9s} {'wall s':>8s} {'problems/s':>10s} {'problem p50':>12s} "
          f"{'problem p99':>12s} {'test p50':>9s} {'test p99':>9s}")
    for backend, r in results.items():
        print(f"   {backend:8s} {r['correct']:4d}/{r['n']:<4d} {r['wall']:8.1f} {r['n'] / r['wall']:10.2f} "
              f"{percentile(r['per_problem'], 0.5) * 1000:10.1f}ms {percentile(r['per_problem'], 0.99) * 1000:10.1f}ms "
              f"{percentile(r['per_test'], 0.5) * 1000:7.1f}ms {percentile(r['per_test'], 0.99) * 1000:7.1f}ms")
    ratio = results["docker"]["wall"] / results["process"]["wall"]
    p50 = percentile(results["docker"]["per_problem"], 0.5) / percentile(results["process"]["per_problem"], 0.5)
    print(f"   docker/process: wall {ratio:.2f}x, per-problem p50 {p50:.2f}x")

    print(f"2. marginal cost of one trivial test (median of {args.repeats} runs)")
    for backend in BACKENDS:
        m = marginal_test_cost(backend, args.repeats)
        print(f"   {backend:8s} 1 test {m['one_test'] * 1000:7.1f}ms  {m['many']} tests {m['many_tests'] * 1000:7.1f}ms"
              f"  per extra test {m['marginal'] * 1000:5.1f}ms  harness per-test p50 {m['harness_p50'] * 1000:5.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Grading throughput on this machine's pool and on Ray (one local node), at the same worker counts.

For the MATH test set (each worked solution against its own boxed answer, `math`) and for the HumanEval +
MBPP reference programs in the APPS layout (`apps`, Docker sandbox): items/s with the local backend at
workers = 1 and 2, and with the Ray backend on a local one-node cluster at the same pool sizes, all in one
run; then Ray's overhead against local at each worker count, in wall-clock time and in CPU time (this
process and all its descendants: pool workers, and for Ray its own services, node actors and their
pools). On a 2-core machine grading is CPU-bound, so the CPU ratio is the overhead, and unlike the
wall-clock ratio it holds while other work loads the machine. Per-item costs printed here are what
docs/scaling.md's sizing table is computed from.

    python benchmarks/grade_scale.py [--data ../shared/data] [--math-limit 5000] [--apps-limit 400]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local Ray cluster on loopback only

from rest_verify import Problem  # noqa: E402
from rest_verify.backends import open_grader  # noqa: E402


def math_corpus(data: Path, limit: int) -> tuple[list[Problem], list[str]]:
    from rest_em_math.extract import last_boxed

    problems, completions = [], []
    with open(data / "math" / "test.jsonl", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if len(problems) >= limit:
                break
            row = json.loads(line)
            answer = last_boxed(row["solution"])
            if answer is None:
                continue
            problems.append(Problem(id=str(number), prompt=row["problem"], reference=answer, domain="math"))
            completions.append(row["solution"])
    return problems, completions


def apps_corpus(data: Path, limit: int) -> tuple[list[Problem], list[str]]:
    problems, completions = [], []
    for name in ("humaneval_apps.jsonl", "mbpp_apps.jsonl"):
        with open(data / "code" / name, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                problems.append(Problem(id=row["problem_id"], reference=row["input_output"], domain="code"))
                completions.append(json.loads(row["solutions"])[0])
    return problems[:limit], completions[:limit]


def process_tree_cpu_seconds() -> float:
    """User plus system CPU seconds of this process and every live descendant, from /proc."""
    parents, seconds = {}, {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:  # it exited meanwhile
                continue
            parents[int(entry.name)] = int(fields[1])
            seconds[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, grew = {os.getpid()}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree, grew = tree | found, bool(found)
    return sum(seconds.get(pid, 0.0) for pid in tree)


def measure(verifier: str, backend: str, workers: int, problems: list[Problem], completions: list[str]) -> dict:
    """items/s and CPU per item of one graded pass, after the grader (nodes, pools, sandboxes) is up."""
    with open_grader(verifier, backend=backend, workers=workers, progress=False) as grader:
        grader.grade(problems[:4], completions[:4])  # warm: imports and first containers are not grading cost
        cpu, started = process_tree_cpu_seconds(), time.perf_counter()
        verdicts = grader.grade(problems, completions)
        seconds, cpu = time.perf_counter() - started, process_tree_cpu_seconds() - cpu
    return {"verifier": verifier, "backend": backend, "workers": workers, "items": len(verdicts),
            "correct": sum(v.correct for v in verdicts), "seconds": seconds, "items_per_s": len(verdicts) / seconds,
            "ms_per_item_per_worker": 1000 * seconds * workers / len(verdicts),
            "cpu_us_per_item": 1e6 * cpu / len(verdicts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--math-limit", type=int, default=5000)
    parser.add_argument("--apps-limit", type=int, default=400)
    parser.add_argument("--skip-apps", action="store_true", help="no Docker here: measure MATH only")
    args = parser.parse_args()
    corpora = {"math": math_corpus(args.data, args.math_limit)}
    if not args.skip_apps:
        corpora["apps"] = apps_corpus(args.data, args.apps_limit)
    rows = [measure(verifier, backend, workers, *corpus)
            for verifier, corpus in corpora.items() for workers in (1, 2) for backend in ("local", "ray")]
    print(f"{'verifier':<9}{'backend':<8}{'workers':>8}{'items':>7}{'correct':>9}{'items/s':>10}{'ms/item/worker':>16}"
          f"{'CPU us/item':>13}")
    for row in rows:
        print(f"{row['verifier']:<9}{row['backend']:<8}{row['workers']:>8}{row['items']:>7}{row['correct']:>9}"
              f"{row['items_per_s']:>10.1f}{row['ms_per_item_per_worker']:>16.2f}{row['cpu_us_per_item']:>13.0f}")
    by_key = {(r["verifier"], r["backend"], r["workers"]): r for r in rows}
    for verifier in corpora:
        for workers in (1, 2):
            local, ray = by_key[(verifier, "local", workers)], by_key[(verifier, "ray", workers)]
            overhead = local["items_per_s"] / ray["items_per_s"] - 1
            cpu_overhead = ray["cpu_us_per_item"] / local["cpu_us_per_item"] - 1
            print(f"{verifier} at {workers} worker(s): ray overhead {overhead:+.1%} wall-clock "
                  f"(ray {ray['items_per_s']:.1f} vs local {local['items_per_s']:.1f} items/s), "
                  f"{cpu_overhead:+.1%} CPU (ray {ray['cpu_us_per_item']:.0f} vs local "
                  f"{local['cpu_us_per_item']:.0f} us/item)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

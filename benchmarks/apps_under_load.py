"""The `apps` verifier's honesty under load: timeout accuracy, false timeouts, repeatability, memory.

    python benchmarks/apps_under_load.py [--data ../shared/data] [--limit 200] [--sandbox docker]

1. Timeout accuracy: an endless loop under a 1 s per-test limit, graded repeatedly; how far past the
   limit the harness and the host each let it run (target: within +250 ms).
2. False timeouts: the first `--limit` HumanEval/MBPP reference solutions graded with 2x core-count
   workers while CPU burners (one per core, killed at the end) compete; any `timeout` verdict on a
   correct reference is a false TLE (target: none). The same items graded again without the burners
   must give identical statuses (repeatability).
3. Grader memory: the peak resident memory of this process while a submission floods its output
   (target: bounded by the sandbox's output cap, not by what the program prints).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import time
from pathlib import Path

from apps_throughput import load  # the same problems and reference solutions, read the same way
from rest_em_apps import AppsVerifier
from rest_verify import Problem, Status, grade


def burn(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def timeout_accuracy(sandbox: str, runs: int) -> None:
    verifier = AppsVerifier(sandbox=sandbox, time_limit=1.0)
    problem = Problem(id="loop", reference={"inputs": ["1\n"], "outputs": ["1\n"]})
    harness, host = [], []
    for _ in range(runs):
        start = time.monotonic()
        verdict = verifier.verify(problem, "while True:\n    pass\n")
        host.append(time.monotonic() - start)
        assert verdict.status is Status.TIMEOUT, verdict
        harness.append(verdict.info["tests"][0]["elapsed"])
    verifier.close()
    over = [(h - 1.0) * 1000 for h in harness]
    print(f"1. timeout at a 1 s limit, {runs} runs: harness overshoot p50 {statistics.median(over):.1f} ms, "
          f"max {max(over):.1f} ms (target <= 250); whole verification on the host p50 "
          f"{statistics.median(host):.2f} s, max {max(host):.2f} s")


def false_timeouts(sandbox: str, problems: list[Problem], solutions: list[str]) -> None:
    workers = 2 * (os.cpu_count() or 1)
    verifier = AppsVerifier(sandbox=sandbox)
    burners = [multiprocessing.Process(target=burn, args=(900.0,), daemon=True) for _ in range(os.cpu_count() or 1)]
    for burner in burners:
        burner.start()
    try:
        start = time.monotonic()
        loaded = grade(problems, solutions, verifier, workers=workers, cache=False, progress=False)
        took = time.monotonic() - start
    finally:
        for burner in burners:
            burner.kill()
            burner.join()
    quiet = grade(problems, solutions, verifier, workers=workers, cache=False, progress=False)
    timeouts = [p.id for p, v in zip(problems, loaded) if v.status is Status.TIMEOUT]
    changed = [p.id for p, a, b in zip(problems, loaded, quiet) if a.status is not b.status]
    print(f"2. {len(problems)} references, {workers} workers beside {len(burners)} CPU burners: "
          f"{sum(v.correct for v in loaded)} correct in {took:.1f} s; false timeouts {len(timeouts)} "
          f"(target 0){': ' + ', '.join(timeouts) if timeouts else ''}")
    print(f"   graded again without burners: {len(changed)} verdicts changed (target 0)"
          f"{': ' + ', '.join(changed) if changed else ''}")


def flood_memory(sandbox: str) -> None:
    verifier = AppsVerifier(sandbox=sandbox, time_limit=5.0)
    problem = Problem(id="flood", reference={"inputs": ["\n"], "outputs": ["x\n"]})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verdict = verifier.verify(problem, "import sys\nwhile True:\n    sys.stdout.write('y' * 65536)\n")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verifier.close()
    print(f"3. output flood: verdict {verdict.status.value} ({verdict.detail}); this process's peak RSS "
          f"{before:.0f} MB before, {after:.0f} MB after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--sandbox", default="docker")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    timeout_accuracy(args.sandbox, args.runs)
    false_timeouts(args.sandbox, *load(args.data, args.limit))
    flood_memory(args.sandbox)


if __name__ == "__main__":
    main()

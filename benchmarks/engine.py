"""Engine throughput and overhead, measured against a plain in-process loop in the same run.

    python benchmarks/engine.py [--items 2000] [--work-ms 2]

(a) a plain loop calling a CPU-bound verifier of about `--work-ms` per item, (b) `grade(workers=2)` on
the same items, and their ratio (target >= 1.7 on 2 cores); then the engine's per-item overhead on a
no-op verifier (target <= 100 us), and a 200k-item stream's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rest_verify import Grader, Problem  # noqa: E402
from engine_verifiers import Busy, NoOp  # noqa: E402


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--work-ms", type=float, default=2.0)
    parser.add_argument("--stream-items", type=int, default=200_000)
    args = parser.parse_args()

    busy = Busy(args.work_ms / 1000)
    problems = [Problem(id=str(i), reference=str(i)) for i in range(args.items)]
    completions = [str(i) for i in range(args.items)]
    plain = timed(lambda: [busy.verify(p, c) for p, c in zip(problems, completions)])
    with Grader(busy, workers=2, cache=False, progress=False) as grader:
        grader.grade(problems[:4], completions[:4])  # workers started and warm, as in a training run
        pooled = timed(lambda: grader.grade(problems, completions))
    print(f"(a) plain loop, {args.work_ms:g} ms verifier: {args.items / plain:8.0f} items/s")
    print(f"(b) grade(workers=2)              : {args.items / pooled:8.0f} items/s")
    print(f"    speed-up b/a                  : {plain / pooled:8.2f}x   (target >= 1.7)")

    noop = NoOp()
    many = args.items * 10
    noop_problems = [Problem(id=str(i), reference=str(i)) for i in range(many)]
    noop_completions = [str(i) for i in range(many)]
    bare = timed(lambda: [noop.verify(p, c) for p, c in zip(noop_problems, noop_completions)])
    with Grader(noop, workers=2, cache=False, progress=False) as grader:
        grader.grade(noop_problems[:4], noop_completions[:4])
        engine = timed(lambda: grader.grade(noop_problems, noop_completions))
    overhead_us = (engine - bare) / many * 1e6  # wall-clock cost the engine adds to each item
    print(f"no-op verifier, {many} items      : engine {many / engine:8.0f} items/s, "
          f"overhead {overhead_us:.1f} us/item (target <= 100)")

    def stream():
        for i in range(args.stream_items):
            yield Problem(id=str(i), reference=str(i % 1000)), str(i)

    with Grader(noop, workers=2, cache=False, progress=False) as grader:
        took = timed(lambda: sum(1 for _ in grader.grade_iter(stream())))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"stream of {args.stream_items} items        : {args.stream_items / took:8.0f} items/s, "
          f"peak RSS of the caller {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()

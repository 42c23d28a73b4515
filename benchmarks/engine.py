"""Engine throughput, overhead, latency and memory, each against a baseline measured in the same run.

    python benchmarks/engine.py [--items 2000] [--work-ms 2] [--file-lines 1000000]

(a) a plain loop calling a CPU-bound verifier of about `--work-ms` per item, (b) `grade(workers=2)` on
the same items, and their ratio (target >= 1.7 on 2 cores); the engine's per-item overhead on a no-op
verifier (target <= 100 us); a 200k-item stream's peak resident memory; the lag from an item's arrival
to its verdict when a slow producer makes one item every `--gap-ms` (target: the first verdict within
gap + work + 50 ms); and `rest-em grade` on a `--file-lines` JSONL file against a tenth of it (peak
memory of the grading process: constant; items/s: the same) and against a plain in-process loop that
parses, verifies and writes the same lines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rest_verify import Grader, Problem  # noqa: E402
from rest_verify.builtin.exact import ExactVerifier  # noqa: E402
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
    parser.add_argument("--gap-ms", type=float, default=50.0, help="slow producer: one item per gap")
    parser.add_argument("--lag-items", type=int, default=40)
    parser.add_argument("--file-lines", type=int, default=1_000_000)
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

    lags = arrival_to_verdict(busy, args.lag_items, args.gap_ms / 1000)
    bound = (args.gap_ms + args.work_ms + 50) / 1000
    print(f"slow producer, one item per {args.gap_ms:g} ms: first verdict {lags[0] * 1000:.0f} ms after its item "
          f"(target <= {bound * 1000:.0f}), median {statistics.median(lags) * 1000:.0f} ms, "
          f"max {max(lags) * 1000:.0f} ms")

    with tempfile.TemporaryDirectory() as folder:
        small = write_input(Path(folder) / "small.jsonl", args.file_lines // 10)
        large = write_input(Path(folder) / "large.jsonl", args.file_lines)
        plain_seconds = plain_file_loop(large, Path(folder) / "plain.jsonl")
        small_seconds, small_cpu, small_mb = grade_file(small, Path(folder) / "small.out")
        large_seconds, large_cpu, large_mb = grade_file(large, Path(folder) / "large.out")
    print(f"plain loop over {args.file_lines} lines : {args.file_lines / plain_seconds:8.0f} lines/s "
          f"(parse, exact, write; one process)")
    for lines, seconds, cpu, mb in ((args.file_lines // 10, small_seconds, small_cpu, small_mb),
                                    (args.file_lines, large_seconds, large_cpu, large_mb)):
        print(f"rest-em grade, {lines} lines: {lines / seconds:8.0f} lines/s, CPU {cpu / lines * 1e6:.0f} us/line "
              f"(grader and workers), peak RSS of the grader {mb:.0f} MB")
    print(f"    memory x{large_mb / small_mb:.2f} for x10 lines (target ~1 once the 100k-verdict memo is full); "
          f"speed {plain_seconds / large_seconds:.2f}x the plain loop")


def arrival_to_verdict(verifier, count: int, gap: float) -> list[float]:
    """Seconds from each item's arrival to its verdict, with a warm pool and a producer that takes its time."""
    arrivals: list[float] = []

    def producer():
        for i in range(count):
            time.sleep(gap)
            arrivals.append(time.monotonic())
            yield Problem(id=str(i), reference=str(i)), str(i)

    with Grader(verifier, workers=2, cache=False, progress=False) as grader:
        grader.grade([Problem(id="warm", reference="x")] * 4, ["x"] * 4)
        received = [time.monotonic() for _ in grader.grade_iter(producer())]
    return [got - made for got, made in zip(received, arrivals)]


def write_input(path: Path, lines: int) -> Path:
    with path.open("w") as handle:
        for i in range(lines):
            handle.write(json.dumps({"id": str(i), "completion": f"so\n{i % 997}", "reference": str(i % 991)}) + "\n")
    return path


def plain_file_loop(source: Path, output: Path) -> float:
    """The same work as `rest-em grade` in one process, with no pool, no deadline and no reordering."""
    exact = ExactVerifier()
    start = time.perf_counter()
    with source.open() as lines, output.open("w") as sink:
        for line in lines:
            record = json.loads(line)
            verdict = exact.verify(Problem(id=record["id"], reference=record["reference"]), record["completion"])
            sink.write(json.dumps(dict(record, verdict=verdict.to_dict())) + "\n")
    return time.perf_counter() - start


def grade_file(source: Path, output: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (a steadier figure on a busy machine) and peak resident MB of
    `rest-em grade` (two workers) on `source`."""
    command = [sys.executable, "-c", "from rest_verify.cli import main; main()", "grade", str(source),
               "-v", "exact", "-w", "2", "-o", str(output), "--no-progress"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"rest-em grade failed with exit code {process.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


if __name__ == "__main__":
    main()

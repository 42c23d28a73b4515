"""Per-run cost of a trivial program (`python3 -c pass`) through each way of running it.

    python benchmarks/sandbox_latency.py [--runs 30] [--image rest-em-sandbox:latest]

Rows: plain subprocess; ProcessSandbox; a hardened `docker run --rm` per submission (cold: what a
pool-less backend pays); DockerSandbox with a warm pool (the pool refills between runs, as it does when
grading is slower than container start-up); DockerSandbox back to back (no pause: shows the container
start rate that bounds throughput once the pool is drained).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from typing import Callable

from sandboxes.base import ExecRequest
from sandboxes.image import default_image

HARDENED_RUN = ["docker", "run", "--rm", "--network", "none", "--read-only", "--tmpfs",
                "/work:rw,size=64m,uid=65534,gid=65534", "--cap-drop", "ALL", "--security-opt",
                "no-new-privileges", "--user", "65534:65534", "--pids-limit", "65", "--memory", "512m",
                "--memory-swap", "512m", "--cpus", "1", "-w", "/work"]


def measure(run: Callable[[], object], runs: int, pause: float = 0.0) -> list[float]:
    times = []
    for _ in range(runs):
        if pause:
            time.sleep(pause)
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--image", default=None, help="default: the image of this recipe")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between warm-pool runs")
    args = parser.parse_args()
    args.image = args.image or default_image()
    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
    request = ExecRequest({}, ["python3", "-c", "pass"])
    rows: dict[str, list[float]] = {}

    rows["subprocess"] = measure(lambda: subprocess.run([python, "-c", "pass"], check=True), args.runs)

    from sandboxes.process import ProcessSandbox

    local = ProcessSandbox(env={"PATH": "/usr/bin:/bin"})
    rows["ProcessSandbox"] = measure(lambda: local.run(request), args.runs)

    rows["docker run (cold)"] = measure(
        lambda: subprocess.run(HARDENED_RUN + [args.image, "python3", "-c", "pass"], check=True,
                               capture_output=True, timeout=60), max(5, args.runs // 3))

    from sandboxes.docker import DockerSandbox

    sandbox = DockerSandbox(image=args.image, pool_size=2)
    try:
        time.sleep(3.0)  # let the pool fill
        rows["DockerSandbox warm"] = measure(lambda: sandbox.run(request), args.runs, pause=args.pause)
        rows["DockerSandbox back-to-back"] = measure(lambda: sandbox.run(request), args.runs)
    finally:
        sandbox.close()

    base = statistics.median(rows["subprocess"])
    print(f"{'backend':<28}{'p50 ms':>10}{'p99 ms':>10}{'x subprocess':>14}")
    for name, times in rows.items():
        p50 = statistics.median(times)
        print(f"{name:<28}{p50 * 1e3:>10.1f}{percentile(times, 0.99) * 1e3:>10.1f}{p50 / base:>14.1f}")


if __name__ == "__main__":
    main()

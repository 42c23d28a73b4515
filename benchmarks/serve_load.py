"""Load test of `rest-em serve`: throughput, latency and that every request is answered.

    python benchmarks/serve_load.py [--verifier exact] [--requests 2000] [--concurrency 16]
                                    [--duration 60] [--items-per-request 4] [--workers 2]

Starts the server itself on 127.0.0.1 with a free port (a subprocess, as a trainer would see it),
sends at most `--requests` requests from `--concurrency` keep-alive clients for at most `--duration`
seconds, checks every answer's rewards against the expected ones (half the items are correct), stops
the server with SIGTERM, and prints requests/s, items/s, p50/p99 latency and the lost count (sent
but not answered 200 with the right rewards; the target is 0). Needs FastAPI and uvicorn.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

MAX_REQUESTS = 2000
MAX_DURATION = 60.0


def start_server(verifier: str, workers: int, max_concurrency: int) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-c", "from rest_verify.cli.serve import serve; serve()", "--verifier", verifier,
               "--port", "0", "--workers", str(workers), "--max-concurrency", str(max_concurrency)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if " on http://" not in line:
        process.kill()
        process.wait(10)
        raise SystemExit(f"server did not start: {line!r}")
    return process, line.split(" on ")[1].strip()


def wait_healthy(host: str, port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection = http.client.HTTPConnection(host, port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("server never became healthy")
        time.sleep(0.1)


def request_body(index: int, items: int) -> tuple[bytes, list[float]]:
    """Items alternate right and wrong, and every request differs, so nothing is answered from cache."""
    queries, labels, expected = [], [], []
    for item in range(items):
        answer = f"{index}-{item}"
        correct = item % 2 == 0
        queries.append(f"Q{index}.{item}: answer?\nworking...\n{answer if correct else 'nope'}")
        labels.append(answer)
        expected.append(1.0 if correct else 0.0)
    return json.dumps({"query": queries, "prompts": [""] * items, "labels": labels}).encode(), expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verifier", default="exact")
    parser.add_argument("--requests", type=int, default=MAX_REQUESTS)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=MAX_DURATION)
    parser.add_argument("--items-per-request", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    total = min(args.requests, MAX_REQUESTS)
    duration = min(args.duration, MAX_DURATION)

    process, url = start_server(args.verifier, args.workers, max_concurrency=args.concurrency * 2)
    parts = urlsplit(url)
    try:
        wait_healthy(parts.hostname, parts.port)
        counter = itertools.count()
        lock = threading.Lock()
        latencies: list[float] = []
        failures: dict[str, int] = {}
        sent = 0
        stop_at = time.monotonic() + duration

        def client() -> None:
            nonlocal sent
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            while time.monotonic() < stop_at:
                index = next(counter)
                if index >= total:
                    break
                body, expected = request_body(index, args.items_per_request)
                with lock:
                    sent += 1
                started = time.perf_counter()
                try:
                    connection.request("POST", parts.path, body=body, headers={"Content-Type": "application/json"})
                    response = connection.getresponse()
                    payload = response.read()
                    outcome = (f"http {response.status}" if response.status != 200 else
                               None if json.loads(payload)["rewards"] == expected else "wrong rewards")
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    outcome = type(exc).__name__
                    connection.close()
                    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                elapsed = time.perf_counter() - started
                with lock:
                    if outcome is None:
                        latencies.append(elapsed)
                    else:
                        failures[outcome] = failures.get(outcome, 0) + 1
            connection.close()

        threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        process.stdout.close()

    answered = len(latencies)
    ordered = sorted(latencies)

    def percentile_ms(share: float) -> float | None:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 2) if ordered else None

    result = {
        "verifier": args.verifier, "concurrency": args.concurrency, "items_per_request": args.items_per_request,
        "workers": args.workers, "sent": sent, "answered_ok": answered, "lost": sent - answered,
        "failures": failures, "seconds": round(wall, 2), "requests_per_second": round(answered / wall, 1),
        "items_per_second": round(answered * args.items_per_request / wall, 1),
        "latency_ms_p50": percentile_ms(0.50), "latency_ms_p99": percentile_ms(0.99),
    }
    print(json.dumps(result))
    print(f"{answered}/{sent} requests answered correctly in {wall:.1f} s: {result['requests_per_second']} req/s, "
          f"{result['items_per_second']} items/s, p50 {result['latency_ms_p50']} ms, "
          f"p99 {result['latency_ms_p99']} ms, lost {result['lost']}", file=sys.stderr)
    if result["lost"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

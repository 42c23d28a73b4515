import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from integration_verifiers import Sleepy  # noqa: E402
from rest_verify.integrations.server import bind, create_app  # noqa: E402


class RunningServer:
    """A real uvicorn server on 127.0.0.1 with an ephemeral port, in a thread of this process."""

    def __init__(self, verifier, **options):
        self.app = create_app(verifier, **options)
        self.sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(20)
        self.sock.close()
        assert not self.thread.is_alive()


@pytest.fixture(scope="module")
def exact_server():
    with RunningServer("exact", workers=1, timeout=5, max_concurrency=8) as server:
        yield server


def post(server, body, path="/get_reward", timeout=30):
    return httpx.post(server.url + path, json=body, timeout=timeout)


def test_openrlhf_protocol_round_trip(exact_server):
    response = post(exact_server, {"query": ["<u>1+1<a>2", "<u>2+2<a>5", "<u>q<a>"],
                                   "prompts": ["<u>1+1<a>", "<u>2+2<a>", "<u>q<a>"], "labels": ["2", "4", "x"]})
    assert response.status_code == 200
    body = response.json()
    assert body["rewards"] == [1.0, 0.0, 0.0] and body["scores"] == [1.0, 0.0, 0.0]
    assert body["extra_logs"]["correct"] == [1.0, 0.0, 0.0] and body["extra_logs"]["no_answer"] == [0.0, 0.0, 1.0]
    assert body["statuses"] == ["correct", "wrong", "no_answer"]


def test_older_field_names_root_path_and_no_prompts(exact_server):
    response = post(exact_server, {"queries": ["Paris"], "references": ["paris"], "metas": [{}]}, path="/")
    assert response.status_code == 200 and response.json()["rewards"] == [1.0]


@pytest.mark.parametrize("body, needle", [
    ({"query": ["a"]}, "labels"),
    ({"labels": ["a"]}, "query"),
    ({"query": "a", "labels": ["a"]}, "query"),
    ({"query": [1], "labels": ["a"]}, "query"),
    ({"query": ["a", "b"], "labels": ["a"]}, "one entry per item"),
    ({"query": ["a"], "prompts": [], "labels": ["a"]}, "0 prompts"),
])
def test_malformed_bodies_are_422_naming_the_problem(exact_server, body, needle):
    response = post(exact_server, body)
    assert response.status_code == 422 and needle in json.dumps(response.json())


def test_not_json_is_422(exact_server):
    response = httpx.post(exact_server.url + "/get_reward", content=b"{nope", timeout=10,
                          headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_health_reports_verifier_and_counts(exact_server):
    post(exact_server, {"query": ["x"], "labels": ["x"]})
    health = httpx.get(exact_server.url + "/health", timeout=10).json()
    assert health["status"] == "ok" and health["verifier"] == "exact" and health["in_flight"] == 0
    assert health["verdicts"]["correct"] >= 1


def test_concurrent_requests_are_all_answered_correctly(exact_server):
    async def main():
        async with httpx.AsyncClient(base_url=exact_server.url, timeout=30) as client:
            async def one(i):
                response = await client.post("/get_reward", json={"query": [str(i), "x"], "labels": [str(i), "y"]})
                return response.status_code, response.json()["rewards"]
            return await asyncio.gather(*(one(i) for i in range(8)))

    assert asyncio.run(main()) == [(200, [1.0, 0.0])] * 8


def test_excess_concurrency_is_429_and_deadline_is_504():
    with RunningServer(Sleepy(), workers=1, timeout=5, max_concurrency=1, request_timeout=1.0) as server:
        async def main():
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                slow = asyncio.create_task(client.post("/get_reward", json={"query": ["sleep:3"], "labels": ["x"]}))
                await asyncio.sleep(0.3)
                rejected = await client.post("/get_reward", json={"query": ["ok"], "labels": ["ok"]})
                return rejected, await slow

        rejected, slow = asyncio.run(main())
        assert rejected.status_code == 429 and rejected.headers["retry-after"] == "1"
        assert slow.status_code == 504 and "deadline of 1 s" in slow.json()["detail"]
        health = httpx.get(server.url + "/health", timeout=10).json()
        assert health["rejected"] == 1 and health["expired"] == 1 and health["in_flight"] == 0
        deadline = time.monotonic() + 10  # the expired request's item is still graded, then the pool is free
        while not httpx.get(server.url + "/health", timeout=10).json()["verdicts"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert post(server, {"query": ["ok"], "labels": ["ok"]}, timeout=30).json()["rewards"] == [1.0]


def test_per_item_deadline_scores_zero_without_failing_the_request():
    with RunningServer(Sleepy(), workers=1, timeout=0.5) as server:
        body = post(server, {"query": ["ok", "sleep:30", "raise"], "labels": ["ok", "x", "x"]}).json()
    assert body["rewards"] == [1.0, 0.0, 0.0] and body["statuses"] == ["correct", "timeout", "error"]
    assert body["extra_logs"]["timeout"] == [0.0, 1.0, 0.0]


def test_cli_serves_on_a_free_port_keeps_verdicts_in_its_cache_and_stops_cleanly_on_sigterm(tmp_path):
    cache = tmp_path / "verdicts.sqlite"
    command = [sys.executable, "-c", "from rest_verify.cli import main; main()", "serve",
               "--verifier", "exact", "--port", "0", "--workers", "1", "--cache", str(cache)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("rest-em serve: verifier exact on http://127.0.0.1:"), line
        url = line.split(" on ")[1].strip()
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.post(url, json={"query": ["a"], "labels": ["a"]}, timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert response.json()["rewards"] == [1.0]
        workers = children(process.pid)
        assert workers, "the grading worker should be running"
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal, so the exit status says SIGTERM.
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "grading workers outlived the server"
            time.sleep(0.1)
        with contextlib.closing(sqlite3.connect(cache)) as stored:
            assert stored.execute("SELECT COUNT(*) FROM verdicts").fetchone() == (1,)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        process.stdout.close()
        process.stderr.close()


def children(pid):
    found = []  # each thread lists the children it started; workers are started from the batcher thread
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_cli_unknown_verifier_is_a_clear_error():
    result = subprocess.run([sys.executable, "-c", "from rest_verify.cli import main; main()",
                             "serve", "--verifier", "nope", "--port", "0"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ))
    assert result.returncode == 2 and "no verifier named 'nope'" in result.stderr


def test_requests_arriving_while_grading_are_merged_into_one_batch():
    with RunningServer(Sleepy(), workers=1, timeout=5) as server:
        scorer = server.app.state.scorer
        batches = []
        original = scorer.score

        def recording(completions, references, prompts=None):
            batches.append(len(completions))
            return original(completions, references, prompts)

        scorer.score = recording

        async def main():
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                first = asyncio.create_task(client.post("/get_reward", json={"query": ["sleep:2"], "labels": ["x"]}))
                await asyncio.sleep(0.4)  # the batcher is now busy with the first request for 2 s
                rest = [asyncio.create_task(client.post("/get_reward", json={"query": [f"a{i}", "b"],
                                                                              "labels": [f"a{i}", "c"]}))
                        for i in range(5)]
                return [await first, *await asyncio.gather(*rest)]

        responses = asyncio.run(main())
    assert [r.json()["rewards"] for r in responses] == [[0.0]] + [[1.0, 0.0]] * 5
    assert batches == [1, 10]

"""The `openai` generator against scriptable stub servers on 127.0.0.1: what it sends, retries and backoff,
deadlines, requests in flight, several servers, streaming."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from rest_verify.plugins import PINNING_VARIABLE, get_generator_factory
from rest_train.config import ConfigError
from rest_train.generation import Sampling
from rest_train.generation.openai.generator import request_seed
from rest_train.run.resume import sample_resumably
from rest_train.generation.openai.server_pool import RequestRejected, RetryPolicy, ServerError, ServerPool, ServerUnavailable

from .openai_stub import Reply, StubServer

SAMPLING = Sampling(temperature=1.0, top_k=40, max_new_tokens=16)


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def make(*servers: StubServer | str, **options):
    urls = [server if isinstance(server, str) else server.url for server in servers]
    options = {"backoff": 0.01, "progress": False, **options}
    return get_generator_factory("openai")("stub-model", base_urls=urls, **options)


def completion_bodies(stub: StubServer) -> list[dict]:
    return [body for path, body in stub.requests if path.endswith("completions")]


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_n_completions_per_prompt_in_prompt_order_with_the_sampling_knobs(stub):
    sampling = Sampling(temperature=0.7, top_k=5, top_p=0.9, max_new_tokens=7, stop=("\n\n",), seed=1)
    assert make(stub).generate(["a", "b"], 3, sampling) == [["a#0", "a#1", "a#2"], ["b#0", "b#1", "b#2"]]
    [body] = [body for body in completion_bodies(stub) if body["prompt"] == "a"]
    assert body == {"model": "stub-model", "prompt": "a", "n": 3, "max_tokens": 7, "temperature": 0.7,
                    "top_p": 0.9, "top_k": 5, "stop": ["\n\n"], "seed": request_seed(1, "0", "a", 0)}
    assert stub.requests[0] == ("/v1/models", {})  # the served model is checked before anything is sampled


def test_stop_strings_are_cut_even_when_the_server_ignores_them(stub):
    assert make(stub).generate(["xy"], 2, Sampling(stop=("y",))) == [["x", "x"]]


def test_chat_endpoint_sends_messages_with_the_system_prompt(stub):
    texts = make(stub, endpoint="chat", system_prompt="Be brief.").generate(["hi"], 2, SAMPLING)
    assert texts == [["hi#0", "hi#1"]]
    path, body = stub.requests[-1]
    assert path == "/v1/chat/completions"
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


def test_greedy_decoding_asks_for_one_sample_and_repeats_it(stub):
    assert make(stub).generate(["a"], 3, Sampling(temperature=0.0)) == [["a#0"] * 3]
    assert [body["n"] for body in completion_bodies(stub)] == [1]


def test_samples_per_request_splits_the_samples_of_a_prompt(stub):
    texts = make(stub, samples_per_request=2).generate(["a"], 5, SAMPLING)
    assert sorted(body["n"] for body in completion_bodies(stub)) == [1, 2, 2]
    assert texts == [["a#0", "a#1", "a#0", "a#1", "a#0"]]


def test_per_request_seeds_follow_the_prompts_key_and_text(stub):
    generator = make(stub)
    generator.generate(["a", "b"], 1, SAMPLING, keys=["x", "y"])
    generator.generate(["b"], 1, SAMPLING, keys=["y"])
    seeds: dict[str, set[int]] = {}
    for body in completion_bodies(stub):
        seeds.setdefault(body["prompt"], set()).add(body["seed"])
    assert seeds["a"] != seeds["b"] and len(seeds["b"]) == 1
    make(stub, send_seed=False).generate(["c"], 1, SAMPLING)
    assert "seed" not in completion_bodies(stub)[-1]


def test_problems_with_the_same_prompt_get_their_own_seeds(stub):
    make(stub).generate(["a", "a"], 1, SAMPLING)
    assert len({body["seed"] for body in completion_bodies(stub)}) == 2


def test_a_resumed_stage_sends_each_problem_the_seed_it_had(stub, tmp_path):
    keys, prompts = ["x", "y", "z"], ["a", "a", "b"]
    expected = {key: request_seed(SAMPLING.seed, key, prompt, 0) for key, prompt in zip(keys, prompts)}
    journal = tmp_path / "samples.jsonl.journal"
    sample_resumably(make(stub), keys, prompts, 1, SAMPLING, journal)
    assert sorted(body["seed"] for body in completion_bodies(stub)) == sorted(expected.values())
    first_line = journal.read_text().splitlines(keepends=True)[0]
    journal.write_text(first_line)  # killed after its first finished prompt
    resumed = StubServer()
    try:
        sample_resumably(make(resumed), keys, prompts, 1, SAMPLING, journal)
        seeds = sorted(body["seed"] for body in completion_bodies(resumed))
    finally:
        resumed.close()
    kept = json.loads(first_line)["key"]
    assert seeds == sorted(seed for key, seed in expected.items() if key != kept)


def test_rate_limits_and_server_errors_are_retried_with_backoff(stub):
    failures = iter([Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0.3"}),
                     Reply(503, "overloaded")])
    stub.respond = lambda path, body: next(failures, None) if path.endswith("completions") else None
    started = time.monotonic()
    assert make(stub).generate(["a"], 1, SAMPLING) == [["a#0"]]
    assert len(completion_bodies(stub)) == 3
    assert time.monotonic() - started >= 0.3  # Retry-After is a floor under the backoff


def test_a_refused_request_is_not_retried_and_the_error_names_the_cause(stub):
    stub.respond = lambda path, body: Reply(400, {"error": {"message": "This model's maximum context length is "
                                                             "64 tokens"}}) if path.endswith("completions") else None
    with pytest.raises(RequestRejected) as caught:
        make(stub).generate(["a long prompt"], 1, SAMPLING)
    message = str(caught.value)
    assert "prompt 0 ('a long prompt')" in message and stub.url in message and "HTTP 400" in message
    assert "maximum context length is 64 tokens" in message
    assert caught.value.status == 400 and len(completion_bodies(stub)) == 1


def test_a_stalled_server_meets_the_deadline_of_each_attempt(stub):
    stub.respond = lambda path, body: Reply(delay=30) if path.endswith("completions") else None
    generator = make(stub, timeout=0.3, attempts=2)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match=r"after 2 attempt\(s\); last: .*0\.3 s deadline"):
        generator.generate(["a"], 1, SAMPLING)
    assert time.monotonic() - started < 3


def test_a_server_that_refuses_connections_is_named():
    url = closed_port_url()
    with pytest.raises(ServerUnavailable) as caught:
        make(url, attempts=2)
    assert url in str(caught.value) and "ConnectError" in str(caught.value)


def test_a_server_serving_another_model_is_an_error_before_sampling():
    other = StubServer(model="older-checkpoint")
    try:
        with pytest.raises(ServerError, match=r"serves \['older-checkpoint'\], not 'stub-model'"):
            make(other)
    finally:
        other.close()


def test_the_api_key_comes_from_the_named_environment_variable(stub, monkeypatch):
    monkeypatch.setenv("REST_EM_TEST_KEY", "s3cret")
    make(stub, api_key_env="REST_EM_TEST_KEY").generate(["a"], 1, SAMPLING)
    assert set(stub.authorizations) == {"Bearer s3cret"}
    monkeypatch.delenv("REST_EM_TEST_KEY")
    with pytest.raises(ConfigError, match="REST_EM_TEST_KEY"):
        make(stub, api_key_env="REST_EM_TEST_KEY")


def test_option_errors_name_the_option(stub):
    with pytest.raises(ConfigError, match="base_urls"):
        get_generator_factory("openai")("m")
    with pytest.raises(ConfigError, match="ftp://x"):
        make("ftp://x")
    with pytest.raises(ConfigError, match="concurrency"):
        make(stub, concurrency=0)
    with pytest.raises(ConfigError, match="endpoint"):
        make(stub, endpoint="embeddings")


def test_requests_in_flight_are_bounded_per_server(stub):
    stub.delay = 0.3
    make(stub, concurrency=3).generate([f"p{i}" for i in range(12)], 1, SAMPLING)
    assert stub.max_in_flight == 3


def test_requests_spread_over_servers_within_each_bound():
    servers = [StubServer(delay=0.05), StubServer(delay=0.05)]
    try:
        prompts = [f"p{i}" for i in range(16)]
        texts = make(*servers, concurrency=2).generate(prompts, 1, SAMPLING)
        assert texts == [[f"{prompt}#0"] for prompt in prompts]
        counts = [len(completion_bodies(server)) for server in servers]
        assert sum(counts) == 16 and min(counts) >= 4
        assert all(server.max_in_flight <= 2 for server in servers)
    finally:
        for server in servers:
            server.close()


def test_a_server_that_dies_mid_stage_sheds_its_requests_onto_the_others():
    alive, dying = StubServer(delay=0.02), StubServer(delay=0.02)
    try:
        generator = make(alive, dying, concurrency=2, attempts=4)
        dying.close()
        prompts = [f"p{i}" for i in range(10)]
        assert generator.generate(prompts, 1, SAMPLING) == [[f"{prompt}#0"] for prompt in prompts]
        assert sorted(alive.sampled_prompts()) == sorted(prompts)
    finally:
        alive.close()


def test_the_stream_yields_each_prompt_as_soon_as_it_is_finished(stub):
    fast_seen = threading.Event()

    def respond(path, body):
        if body.get("prompt") == "fast":
            fast_seen.set()
        elif body.get("prompt") == "slow":
            fast_seen.wait(10)
            return Reply(delay=0.3)  # answered well after "fast"
        return None

    stub.respond = respond
    order = [index for index, texts in make(stub).generate_stream(["slow", "fast"], 1, SAMPLING)]
    assert order == [1, 0]


def test_a_failure_ends_the_stream_after_the_prompts_finished_before_it(stub):
    stub.respond = lambda path, body: Reply(400, "no") if body.get("prompt") == "bad" else None
    finished = []
    with pytest.raises(RequestRejected, match="prompt 2 \\('bad'\\)"):
        for index, texts in make(stub, concurrency=1).generate_stream(["a", "b", "bad", "c"], 1, SAMPLING):
            finished.append(index)
    assert finished == [0, 1]


async def _instant_answer(pool, server, method, path, body, what):
    """Stands in for an HTTP exchange: the served model, or the prompt as its one completion."""
    await asyncio.sleep(0)
    if method == "GET":
        return {"data": [{"id": "stub-model"}]}
    return {"choices": [{"index": 0, "text": body["prompt"]}]}


@pytest.fixture
def loop_work(monkeypatch):
    """Counts the callbacks event loops schedule (task steps, wake-ups): the event-loop work done."""
    counted = {"callbacks": 0}
    call_soon = asyncio.BaseEventLoop.call_soon

    def counting(loop, *args, **kwargs):
        counted["callbacks"] += 1
        return call_soon(loop, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "call_soon", counting)
    monkeypatch.setattr(ServerPool, "_attempt", _instant_answer)

    def work(run) -> int:
        before = counted["callbacks"]
        run()
        return counted["callbacks"] - before

    return work


def test_a_freed_slot_wakes_one_waiter_not_all(loop_work):
    async def burst(count: int) -> None:  # more requests at once than the pool has slots
        async with ServerPool(["http://127.0.0.1:9/v1"], concurrency=2) as pool:
            await asyncio.gather(*(pool.request("POST", "/completions", {"prompt": "p"}) for _ in range(count)))

    small, large = (loop_work(lambda: asyncio.run(burst(count))) for count in (100, 400))
    assert large < 5 * small  # linear in the requests waiting: 4x, where waking all of them costs 16x


def test_a_stage_makes_requests_only_as_slots_free(loop_work, monkeypatch):
    tasks_alive = []

    async def answer(pool, server, method, path, body, what):
        tasks_alive.append(len(asyncio.all_tasks()))
        return await _instant_answer(pool, server, method, path, body, what)

    monkeypatch.setattr(ServerPool, "_attempt", answer)
    generator = make("http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1", concurrency=2)
    prompts = [f"p{i}" for i in range(800)]
    small = loop_work(lambda: generator.generate(prompts[:200], 1, SAMPLING))
    large = loop_work(lambda: generator.generate(prompts, 1, SAMPLING))
    assert generator.generate(prompts[:3], 1, SAMPLING) == [["p0"], ["p1"], ["p2"]]
    assert max(tasks_alive) <= 2 * 2 + 1  # the pool's slots, and the task that collects their answers
    assert large < 5 * small  # linear in the prompts


def test_backoff_doubles_with_jitter_and_respects_its_cap():
    policy = RetryPolicy(backoff=1.0, max_backoff=5.0)
    for retry, step in enumerate([1.0, 2.0, 4.0, 5.0, 5.0]):
        delays = [policy.delay(retry) for _ in range(50)]
        assert all(step / 2 <= delay <= step for delay in delays)
    assert policy.delay(0, retry_after=3.0) >= 3.0
    assert policy.delay(0, retry_after=60.0) <= 5.0


def test_loading_the_plugins_does_not_import_the_http_client():
    code = "import sys, rest_verify; rest_verify.get_registry(); print('httpx' in sys.modules)"
    env = {**os.environ, PINNING_VARIABLE: ""}  # the built-in plugins alone, which register `openai`
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
                            env=env)
    assert result.stdout.split() == ["False"]

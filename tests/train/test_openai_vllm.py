"""The `openai` backend against a real OpenAI-compatible server: vLLM (CPU build, `.envs/vllm`) serving a
tiny local model on 127.0.0.1, started once for this module."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from rest_verify.plugins import get_generator_factory
from rest_train.run import runner
from rest_train.config import (DataConfig, EvalConfig, GenerationConfig, GradingConfig, ModelConfig, RunConfig,
                               SamplingConfig)
from rest_train.generation import Sampling
from rest_train.run.resume import sample_resumably
from rest_train.generation.openai.server_pool import RequestRejected
from rest_train.models.tiny import save_random_model

pytestmark = pytest.mark.isolated_env("vllm")

VLLM_ENV = Path(__file__).resolve().parents[2] / ".envs" / "vllm"
CONTEXT = 128
CHAT_TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
STARTUP_DEADLINE = 300.0
# Nothing leaves the machine: no usage statistics, no model hub.
OFFLINE = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def served_model(path: Path) -> Path:
    """A tiny random GPT-2 with a character tokenizer and a chat template, as `vllm serve` reads it."""
    from transformers import AutoTokenizer

    save_random_model(path, layers=1, width=128, heads=2, context=CONTEXT)  # vLLM's CPU attention: head size 64
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(path)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> tuple[str, str]:
    """(base URL, served model name) of a vLLM server that lives as long as this module's tests."""
    root = tmp_path_factory.mktemp("vllm")
    model = served_model(root / "model")
    port = free_port()
    # One process fewer (no separate worker) and no compilation: the engine is up in about a minute.
    command = [str(VLLM_ENV / "bin" / "python"), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model),
               "--host", "127.0.0.1", "--port", str(port), "--max-model-len", str(CONTEXT), "--dtype", "float32",
               "--enforce-eager", "--distributed-executor-backend", "uni", "--seed", "0"]
    env = {**os.environ, **OFFLINE, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CACHE_ROOT": str(root / "cache")}
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(url, process, log_path)
        yield url, str(model)
    finally:
        stop(process)


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vLLM exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise RuntimeError(f"vLLM did not serve within {STARTUP_DEADLINE:g} s:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)


def generator(server, **options):
    url, model = server
    return get_generator_factory("openai")(model, base_urls=[url], progress=False, **options)


def test_samples_from_a_real_server_follow_the_sampling_knobs_and_the_seed(server):
    sampling = Sampling(temperature=1.0, top_k=40, max_new_tokens=8, stop=("a",), seed=5)
    prompts, keys = ["Q: 1+2\n", "Q: 3-1\n", "hello "], ["p1", "p2", "p3"]
    first = generator(server, concurrency=2).generate(prompts, 4, sampling, keys=keys)
    assert [len(texts) for texts in first] == [4, 4, 4]
    assert all(len(text) <= 8 and "a" not in text for texts in first for text in texts)  # one token per character
    assert len({text for texts in first for text in texts}) > 4  # really sampled
    again = generator(server, concurrency=3).generate(prompts[::-1], 4, sampling, keys=keys[::-1])[::-1]
    assert again == first  # per-request seeds follow the prompt and its key, not its position or the timing
    assert generator(server).generate(prompts, 4, dataclasses.replace(sampling, seed=6)) != first


def test_the_chat_endpoint_applies_the_models_chat_template(server):
    greedy = Sampling(temperature=0.0, max_new_tokens=12)
    chat = generator(server, endpoint="chat", system_prompt="Be brief.").generate(["hi"], 2, greedy)
    rendered = "system: Be brief.\nuser: hi\nassistant:"
    assert chat == generator(server).generate([rendered], 2, greedy)


def test_a_prompt_longer_than_the_context_is_named_and_finished_prompts_are_kept(server, tmp_path):
    journal = tmp_path / "samples.jsonl.journal"
    prompts = ["Q: 1+1\n", "Q: 2+2\n", "x" * (CONTEXT + 10), "Q: 3+3\n"]
    with pytest.raises(RequestRejected, match=f"prompt 2 .*HTTP 400.*maximum context length is {CONTEXT}"):
        sample_resumably(generator(server, concurrency=1), ["a", "b", "long", "c"], prompts, 2,
                         Sampling(max_new_tokens=4), journal)
    assert [json.loads(line)["key"] for line in journal.read_text().splitlines()] == ["a", "b"]


def test_a_run_samples_through_the_server(server, tmp_path):
    url, model = server
    config = RunConfig(
        output_dir=str(tmp_path / "run"), iterations=0, model=ModelConfig(path=model),
        data=DataConfig(task="arith", train_options={"count": 2}, eval_options={"split": "test", "count": 6}),
        sampling=SamplingConfig(max_new_tokens=16),
        generation=GenerationConfig(backend="openai", options={"base_urls": [url], "concurrency": 4}),
        grading=GradingConfig(verifier="arith", workers=0), eval=EvalConfig(ks=[1, 2]))
    [metrics] = runner.run(config, progress=False)
    samples = [json.loads(line) for line in (tmp_path / "run" / "iter_00" / "eval_samples.jsonl").open()]
    assert len(samples) == 6 * 2 and metrics["problems"] == 6
    assert not (tmp_path / "run" / "iter_00" / "eval_samples.jsonl.journal").exists()

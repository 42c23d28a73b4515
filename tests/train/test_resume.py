"""Resumable sampling: the journal of finished prompts, and a `rest-em run` killed half-way through a
sampling stage against a stub server, then rerun."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from rest_verify.errors import RestEmError
from rest_verify.plugins import get_generator_factory
from rest_train.generation import Sampling
from rest_train.run.resume import journal_path, sample_resumably
from rest_train.generation.openai.server_pool import RequestRejected

from .openai_stub import Reply, StubServer

SAMPLING = Sampling(temperature=1.0, max_new_tokens=8)


class Recording:
    """A streaming generator that answers `<prompt>!i` and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def generate_stream(self, prompts, n, sampling):
        self.asked.extend(prompts)
        for index, prompt in enumerate(prompts):
            yield index, [f"{prompt}!{i}" for i in range(n)]


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def test_a_rerun_asks_only_for_the_prompts_the_journal_lacks(tmp_path, stub):
    keys, prompts = [f"k{i}" for i in range(6)], [f"p{i}" for i in range(6)]
    journal = journal_path(tmp_path / "samples.jsonl")
    stub.respond = lambda path, body: Reply(400, "bad prompt") if body.get("prompt") == "p3" else None
    generator = get_generator_factory("openai")("stub-model", base_urls=[stub.url], concurrency=1, progress=False)
    with pytest.raises(RequestRejected, match="p3"):
        sample_resumably(generator, keys, prompts, 2, SAMPLING, journal)
    assert [json.loads(line)["key"] for line in journal.read_text().splitlines()] == ["k0", "k1", "k2"]

    stub.respond = None
    asked_before = len(stub.sampled_prompts())
    texts = sample_resumably(generator, keys, prompts, 2, SAMPLING, journal)
    assert texts == [[f"{prompt}#0", f"{prompt}#1"] for prompt in prompts]
    assert stub.sampled_prompts()[asked_before:] == ["p3", "p4", "p5"]


def test_torn_and_foreign_journal_lines_are_ignored(tmp_path):
    journal = tmp_path / "samples.jsonl.journal"
    lines = [{"key": "a", "prompt": "A", "completions": ["kept 1", "kept 2"]},
             {"key": "b", "prompt": "another stage's prompt", "completions": ["x", "y"]},
             {"key": "c", "prompt": "C", "completions": ["only one"]},
             {"key": "z", "prompt": "Z", "completions": ["u", "v"]}]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"key": "d", "prom')
    generator = Recording()
    texts = sample_resumably(generator, ["a", "b", "c", "d"], ["A", "B", "C", "D"], 2, SAMPLING, journal)
    assert generator.asked == ["B", "C", "D"]
    assert texts == [["kept 1", "kept 2"], ["B!0", "B!1"], ["C!0", "C!1"], ["D!0", "D!1"]]
    torn, *appended = journal.read_text().splitlines()[len(lines):]
    assert torn.startswith('{"key": "d", "prom') and [json.loads(line)["key"] for line in appended] == ["b", "c", "d"]


def test_a_generator_without_a_stream_is_called_once_for_the_missing_prompts(tmp_path):
    class Batch:
        def generate(self, prompts, n, sampling):
            return [[prompt.lower()] * n for prompt in prompts]

    journal = tmp_path / "samples.jsonl.journal"
    assert sample_resumably(Batch(), ["a", "b"], ["A", "B"], 2, SAMPLING, journal) == [["a", "a"], ["b", "b"]]
    assert not journal.exists()


def test_a_wrong_number_of_completions_is_an_error_naming_the_prompt(tmp_path):
    class Short:
        def generate_stream(self, prompts, n, sampling):
            yield 0, ["only one"]

    with pytest.raises(RestEmError, match="1 completions for prompt 'k0', expected 2"):
        sample_resumably(Short(), ["k0"], ["P"], 2, SAMPLING, tmp_path / "j")


RUN_CONFIG = """
output_dir = "run"
iterations = 0

[model]
path = "stub-model"

[data]
task = "arith"
train_options = {{ split = "train", count = 2, seed = 1 }}
eval_options = {{ split = "test", count = 12, seed = 1 }}

[sampling]
max_new_tokens = 8

[generation]
backend = "openai"
options = {{ base_urls = ["{url}"], concurrency = 1, backoff = 0.01 }}

[grading]
workers = 0

[eval]
ks = [1, 2]
"""


def test_a_run_killed_half_way_through_sampling_continues_from_what_it_wrote(tmp_path):
    # The stub answers five requests, then holds the sixth until the run has been killed.
    release = threading.Event()
    served = iter(range(1_000_000))
    stub = StubServer(model=str(tmp_path / "stub-model"))
    stub.respond = lambda path, body: (release.wait(60) and None) if "prompt" in body and next(served) >= 5 else None
    try:
        (tmp_path / "run.toml").write_text(RUN_CONFIG.format(url=stub.url))
        command = [sys.executable, "-c", "from rest_verify.cli import main; main()", "run", "run.toml"]
        journal = tmp_path / "run" / "iter_00" / "eval_samples.jsonl.journal"
        first = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while not (journal.exists() and len(journal.read_text().splitlines()) == 5):
                assert first.poll() is None, first.stderr.read().decode()
                assert time.monotonic() < deadline, "the run never journaled five prompts"
                time.sleep(0.1)
            time.sleep(0.3)  # the sixth request is held: nothing more can be journaled
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(first.pid, signal.SIGKILL)
            first.wait(30)
            first.stderr.close()
        journaled = [json.loads(line)["prompt"] for line in journal.read_text().splitlines()]
        assert len(journaled) == 5 and not (tmp_path / "run" / "iter_00" / "eval_samples.jsonl").exists()

        stub.respond = None
        release.set()
        asked_before = len(stub.sampled_prompts())
        second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert second.returncode == 0, second.stderr
    finally:
        release.set()
        stub.close()
    samples = [json.loads(line) for line in (tmp_path / "run" / "iter_00" / "eval_samples.jsonl").open()]
    prompts = list(dict.fromkeys(sample["prompt"] for sample in samples))
    assert len(prompts) == 12 and len(samples) == 24
    assert [sample["completion"] for sample in samples] == [f"{p}#{i}" for p in prompts for i in range(2)]
    redone = stub.sampled_prompts()[asked_before:]
    assert sorted(redone) == sorted(set(prompts) - set(journaled))  # the seven missing prompts, once each
    assert not journal.exists()

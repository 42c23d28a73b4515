"""The `vllm` generator backend: bad input without an engine, then a real vLLM engine (CPU build, in
.envs/vllm) serving SmolLM2-135M-Instruct, started once for the module."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from rest_train.generation.vllm import backend as vllm_backend
from rest_train.generation import PromptRefused, Sampling
from rest_train.models.folder import ModelFileError
from rest_train.run.resume import sample_resumably
from rest_train.generation.vllm.backend import GenerationError, VllmGenerator, device_groups

VLLM_ENV = Path(__file__).resolve().parents[2] / ".envs" / "vllm"
SMOLLM2 = VLLM_ENV / "models" / "smollm2-135m-instruct"
# Small enough that a long prompt overflows it; little memory, so tests share the machine politely.
ENGINE_OPTIONS = {"max_model_len": 256, "gpu_memory_utilization": 0.05, "enforce_eager": True}


def test_missing_or_corrupt_model_folders_are_named(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        VllmGenerator(str(tmp_path / "nowhere"))
    with pytest.raises(ModelFileError, match="no config.json"):
        VllmGenerator(str(tmp_path))
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="corrupt"):
        VllmGenerator(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ModelFileError, match="no weights"):
        VllmGenerator(str(tmp_path))


def _fake_checkpoint(folder: Path) -> str:
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (folder / "model.safetensors").write_bytes(b"")
    return str(folder)


def test_an_engine_that_cannot_start_is_an_error_with_its_cause(tmp_path):
    # This interpreter has no vLLM: the child reports the import failure instead of hanging.
    generator = VllmGenerator(_fake_checkpoint(tmp_path / "model"), python=sys.executable, start_timeout=120)
    with pytest.raises(GenerationError, match=r"did not start: .*vllm.*\[model .*model\]"):
        generator.generate(["hello"], 1, Sampling())


def test_a_python_that_does_not_exist_is_named(tmp_path):
    generator = VllmGenerator(_fake_checkpoint(tmp_path / "model"), python=str(tmp_path / "no-python"))
    with pytest.raises(GenerationError, match="no-python"):
        generator.generate(["hello"], 1, Sampling())


@pytest.fixture(scope="module")
def engine():
    generator = VllmGenerator(str(SMOLLM2), python=str(VLLM_ENV / "bin" / "python"), batch_size=32,
                              engine_options=ENGINE_OPTIONS)
    yield generator
    generator.close()


@pytest.fixture(scope="module")
def prompts():
    from transformers import AutoTokenizer

    from rest_train.generation.chat import ChatFormat
    from rest_train.config import ChatConfig

    chat = ChatFormat(AutoTokenizer.from_pretrained(SMOLLM2), ChatConfig(template=True))
    return [chat.render(f"What is {a} + {b}?") for a, b in [(12, 34), (56, 21), (40, 7)]]


SAMPLING = Sampling(temperature=1.0, top_k=40, top_p=0.95, max_new_tokens=8, seed=7)


@pytest.mark.isolated_env("vllm")
def test_stream_gives_every_prompt_once_with_n_samples_and_repeats_under_the_same_seed(engine, prompts):
    streamed = list(engine.generate_stream(prompts, 3, SAMPLING))
    assert sorted(index for index, _ in streamed) == list(range(len(prompts)))
    by_index = dict(streamed)
    assert all(len(texts) == 3 and all(isinstance(t, str) for t in texts) for texts in by_index.values())
    assert any(text.strip() for texts in by_index.values() for text in texts)
    # The engine is reseeded per call: the same call gives the same samples, another seed others.
    assert engine.generate(prompts, 3, SAMPLING) == [by_index[i] for i in range(len(prompts))]
    other = engine.generate(prompts, 3, dataclasses.replace(SAMPLING, seed=8))
    assert other != [by_index[i] for i in range(len(prompts))]


@pytest.mark.isolated_env("vllm")
def test_sampling_knobs_reach_the_engine(engine, prompts):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(SMOLLM2)
    greedy = engine.generate(prompts[:1], 2, Sampling(temperature=0.0, max_new_tokens=12, seed=1))
    assert greedy[0][0] == greedy[0][1]  # greedy: n identical answers
    assert len(tokenizer(greedy[0][0], add_special_tokens=False)["input_ids"]) <= 12
    stop = greedy[0][0][5:8]  # a piece of the greedy answer: the next call must end before it
    cut = engine.generate(prompts[:1], 1, Sampling(temperature=0.0, max_new_tokens=12, stop=(stop,), seed=1))
    assert cut[0][0] == greedy[0][0][:greedy[0][0].find(stop)]


@pytest.mark.isolated_env("vllm")
def test_a_prompt_longer_than_the_context_is_named_and_the_engine_stays_usable(engine, prompts):
    too_long = prompts[0] + " plus one" * 300
    with pytest.raises(GenerationError, match=r"prompt 1 has \d+ tokens, more than the model's context of 256"):
        list(engine.generate_stream([prompts[0], too_long], 1, SAMPLING))
    assert len(engine.generate(prompts[:1], 1, SAMPLING)[0]) == 1


def test_the_loop_finds_the_backend_and_passes_options_through(tmp_path):
    from rest_verify.plugins import get_generator_factory

    generator = get_generator_factory("vllm")(_fake_checkpoint(tmp_path / "model"), device="cpu", batch_size=16,
                                              progress=False, python="/envs/vllm/bin/python",
                                              tensor_parallel_size=2, max_model_len=1024)
    assert isinstance(generator, VllmGenerator)
    assert generator.python == "/envs/vllm/bin/python"
    assert generator.engine_options == {"max_num_seqs": 16, "tensor_parallel_size": 2, "max_model_len": 1024,
                                        "dtype": "float32"}  # a checkpoint naming no dtype, on a CPU


def test_data_parallel_replicas_get_disjoint_gpu_blocks():
    assert device_groups("cuda", 2, 2, {"CUDA_VISIBLE_DEVICES": "4,5,6,7"}, 4) == [["4", "5"], ["6", "7"]]
    assert device_groups("cuda", 2, 2, {}, 4) == [["0", "1"], ["2", "3"]]
    assert device_groups("cpu", 2, 1, {}, 4) == [None, None]
    with pytest.raises(GenerationError, match="need 6 devices"):
        device_groups("cuda", 3, 2, {"CUDA_VISIBLE_DEVICES": "4,5,6,7"}, 4)


def test_auto_places_replicas_on_disjoint_gpus_when_there_are_gpus():
    assert device_groups("auto", 2, 2, {}, 4) == [["0", "1"], ["2", "3"]]
    assert device_groups("auto", 2, 1, {"CUDA_VISIBLE_DEVICES": "5,6"}, 2) == [["5"], ["6"]]
    assert device_groups("auto", 2, 1, {}, 0) == [None, None]  # no GPU: CPU engines


def test_a_device_index_counts_among_the_visible_devices():
    assert device_groups("cuda:1", 1, 1, {"CUDA_VISIBLE_DEVICES": "2,3"}, 2) == [["3"]]
    assert device_groups("cuda:1", 1, 1, {}, 2) == [["1"]]
    with pytest.raises(GenerationError, match=r"'cuda:2' names none of the 2 CUDA devices this process sees \(2, 3\)"):
        device_groups("cuda:2", 1, 1, {"CUDA_VISIBLE_DEVICES": "2,3"}, 2)


@pytest.fixture
def scripted_engines(monkeypatch):
    """Engine children replaced by objects that record their GPUs and answer a request with the replies
    scripted for their rank (`scripts[rank]`)."""
    made: list = []
    scripts: dict[int, list[dict]] = {}

    class ScriptedEngine:
        def __init__(self, python, model, seed, engine_options, gpus, threads):
            self.gpus, self.rank = gpus, len(made)
            made.append(self)

        def wait_ready(self, deadline):
            return {"ready": True, "max_model_len": 256}

        def send(self, message):
            self.request = message

        def listen(self, rank, replies):
            for reply in scripts.get(rank, [{"done": True}]):
                replies.put((rank, reply))

        def request_stop(self):
            pass

        def finish(self, deadline):
            pass

    monkeypatch.setattr(vllm_backend, "_EngineProcess", ScriptedEngine)
    return made, scripts


def test_auto_starts_each_replica_on_its_own_gpus(tmp_path, monkeypatch, scripted_engines):
    import torch

    made, _ = scripted_engines
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    # float32 named: choosing a type for "auto" would ask the (absent) GPU whether it computes bf16
    generator = VllmGenerator(_fake_checkpoint(tmp_path / "model"), data_parallel_size=2, dtype="float32",
                              engine_options={"tensor_parallel_size": 2})
    generator.generate(["a", "b"], 1, Sampling())
    assert [engine.gpus for engine in made] == [["0", "1"], ["2", "3"]]


def test_a_refused_prompt_still_yields_and_journals_what_the_other_replicas_finished(tmp_path, scripted_engines):
    _, scripts = scripted_engines
    # Replica 0 holds prompts 0 and 2 and refuses its second; replica 1 finishes prompts 1 and 3.
    scripts[0] = [{"error": "has 300 tokens, more than the model's context of 256 allows", "prompt": 1,
                   "engine_usable": True}]
    scripts[1] = [{"index": 0, "completions": ["B"]}, {"index": 1, "completions": ["D"]}, {"done": True}]
    generator = VllmGenerator(_fake_checkpoint(tmp_path / "model"), device="cpu", data_parallel_size=2)
    journal = tmp_path / "samples.jsonl.journal"
    with pytest.raises(PromptRefused, match=r"prompt 2 \(problem 'c'\) has 300 tokens"):
        sample_resumably(generator, ["a", "b", "c", "d"], ["A", "B", "C", "D"], 1, Sampling(), journal)
    journaled = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted((entry["key"], entry["completions"]) for entry in journaled) == [("b", ["B"]), ("d", ["D"])]


# A stand-in for the worker: answers the protocol, and when its stdin closes marks that it is stopping,
# then exits 0 only if its partner is stopping too within 10 s (or, told to linger, ignores the end).
STAND_IN = """#!{python}
import json, pathlib, sys, time
folder, linger = pathlib.Path({folder!r}), {linger!r}
seed = json.loads(sys.stdin.readline())["seed"]
print(json.dumps({{"ready": True, "max_model_len": 8}}), flush=True)
for request in sys.stdin:
    print(json.dumps({{"done": True}}), flush=True)
(folder / f"stopping-{{seed}}").touch()
deadline = time.monotonic() + (60 if linger else 10)
while (linger or len(list(folder.glob("stopping-*"))) < 2) and time.monotonic() < deadline:
    time.sleep(0.01)
sys.exit(0 if len(list(folder.glob("stopping-*"))) == 2 else 1)
"""


def _stand_in_replicas(tmp_path: Path, linger: bool) -> tuple[VllmGenerator, list]:
    python = tmp_path / "python"
    python.write_text(STAND_IN.format(python=sys.executable, folder=str(tmp_path), linger=linger))
    python.chmod(0o755)
    generator = VllmGenerator(_fake_checkpoint(tmp_path / "model"), device="cpu", python=str(python),
                              data_parallel_size=2, start_timeout=60)
    assert generator.generate(["a", "b"], 1, Sampling()) == [[], []]
    return generator, [engine.process for engine in generator._engines]


def test_close_stops_the_replicas_together(tmp_path):
    generator, processes = _stand_in_replicas(tmp_path, linger=False)
    generator.close()
    assert [process.returncode for process in processes] == [0, 0]  # each saw the other stopping


def test_close_kills_replicas_that_outlast_one_shared_deadline(tmp_path, monkeypatch):
    generator, processes = _stand_in_replicas(tmp_path, linger=True)
    monkeypatch.setattr(vllm_backend, "STOP_TIMEOUT", 0.5)
    started = time.monotonic()
    generator.close()
    assert [process.returncode for process in processes] == [-signal.SIGKILL, -signal.SIGKILL]
    assert time.monotonic() - started < 5  # one deadline for both, well under the children's 60 s


@pytest.mark.parametrize("preset, expected", [(None, str(len(os.sched_getaffinity(0)))), ("3", "3")])
def test_a_cpu_engine_computes_with_every_cpu_unless_told_otherwise(tmp_path, monkeypatch, preset, expected):
    # vLLM alone would cut an in-process engine to one torch thread; a stand-in python records what it got.
    if preset is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", preset)
    seen = tmp_path / "threads"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\necho "$OMP_NUM_THREADS" > {seen}\n')
    python.chmod(0o755)
    generator = VllmGenerator(_fake_checkpoint(tmp_path / "model"), device="cpu", python=str(python))
    with pytest.raises(GenerationError):  # the stand-in exits without answering
        generator.generate(["hello"], 1, Sampling())
    assert seen.read_text().strip() == expected


def test_a_cpu_engine_preloads_the_intel_openmp_of_its_environment_unless_told_otherwise(tmp_path):
    from rest_train.generation.vllm.backend import cpu_threading

    python = str(tmp_path / "env" / "bin" / "python")
    assert cpu_threading(python, 2, {}) == {"OMP_NUM_THREADS": "2"}  # this environment ships none
    intel_openmp = tmp_path / "env" / "lib" / "libiomp5.so"
    intel_openmp.parent.mkdir(parents=True)
    intel_openmp.touch()
    assert cpu_threading(python, 2, {}) == {"OMP_NUM_THREADS": "2", "LD_PRELOAD": str(intel_openmp),
                                            "KMP_BLOCKTIME": "1"}
    assert cpu_threading(python, 2, {"OMP_NUM_THREADS": "1", "LD_PRELOAD": "/lib/libtcmalloc.so"}) == {}

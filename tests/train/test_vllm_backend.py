"""The `vllm` generator backend: bad input without an engine, then a real vLLM engine (CPU build, in
.envs/vllm) serving SmolLM2-135M-Instruct, started once for the module."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest

from rest_train.generation import Sampling
from rest_train.model_files import ModelFileError
from rest_train.vllm_backend import GenerationError, VllmGenerator

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

    from rest_train.chat import ChatFormat
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


def test_data_parallel_replicas_get_disjoint_gpu_blocks(monkeypatch):
    from rest_train.vllm_backend import device_groups

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    assert device_groups("cuda", 2, 2) == [["4", "5"], ["6", "7"]]
    assert device_groups("cpu", 2, 1) == [None, None]
    with pytest.raises(GenerationError, match="need 6 devices"):
        device_groups("cuda", 3, 2)


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
    from rest_train.vllm_backend import cpu_threading

    python = str(tmp_path / "env" / "bin" / "python")
    assert cpu_threading(python, 2, {}) == {"OMP_NUM_THREADS": "2"}  # this environment ships none
    intel_openmp = tmp_path / "env" / "lib" / "libiomp5.so"
    intel_openmp.parent.mkdir(parents=True)
    intel_openmp.touch()
    assert cpu_threading(python, 2, {}) == {"OMP_NUM_THREADS": "2", "LD_PRELOAD": str(intel_openmp),
                                            "KMP_BLOCKTIME": "1"}
    assert cpu_threading(python, 2, {"OMP_NUM_THREADS": "1", "LD_PRELOAD": "/lib/libtcmalloc.so"}) == {}

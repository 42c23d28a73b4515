"""The built-in `transformers` generator on a tiny random model, and stop-string handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rest_verify import Problem
from rest_verify.cli import main
from rest_verify.plugins import PINNING_VARIABLE, get_generator_factory, get_task
from rest_train.generation import GenerationError, Sampling, truncate_at_stop
from rest_train.generation.transformers import TransformersGenerator
from rest_train.run.resume import journal_path
from rest_train.models.tiny import save_random_model

CONTEXT = 64  # of the tiny model, whose tokenizer makes one token of each character and adds none


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("model"), alphabet="abc \n", layers=1, width=16, heads=2,
                             context=CONTEXT)


def test_truncate_at_the_earliest_stop_string():
    assert truncate_at_stop("a\n\nProblem: b", ["\n\nProblem:"]) == "a"
    assert truncate_at_stop("xyz", ["z", "y"]) == "x"
    assert truncate_at_stop("xyz", []) == "xyz"
    assert truncate_at_stop("xyz", [""]) == "xyz"


def test_n_samples_per_prompt_in_order_and_reproducible(model_path):
    generator = get_generator_factory("transformers")(str(model_path), device="cpu", batch_size=4, progress=False)
    sampling = Sampling(temperature=1.0, top_k=40, max_new_tokens=8, seed=3)
    first = generator.generate(["a", "bb", "c c"], 5, sampling)
    assert [len(texts) for texts in first] == [5, 5, 5]
    assert all(isinstance(text, str) and len(text) <= 8 for texts in first for text in texts)
    assert generator.generate(["a", "bb", "c c"], 5, sampling) == first
    assert generator.generate(["a", "bb", "c c"], 5, Sampling(max_new_tokens=8, seed=4)) != first
    generator.close()


def test_batching_does_not_change_greedy_output(model_path):
    greedy = Sampling(temperature=0.0, max_new_tokens=6)
    small = TransformersGenerator(str(model_path), device="cpu", batch_size=1, progress=False)
    large = TransformersGenerator(str(model_path), device="cpu", batch_size=64, progress=False)
    prompts = ["a", "b", "ab"]
    assert small.generate(prompts, 2, greedy) == large.generate(prompts, 2, greedy)


def test_stop_strings_are_cut_from_completions(model_path):
    generator = TransformersGenerator(str(model_path), device="cpu", batch_size=8, progress=False)
    texts = generator.generate(["a"], 8, Sampling(max_new_tokens=12, stop=(" ",), seed=0))[0]
    assert all(" " not in text for text in texts)


def test_loading_the_plugin_does_not_import_torch():
    code = ("import sys, rest_verify; rest_verify.get_registry(); "
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    env = {**os.environ, PINNING_VARIABLE: ""}  # rest-em's own plugins alone: rest_train.plugin among them
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
                            env=env)
    assert result.stdout.split() == ["False", "False"]


def test_generate_stream_yields_each_prompt_once_per_batch_with_what_generate_returns(model_path):
    generator = TransformersGenerator(str(model_path), device="cpu", batch_size=4, progress=False)
    sampling = Sampling(temperature=1.0, max_new_tokens=6, seed=5)
    prompts = ["a", "b", "ab", "ba", "bb"]
    sampled = []
    sample = generator._sample
    generator._sample = lambda *args: sampled.append(args) or sample(*args)
    stream = generator.generate_stream(prompts, 2, sampling)
    first = next(stream)
    assert len(sampled) == 1  # the first batch's prompts come out before the next batch is sampled
    streamed = dict([first, *stream])
    del generator._sample
    assert sorted(streamed) == list(range(5))
    assert [streamed[i] for i in range(5)] == generator.generate(prompts, 2, sampling)


def test_a_prompt_with_no_room_for_a_new_token_is_named_before_its_batch_is_sampled(model_path):
    generator = TransformersGenerator(str(model_path), device="cpu", batch_size=4, progress=False)
    calls = []
    generate = generator.model.generate
    generator.model.generate = lambda **options: calls.append(len(options["input_ids"])) or generate(**options)
    streamed = []
    with pytest.raises(GenerationError) as caught:
        for index, texts in generator.generate_stream(["a", "b", "c", "a" * CONTEXT], 2, Sampling(max_new_tokens=4)):
            streamed.append(index)
    assert streamed == [0, 1] and calls == [2]  # two prompts a batch: the second batch was never sampled
    message = str(caught.value)
    assert f"prompt 3 has {CONTEXT} tokens, more than the model's context of {CONTEXT} allows" in message
    assert str(model_path) in message


def test_a_prompt_near_the_context_gets_the_tokens_that_fit_and_its_batch_mates_all_theirs(model_path):
    prompts = ["a", "b" * (CONTEXT - 4), "c" * (CONTEXT - 1)]
    greedy = Sampling(temperature=0.0, max_new_tokens=8)
    together = TransformersGenerator(str(model_path), device="cpu", batch_size=3, progress=False)
    alone = TransformersGenerator(str(model_path), device="cpu", batch_size=1, progress=False)
    texts = together.generate(prompts, 1, greedy)
    assert [len(row[0]) for row in texts] == [8, 4, 1]  # this model's greedy choices are never special tokens
    assert alone.generate(prompts, 1, greedy) == texts  # the cap is each prompt's own

    sampling = Sampling(temperature=1.0, max_new_tokens=8, seed=2)
    sampled = together.generate(prompts, 3, sampling)
    assert together.generate(prompts, 3, sampling) == sampled
    assert all(len(prompt) + len(text) <= CONTEXT for prompt, row in zip(prompts, sampled) for text in row)


LOOP_CONFIG = """
output_dir = "run"
iterations = 0

[model]
path = "model"
device = "cpu"

[data]
task = "gsm8k_jsonl"
train_path = "problems.jsonl"
eval_path = "problems.jsonl"

[sampling]
max_new_tokens = 4

[generation]
batch_size = 2    # two samples per prompt: one prompt a batch

[grading]
workers = 0

[eval]
ks = [1, 2]
"""


def test_a_run_stops_at_a_prompt_longer_than_the_context_and_keeps_what_it_sampled(tmp_path, monkeypatch):
    questions = ["What is 1 + 1?", "What is 2 + 2?", "What is 3 + 3, added up " + "again and " * 20 + "again?"]
    (tmp_path / "problems.jsonl").write_text("".join(json.dumps({"question": q, "answer": "#### 2"}) + "\n"
                                                     for q in questions))
    task = get_task("gsm8k_jsonl")
    lengths = [len(task.format_prompt(Problem(id=str(i), prompt=q, reference="2"))) for i, q in enumerate(questions)]
    save_random_model(tmp_path / "model", layers=1, width=16, heads=2, context=lengths[1] + 20)
    (tmp_path / "run.toml").write_text(LOOP_CONFIG)
    monkeypatch.chdir(tmp_path)

    third_id = list(task.load(str(tmp_path / "problems.jsonl")))[2].id
    samples = tmp_path / "run" / "iter_00" / "eval_samples.jsonl"
    for attempt in ("first", "rerun"):  # a rerun hands the backend only prompt 2, and still names it so
        result = CliRunner().invoke(main, ["run", "run.toml"])
        assert result.exit_code != 0 and "Traceback" not in result.output, attempt
        assert (f"prompt 2 (problem {third_id!r}) has {lengths[2]} tokens, more than the model's context of "
                f"{lengths[1] + 20}") in result.output, attempt
        kept = [json.loads(line)["prompt"] for line in journal_path(samples).read_text().splitlines()]
        assert [len(prompt) for prompt in kept] == lengths[:2]  # the prompts before it, kept for a rerun
        assert not samples.exists()


@pytest.fixture
def bf16_model_path(model_path, tmp_path):
    """The tiny model saved as a bf16 checkpoint, as convert-gguf saves real ones by default."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.bfloat16).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(model_path).save_pretrained(tmp_path)
    return tmp_path


@pytest.mark.parametrize("native, expected", [(False, "float32"), (True, "bfloat16")])
def test_a_bf16_checkpoint_samples_in_bf16_only_on_a_cpu_with_native_bf16(bf16_model_path, monkeypatch,
                                                                            native, expected):
    import torch

    from rest_verify import dtypes

    monkeypatch.setattr(dtypes, "device_has_native_bf16", lambda device: native)
    dtypes._resolved.cache_clear()
    try:
        generator = TransformersGenerator(str(bf16_model_path), device="cpu", batch_size=4)
    finally:
        dtypes._resolved.cache_clear()
    assert generator.dtype == expected and generator.model.dtype == getattr(torch, expected)
    assert len(generator.generate(["ab"], 2, Sampling(max_new_tokens=3))[0]) == 2


def test_the_factory_honours_an_explicit_dtype(model_path):
    import torch

    generator = get_generator_factory("transformers")(str(model_path), device="cpu", dtype="bfloat16",
                                                      batch_size=4, progress=False)
    assert generator.model.dtype == torch.bfloat16
    with pytest.raises(ValueError, match="dtype must be one of"):
        get_generator_factory("transformers")(str(model_path), device="cpu", dtype="half")

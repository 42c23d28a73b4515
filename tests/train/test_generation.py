"""The built-in `transformers` generator on a tiny random model, and stop-string handling."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rest_verify.plugins import PINNING_VARIABLE, get_generator_factory
from rest_train.generation import Sampling, TransformersGenerator, truncate_at_stop
from rest_train.tinymodel import save_random_model


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("model"), alphabet="abc \n", layers=1, width=16, heads=2,
                             context=64)


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

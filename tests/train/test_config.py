"""The run config: TOML in, typed dataclasses out, and a clear error naming any bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from rest_verify.errors import RestEmError
from rest_train.config import ConfigError, ModelConfig, RunConfig, describe, from_dict, load_config

FULL = """
output_dir = "runs/math"
iterations = 2
seed = 7

[model]
path = "models/base"
device = "cpu"

[data]
task = "math_jsonl"
train_path = "data/train.jsonl"
eval_path = "/abs/math500.jsonl"
train_options = { exclude = "math500.jsonl" }
eval_limit = 50

[sampling]
samples_per_problem = 32
temperature = 1
top_k = 40
max_new_tokens = 384
stop = ["\\n\\nProblem:"]

[filter]
max_per_problem = 10
thresholds = [0.5, 0.8]

[train]
init_from = "previous"
loss = "reward_weighted"
learning_rate = 2e-5
epochs = 1
trainer_args = { bf16 = true }

[eval]
ks = [1, 8, 32]
samples_per_problem = 64
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def test_full_file_loads_with_types_and_resolved_paths(tmp_path):
    config = load_config(write(tmp_path, FULL))
    assert config.iterations == 2 and config.seed == 7
    assert config.sampling.temperature == 1.0 and isinstance(config.sampling.temperature, float)
    assert config.sampling.stop == ["\n\nProblem:"]
    assert config.train.init_from == "previous" and config.train.loss == "reward_weighted"
    assert config.train.trainer_args == {"bf16": True}
    assert config.data.train_options == {"exclude": "math500.jsonl"}
    assert config.model.path == str(tmp_path / "models" / "base")
    assert config.output_dir == str(tmp_path / "runs" / "math")
    assert config.data.eval_path == "/abs/math500.jsonl"
    assert config.eval_samples == 64
    assert [config.threshold(1), config.threshold(2)] == [0.5, 0.8]


def test_defaults_follow_the_paper():
    config = RunConfig()
    assert config.sampling.samples_per_problem == 32
    assert (config.sampling.temperature, config.sampling.top_k) == (1.0, 40)
    assert config.filter.max_per_problem == 10
    assert config.train.init_from == "base" and config.train.loss == "nll"
    assert config.threshold(1) == 1.0
    assert config.eval_samples == max(config.eval.ks)
    assert config.grading.timeout is None  # the verifier's own deadline (apps: its sandbox budget)


@pytest.mark.parametrize("data, key", [
    ({"iteratons": 3}, "'iteratons'"),
    ({"sampling": {"temprature": 1.0}}, "'sampling.temprature'"),
    ({"sampling": {"temperature": -0.5}}, "sampling.temperature"),
    ({"sampling": {"top_p": 0.0}}, "sampling.top_p"),
    ({"sampling": {"samples_per_problem": 0}}, "sampling.samples_per_problem"),
    ({"sampling": {"samples_per_problem": 2.5}}, "sampling.samples_per_problem"),
    ({"sampling": {"stop": "\n"}}, "sampling.stop"),
    ({"train": {"init_from": "scratch"}}, "train.init_from"),
    ({"train": {"loss": "ppo"}}, "train.loss"),
    ({"train": {"learning_rate": "fast"}}, "train.learning_rate"),
    ({"filter": {"dedupe": "yes"}}, "filter.dedupe"),
    ({"filter": {"max_per_problem": 0}}, "filter.max_per_problem"),
    ({"eval": {"ks": [1, 0]}}, "eval.ks"),
    ({"eval": {"ks": [1, 8], "samples_per_problem": 4}}, "eval.samples_per_problem"),
    ({"iterations": 3, "filter": {"thresholds": [0.5]}}, "filter.thresholds"),
    ({"iterations": 2, "filter": {"thresholds": [0.9, 0.5]}}, "filter.thresholds"),
    ({"model": "base"}, "model"),
    ({"eval": {"ks": ["1"]}}, "eval.ks[0]"),
    ({"model": {"dtype": "fp16"}}, "model.dtype"),
    ({"model": {"dtype": 16}}, "model.dtype"),
    ({"generation": {"options": {"dtype": "bfloat16"}}}, "model.dtype"),
])
def test_bad_values_name_their_key(data, key):
    with pytest.raises(ConfigError) as caught:
        from_dict(data)
    assert key in str(caught.value)


def test_model_dtype_is_auto_unless_chosen_and_checked_however_the_config_is_built():
    assert RunConfig().model.dtype == "auto"
    assert from_dict({"model": {"dtype": "float16"}}).model.dtype == "float16"
    with pytest.raises(ConfigError, match=r"model\.dtype must be one of 'auto', 'float32', 'bfloat16', 'float16'"):
        RunConfig(model=ModelConfig(dtype="bf16"))


def test_config_error_is_a_rest_em_error(tmp_path):
    assert issubclass(ConfigError, RestEmError)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "iterations = = 3"))


def test_every_field_is_documented():
    text = describe()
    for key in ("samples_per_problem", "max_per_problem", "init_from", "thresholds", "trainer_args", "ks"):
        assert key in text
    assert "paper: 32 for MATH, 64 for APPS" in text


def test_round_trip_through_a_dict():
    config = from_dict({"iterations": 1, "train": {"epochs": 3}})
    assert from_dict(config.to_dict()) == config


def test_hub_names_stay_names_and_local_folders_resolve(tmp_path):
    (tmp_path / "run.toml").write_text(
        '[model]\npath = "hf://Qwen/Qwen2.5-Math-1.5B"\n[data]\ntask = "gsm8k_jsonl"\n'
        'train_path = "hf://openai/gsm8k"\ntrain_name = "main"\neval_path = "hf://./gsm8k"\n')
    config = load_config(tmp_path / "run.toml")
    assert config.model.path == "hf://Qwen/Qwen2.5-Math-1.5B"
    assert config.data.train_path == "hf://openai/gsm8k" and config.data.eval_path == f"hf://{tmp_path / 'gsm8k'}"
    assert config.data.source("train") == "hf://openai/gsm8k?name=main&split=train"
    assert config.data.source("eval", streaming=True) == f"hf://{tmp_path / 'gsm8k'}?split=test&streaming=1"


@pytest.mark.parametrize("data, message", [
    ({"train_path": "train.jsonl", "train_name": "main"}, "data.train_name applies only to a data set by name"),
    ({"eval_path": "test.jsonl", "eval_split": "valid"}, "data.eval_split applies only to a data set by name"),
    ({"train_path": "hf://openai/gsm8k?split=test"}, r"data.train_path: 'hf://openai/gsm8k\?split=test' carries options"),
])
def test_hub_fields_belong_to_an_hf_path(data, message):
    with pytest.raises(ConfigError, match=message):
        from_dict({"data": {"task": "gsm8k_jsonl", **data}})

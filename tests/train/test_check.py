"""`rest-em run --check`: each part of a run tried without a model's weights; each mistake one line naming its field."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from rest_train.models.tiny import save_random_model
from rest_train.run.check import _Checks
from rest_verify.cli import main
from rest_verify.testing.datasets import hub_dataset_folder

from tests.train.test_cli import CONFIG, FIXTURES


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("check")
    for name in ("math_test_sample.jsonl", "math500_sample.jsonl"):
        shutil.copy(FIXTURES / name, root / name)
    save_random_model(root / "model", layers=1, width=16, heads=2, context=64)
    (root / "wrong_columns.jsonl").write_text('{"question": "1+1?", "answer": "2"}\n')
    (root / "a-file").write_text("")
    return root


def check(folder, config: str):
    (folder / "run.toml").write_text(config)
    return CliRunner().invoke(main, ["run", "--check", str(folder / "run.toml")])


def test_a_sound_config_passes_every_check_and_creates_nothing(folder):
    result = check(folder, CONFIG.format(init_from="base").replace(
        "[eval]", '[train.peft]\nr = 4\ntarget_modules = ["c_attn"]\n\n[tracking]\nreport_to = ["tensorboard"]\n\n[eval]'))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * 8 and lines[-1] == "config ok"
    assert "math built with its options and accepts the task's 6 reference solutions" in result.output
    assert "through the task's format" in result.output and "every LoRA target matches" in result.output
    assert not (folder / "run").exists()


@pytest.mark.parametrize("change, line", [
    (('[grading]', '[grading]\nverifier_options = { extracton = "strict" }'),
     "failed  verifier: grading.verifier_options: "),
    (('path = "model"', 'path = "."'), "failed  model: model.path: "),
    (('train_path = "math_test_sample.jsonl"', 'train_path = "wrong_columns.jsonl"'), "failed  data: "),
    (('[eval]', '[train.peft]\ntarget_modules = ["c_attn", "q_proj"]\n\n[eval]'),
     "failed  train.peft: train.peft.target_modules: 'q_proj' matches no module"),
    (('output_dir = "run"', 'output_dir = "a-file/run"'), "failed  output: output_dir: cannot write to"),
    (('[eval]', '[chat]\ntemplate = true\n\n[eval]'), "failed  prompt: "),
    (('[sampling]', '[sampling]\ntemprature = 0.7'), "failed  config: unknown config key 'sampling.temprature'"),
])
def test_each_mistake_is_one_line_naming_its_field_and_exit_2(folder, change, line):
    result = check(folder, CONFIG.format(init_from="base").replace(*change))
    assert result.exit_code == 2, result.output
    failed = [text for text in result.output.splitlines() if text.startswith("failed")]
    assert len(failed) == 1 and failed[0].startswith(line), result.output
    assert "Traceback" not in result.output


def test_a_local_data_set_in_the_hub_layout_is_read_through_the_hub_path(folder, offline_datasets):
    rows = [json.loads(line) for line in (folder / "math500_sample.jsonl").read_text().splitlines()]
    hub_dataset_folder(folder / "MATH-500", {"test": rows})
    result = check(folder, CONFIG.format(init_from="base").replace(
        'eval_path = "math500_sample.jsonl"', 'eval_path = "hf://./MATH-500"'))
    assert result.exit_code == 0, result.output
    assert "ok      data: task 'math_jsonl' read the first problems (train 3, eval 3)" in result.output


def test_offline_a_hub_data_set_and_model_are_skipped_saying_why_and_the_rest_is_checked(folder, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = check(folder, CONFIG.format(init_from="base").replace('path = "model"', 'path = "hf://Qwen/Qwen2.5-0.5B"')
                   .replace('eval_path = "math500_sample.jsonl"', 'eval_path = "hf://HuggingFaceH4/MATH-500"')
                   .replace('[eval]', '[train.peft]\nr = 4\n\n[eval]'))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert ("skipped model: hub model Qwen/Qwen2.5-0.5B: hub not reachable offline (HF_HUB_OFFLINE=1)" in lines)
    assert ("skipped data: hub not reachable offline (HF_HUB_OFFLINE=1): eval hf://HuggingFaceH4/MATH-500; "
            "read the first problems of train 3") in lines
    assert "ok      verifier: math built with its options and accepts the task's 3 reference solutions" in lines
    assert any(line.startswith("skipped train.peft: LoRA fields are valid; the targets need the model") for line in lines)
    assert lines[-1] == "config ok"


def test_offline_a_bad_lora_field_still_fails_without_the_model(folder, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = check(folder, CONFIG.format(init_from="base").replace('path = "model"', 'path = "hf://Qwen/Qwen2.5-0.5B"')
                   .replace('[eval]', '[train.peft]\nrank = 4\n\n[eval]'))
    assert result.exit_code == 2, result.output
    assert [line for line in result.output.splitlines() if line.startswith("failed")] == [
        line for line in result.output.splitlines() if line.startswith("failed  train.peft: train.peft.rank")]


def test_a_check_failing_without_a_message_names_the_error_instead_of_crashing():
    def output() -> str:
        raise OSError()  # some file systems fail with no message

    checks = _Checks(None)
    checks.run("output", output)
    assert [result.line() for result in checks.results] == ["failed  output: OSError"]

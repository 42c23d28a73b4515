"""`rest-em run CONFIG` on MATH-format rows with a tiny random model, and `rest-em demo --quick`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rest_verify.cli import main
from rest_train.models.tiny import save_random_model

# MATH rows of the math plugin, whose `math_jsonl` task these runs use.
FIXTURES = Path(__file__).resolve().parents[2] / "plugins" / "math" / "tests" / "fixtures" / "tasks"

CONFIG = """
output_dir = "run"
iterations = 1
seed = 3

[model]
path = "model"
device = "cpu"

[data]
task = "math_jsonl"
train_path = "math_test_sample.jsonl"
train_options = {{ exclude = "math500_sample.jsonl" }}
eval_path = "math500_sample.jsonl"

[sampling]
samples_per_problem = 2
max_new_tokens = 12

[grading]
workers = 1
timeout = 20

[filter]
thresholds = [0.0]   # a random model solves nothing; keep everything so the M-step really trains
max_per_problem = 1

[train]
init_from = "{init_from}"
epochs = 1
batch_size = 2
max_length = 1024

[eval]
ks = [1, 2]
"""


def check_metrics(path: Path) -> dict:
    metrics = json.loads(path.read_text())
    assert 0.0 <= metrics["pass@1"] <= 1.0
    assert set(metrics["pass@k"]) == set(metrics["maj@k"]) == {"1", "2"}
    return metrics


def test_run_on_math_rows_end_to_end(tmp_path):
    for name in ("math_test_sample.jsonl", "math500_sample.jsonl"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    save_random_model(tmp_path / "model", layers=1, width=16, heads=2, context=1024)
    (tmp_path / "run.toml").write_text(CONFIG.format(init_from="base"))

    result = CliRunner().invoke(main, ["run", str(tmp_path / "run.toml")])
    assert result.exit_code == 0, result.output
    run = tmp_path / "run"
    for name in ("samples.jsonl", "verdicts.jsonl", "train.jsonl", "eval_samples.jsonl", "eval_verdicts.jsonl"):
        assert (run / "iter_01" / name).stat().st_size > 0
    assert (run / "iter_01" / "checkpoint" / "model.safetensors").exists()
    samples = [json.loads(line) for line in (run / "iter_01" / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 3 * 2 and samples[0]["prompt"].startswith("Problem:\n")
    verdicts = [json.loads(line) for line in (run / "iter_01" / "verdicts.jsonl").read_text().splitlines()]
    assert [v["sample"] for v in verdicts] == [s["sample"] for s in samples]
    assert len((run / "iter_01" / "train.jsonl").read_text().splitlines()) == 3  # one per problem (cap)
    check_metrics(run / "iter_00" / "metrics.json")
    metrics = check_metrics(run / "iter_01" / "metrics.json")
    assert metrics["problems"] == 5 and metrics["estep"]["samples"] == 6 and metrics["mstep"]["examples"] == 3
    record = json.loads((run / "run.json").read_text())
    assert record["verifier"] == "math" and record["seed"] == 3 and "REST_EM_PLUGINS" in record
    assert record["dtype"]["requested"] == "auto" and record["dtype"]["dtype"] == "float32"  # a float32 model
    assert record["dtype"]["reason"].startswith("auto:") and metrics["mstep"]["dtype"] == "float32"
    assert {"distribution": "rest-em", "version": record["plugins"][0]["version"]} in record["plugins"]
    assert (run / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| 1 |" in (run / "report.md").read_text()
    assert "pass@1" in result.output
    audited = CliRunner().invoke(main, ["audit", str(run), "--against", "math", "--workers", "1"])
    assert audited.exit_code == 0, audited.output
    assert re.search(r"\d+ of 6 items with a reference disagree", audited.output)


def test_run_reports_config_errors_in_one_line(tmp_path):
    (tmp_path / "bad.toml").write_text("[sampling]\ntemprature = 0.7\n")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "bad.toml")])
    assert result.exit_code != 0
    assert "unknown config key 'sampling.temprature'" in result.output
    assert "Traceback" not in result.output


def test_config_help_lists_every_knob():
    result = CliRunner().invoke(main, ["run", "--config-help"])
    assert result.exit_code == 0 and "samples_per_problem" in result.output and "paper: 10" in result.output


def test_quick_demo_end_to_end(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--quick", "--output", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    root = tmp_path / "demo"
    assert (root / "base" / "tokenizer.json").exists() and (root / "demo.json").exists()
    for iteration in (0, 1):
        check_metrics(root / f"iter_{iteration:02d}" / "metrics.json")
    assert (root / "report.md").exists() and (root / "plot.png").exists()
    assert f"viewer: {root / 'viewer.html'}" in result.output and (root / "viewer.html").exists()
    assert json.loads((root / "run.json").read_text())["config"]["data"]["task"] == "arith"


def test_the_rest_demo_has_a_fixed_schedule(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--mode", "rest", "--iterations", "2", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "--iterations applies to --mode rest-em" in result.output
    assert not any(tmp_path.iterdir())


def test_the_quick_rest_demo_learns_each_reward_model_beside_the_other(tmp_path):
    root = tmp_path / "demo"
    for kind, report, viewer in (("likelihood", "report.md", "viewer.html"),
                                 ("classifier", "report-classifier.md", "viewer-classifier.html")):
        result = CliRunner().invoke(main, ["demo", "--mode", "rest", "--quick", "--reward-model", kind,
                                           "--output", str(root)])
        assert result.exit_code == 0, result.output
        assert f"report: {root / report}" in result.output
        assert f"viewer: {root / viewer}" in result.output and (root / "rest-em" / "viewer.html").exists()
    record = json.loads((root / "reward_model" / "rest_em_reward_model.json").read_text())
    assert record["kind"] == "likelihood" and {"held_out_auc", "held_out_within_problem_auc"} <= set(record)
    assert (root / "reward_model" / "positive" / "config.json").exists()
    assert (root / "reward_model" / "negative" / "config.json").exists()
    assert json.loads((root / "reward_model-classifier" / "rest_em_reward_model.json").read_text())["kind"] == \
        "classifier"
    verifiers = {name: json.loads((root / name / "run.json").read_text())["config"]["grading"]["verifier"]
                 for name in ("rest", "rest-classifier")}
    assert verifiers == {"rest": "rm-likelihood", "rest-classifier": "rm"}
    assert "likelihood pair" in (root / "report.md").read_text()
    assert "sequence classifier" in (root / "report-classifier.md").read_text()
    assert (root / "plot.png").exists() and (root / "plot-classifier.png").exists()


def test_the_reward_model_option_belongs_to_the_rest_demo(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--reward-model", "classifier", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "--reward-model applies to --mode rest" in result.output


def test_the_quick_demo_with_lora_compares_it_with_full_fine_tuning(tmp_path):
    root = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--quick", "--peft", "--output", str(root)])
    assert result.exit_code == 0, result.output
    assert f"report: {root / 'report-peft.md'}" in result.output and "LoRA pass@1" in result.output
    full = json.loads((root / "rest-em" / "iter_01" / "metrics.json").read_text())
    lora = json.loads((root / "lora" / "iter_01" / "metrics.json").read_text())
    assert "peft" not in full["mstep"] and lora["mstep"]["peft"]["trainable_parameters"] > 0
    report = (root / "report-peft.md").read_text()
    assert f"| 1 | {100 * full['pass@1']:.1f} | {100 * lora['pass@1']:.1f} |" in report


def test_lora_belongs_to_the_rest_em_demo(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--mode", "rest", "--peft", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "--peft and --report-to apply to --mode rest-em" in result.output


def test_the_quick_demo_tracked_in_tensorboard_keeps_its_event_files_in_the_run_directory(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    root = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--quick", "--report-to", "tensorboard", "--output", str(root)])
    assert result.exit_code == 0, result.output
    events = EventAccumulator(str(root / "tracking" / "tensorboard"))
    events.Reload()
    pass_at_1 = [event.value for event in events.Scalars("eval/pass_at_1")]
    expected = [json.loads((root / f"iter_{i:02d}" / "metrics.json").read_text())["pass@1"] for i in (0, 1)]
    assert pass_at_1 == pytest.approx(expected)

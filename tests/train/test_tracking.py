"""Experiment tracking: TensorBoard, MLflow and W&B (offline) read back after a run and after its resumption."""

from __future__ import annotations

import dataclasses
import json

import pytest

from rest_train.config import ConfigError, TrackingConfig
from rest_train.run import runner, tracking
from rest_verify.errors import RestEmError

from tests.train.test_loop import quick_config


def tensorboard_scalars(directory):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(directory))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_a_run_is_tracked_in_tensorboard_mlflow_and_wandb_and_a_resumption_sends_nothing_twice(
        tmp_path, base_model, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    root = tmp_path / "run"
    config = quick_config(root, base_model, tracking=TrackingConfig(report_to=["tensorboard", "mlflow", "wandb"]))
    runner.run(config, progress=False)
    runner.run(config, progress=False)  # resumes: every stage done, every iteration already sent

    first, second = (json.loads((root / f"iter_{i:02d}" / "metrics.json").read_text()) for i in (0, 1))
    curve = second["mstep"]["loss_curve"]
    assert len(curve) == second["mstep"]["steps"] > 0
    assert set(second["status"]) == {"eval", "train"} and "samples" in second["seconds"]

    scalars = tensorboard_scalars(root / "tracking" / "tensorboard")
    assert scalars["eval/pass_at_1"] == [(0, pytest.approx(first["pass@1"])), (1, pytest.approx(second["pass@1"]))]
    assert [step for step, _ in scalars["mstep_loss/iter_01"]] == [point["step"] for point in curve]
    assert scalars["estep/kept"] == [(1, second["estep"]["kept"])]
    assert any(tag.startswith("status/eval/") for tag in scalars) and "seconds/checkpoint" in scalars

    state = json.loads((root / tracking.STATE).read_text())
    assert state["logged"] == [0, 1]
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'tracking' / 'mlflow.db'}")
    run = client.get_run(state["run_ids"]["mlflow"])
    history = client.get_metric_history(run.info.run_id, "eval/pass_at_1")
    assert sorted((m.step, m.value) for m in history) == [(0, pytest.approx(first["pass@1"])),
                                                          (1, pytest.approx(second["pass@1"]))]
    assert len(client.get_metric_history(run.info.run_id, "mstep_loss/iter_01")) == len(curve)
    assert run.data.params["train.learning_rate"] == json.dumps(config.train.learning_rate)
    assert run.data.params["data.task"] == '"arith"' and run.info.run_name == "run"

    # W&B offline writes one protobuf record log per process; its keys are stored as plain bytes
    logs = [next(folder.glob("run-*.wandb")).read_bytes() for folder in
            sorted((root / "tracking" / "wandb").glob(f"offline-run-*-{state['run_ids']['wandb']}"))]
    assert len(logs) == 2  # the run, and its resumption under the same id
    assert all(key in logs[0] for key in (b"eval/pass_at_1", b"mstep_loss/iter_01", b"train.learning_rate"))
    assert b"eval/pass_at_1" not in logs[1]


def test_a_missing_tracker_package_is_one_line_naming_the_install(monkeypatch):
    real = tracking.importlib.util.find_spec
    monkeypatch.setattr(tracking.importlib.util, "find_spec", lambda name: None if name == "wandb" else real(name))
    with pytest.raises(RestEmError, match=r"tracking.report_to 'wandb' needs the wandb package: pip install wandb"):
        tracking.require("wandb")


def test_an_mlflow_store_that_cannot_be_written_stops_the_run_before_sampling(tmp_path, base_model):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    root = tmp_path / "run"
    config = quick_config(root, base_model, tracking=TrackingConfig(
        report_to=["mlflow"], mlflow_uri=f"sqlite:///{blocker / 'mlflow.db'}"))
    with pytest.raises(ConfigError, match=r"^tracking.mlflow_uri: cannot track to sqlite:///.*not-a-folder"):
        runner.run(config, progress=False)
    assert not (root / "iter_00").exists()


def test_a_tracker_named_twice_is_a_config_error(tmp_path, base_model):
    with pytest.raises(ConfigError, match="tracking.report_to names a tracker twice"):
        dataclasses.replace(quick_config(tmp_path, base_model),
                            tracking=TrackingConfig(report_to=["mlflow", "mlflow"]))

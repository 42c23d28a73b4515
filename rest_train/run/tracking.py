"""Experiment tracking: each iteration's figures sent to TensorBoard, MLflow and/or Weights & Biases.

One small class per tracker behind one interface (`log_params`, `log`, `close`); `Tracking` holds the
configured ones and owns `tracking.json` in the run directory, which names the iterations already sent and
the tracked runs' ids, so a resumed run continues the same MLflow / W&B run and sends nothing twice.
Everything is read from the iteration's metrics.json record: the trackers see what the report sees.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol

from rest_train.config import ConfigError, RunConfig
from rest_train.run.files import read_json, write_json
from rest_verify.errors import RestEmError, first_line

STATE = "tracking.json"
INSTALL = {"tensorboard": ("tensorboard", "tensorboard"), "mlflow": ("mlflow", "mlflow-skinny sqlalchemy alembic"),
           "wandb": ("wandb", "wandb")}
ITERATION_AXIS = "iteration"
STEP_AXIS = "mstep_step"  # the x axis of the M-step loss curves, one curve per iteration
INIT_TIMEOUT = 90.0  # seconds W&B may take to start its run before the run stops with an error


class Tracker(Protocol):
    run_id: str | None

    def log_params(self, params: Mapping[str, str]) -> None: ...

    def log(self, metrics: Mapping[str, float], step: int, axis: str) -> None: ...

    def close(self) -> None: ...


def require(name: str) -> None:
    """One line naming the install when a tracker's package is missing."""
    module, packages = INSTALL[name]
    if importlib.util.find_spec(module) is None:
        raise RestEmError(f"tracking.report_to {name!r} needs the {module} package: pip install {packages} "
                          f"(or 'rest-em[tracking]')")


def tracking_dir(config: RunConfig) -> Path:
    return Path(config.tracking.dir) if config.tracking.dir else Path(config.output_dir) / "tracking"


def mlflow_uri(config: RunConfig) -> str:
    return config.tracking.mlflow_uri or f"sqlite:///{tracking_dir(config) / 'mlflow.db'}"


class TensorBoardTracker:
    """Event files under `directory/tensorboard`; the config as a text summary."""

    run_id = None

    def __init__(self, directory: Path):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(directory / "tensorboard"))

    def log_params(self, params: Mapping[str, str]) -> None:
        self.writer.add_text("config", "\n".join(f"    {key} = {value}" for key, value in params.items()))

    def log(self, metrics: Mapping[str, float], step: int, axis: str) -> None:
        for key, value in metrics.items():
            self.writer.add_scalar(key, value, global_step=step)

    def close(self) -> None:
        self.writer.close()


class MLflowTracker:
    """One MLflow run through the client API (no global active run), resumed by its id."""

    def __init__(self, uri: str, experiment: str, run_name: str, run_id: str | None):
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=uri)
        if run_id is None:
            found = self.client.get_experiment_by_name(experiment)
            experiment_id = found.experiment_id if found else self.client.create_experiment(experiment)
            run_id = self.client.create_run(experiment_id, run_name=run_name).info.run_id
        else:
            self.client.update_run(run_id, status="RUNNING")
        self.run_id = run_id

    def log_params(self, params: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        self.client.log_batch(self.run_id, params=[Param(key, value[:6000]) for key, value in params.items()])

    def log(self, metrics: Mapping[str, float], step: int, axis: str) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(key, value, now, step) for key, value in metrics.items()])

    def close(self) -> None:
        self.client.set_terminated(self.run_id)


class WandbTracker:
    """One W&B run (online, or offline with WANDB_MODE=offline), resumed by its id; files under `directory`."""

    def __init__(self, directory: Path, project: str, run_name: str, run_id: str | None):
        import wandb

        directory.mkdir(parents=True, exist_ok=True)
        self.run = wandb.init(project=project, name=run_name, dir=str(directory), id=run_id, resume="allow",
                              settings=wandb.Settings(init_timeout=INIT_TIMEOUT))
        for axis, pattern in ((ITERATION_AXIS, "*"), (STEP_AXIS, "mstep_loss/*")):
            self.run.define_metric(axis)
            self.run.define_metric(pattern, step_metric=axis)
        self.run_id = self.run.id

    def log_params(self, params: Mapping[str, str]) -> None:
        self.run.config.update(dict(params), allow_val_change=True)

    def log(self, metrics: Mapping[str, float], step: int, axis: str) -> None:
        self.run.log({**metrics, axis: step})

    def close(self) -> None:
        self.run.finish()


def iteration_metrics(record: Mapping[str, Any]) -> dict[str, float]:
    """The scalars of one iteration's metrics.json record, by tracker key."""
    metrics = {f"eval/pass_at_{k}": value for k, value in record["pass@k"].items()}  # MLflow refuses '@'
    metrics.update({f"eval/maj_at_{k}": value for k, value in record["maj@k"].items() if value is not None})
    for part in ("estep", "mstep"):
        metrics.update({f"{part}/{key}": value for key, value in (record.get(part) or {}).items()
                        if isinstance(value, (int, float)) and not isinstance(value, bool)})
    for role, counts in (record.get("status") or {}).items():
        metrics.update({f"status/{role}/{status}": count for status, count in counts.items()})
    metrics.update({f"seconds/{stage}": value for stage, value in (record.get("seconds") or {}).items()})
    return {key: float(value) for key, value in metrics.items()}


def config_params(config: RunConfig) -> dict[str, str]:
    """The config flattened to dotted keys: the tracked run's parameters."""
    def walk(value: Any, prefix: str) -> Iterable[tuple[str, str]]:
        if isinstance(value, dict) and value and prefix.count(".") < 2:  # sections, not their option tables
            for key, item in value.items():
                yield from walk(item, f"{prefix}{key}.")
        else:
            yield prefix.rstrip("."), json.dumps(value)

    return dict(walk(config.to_dict(), ""))


class Tracking:
    """The run's trackers; empty when `tracking.report_to` is (or on ranks other than 0)."""

    def __init__(self, config: RunConfig, trackers: dict[str, Tracker], state: dict[str, Any], path: Path):
        self.config, self.trackers, self.state, self.path = config, trackers, state, path

    @classmethod
    def open(cls, config: RunConfig, *, enabled: bool = True) -> Tracking:
        """Start (or resume) each configured tracker; a missing package is a one-line error."""
        path = Path(config.output_dir) / STATE
        names = config.tracking.report_to if enabled else []
        for name in names:
            require(name)
        state = read_json(path) if names and path.exists() else {"logged": [], "run_ids": {}}
        trackers = {name: _start(name, config, state["run_ids"].get(name)) for name in names}
        tracking = cls(config, trackers, state, path)
        if trackers:
            fresh = [t for name, t in trackers.items() if name not in state.get("params", [])]
            for tracker in fresh:
                tracker.log_params(config_params(config))
            state["params"] = sorted(trackers)
            state["run_ids"].update({name: t.run_id for name, t in trackers.items() if t.run_id})
            tracking._save()
        return tracking

    def log_iteration(self, record: Mapping[str, Any]) -> None:
        """Send one iteration's figures and its M-step loss curve, unless an earlier process sent them."""
        iteration = record["iteration"]
        if not self.trackers or iteration in self.state["logged"]:
            return
        metrics = iteration_metrics(record)
        curve = (record.get("mstep") or {}).get("loss_curve") or []
        for tracker in self.trackers.values():
            tracker.log(metrics, iteration, ITERATION_AXIS)
            for point in curve:
                tracker.log({f"mstep_loss/iter_{iteration:02d}": float(point["loss"])}, int(point["step"]),
                            STEP_AXIS)
        self.state["logged"].append(iteration)
        self._save()

    def close(self) -> None:
        for tracker in self.trackers.values():
            tracker.close()

    def _save(self) -> None:
        write_json(self.path, self.state)


def _start(name: str, config: RunConfig, run_id: str | None) -> Tracker:
    directory = tracking_dir(config)
    run_name = config.tracking.run_name or Path(config.output_dir).name
    if name == "mlflow":
        from mlflow.exceptions import MlflowException

        uri = mlflow_uri(config)
        try:
            if not config.tracking.mlflow_uri:
                directory.mkdir(parents=True, exist_ok=True)
            return MLflowTracker(uri, config.tracking.experiment, run_name, run_id)
        except (OSError, MlflowException) as exc:
            raise ConfigError(f"tracking.mlflow_uri: cannot track to {uri}: {first_line(exc)}") from None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if name == "tensorboard":
            return TensorBoardTracker(directory)
        return WandbTracker(directory, config.tracking.experiment, run_name, run_id)
    except OSError as exc:
        raise ConfigError(f"tracking.dir: cannot write {name}'s files to {directory}: {exc}") from None

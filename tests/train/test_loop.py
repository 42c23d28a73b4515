"""The ReST-EM loop: run directory layout, resume after a crash at every stage, config guard."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from rest_verify import backends
from rest_verify.plugins import get_verifier
from rest_train.run import loop
from rest_train.run import runner
from rest_train.config import ConfigError, FilterConfig, TrainConfig
from rest_train.demo.rest_em import QUICK, demo_config

STAGE_COUNT = 3 + 7  # iteration 0 evaluates; iteration 1 runs all seven stages
VOLATILE = {"elapsed", "seconds", "model", "init_from"}


class Crash(Exception):
    pass


def quick_config(root: Path, base: Path, **changes):
    config = demo_config(QUICK, root, device="cpu", iterations=1, seed=0)
    # keep every sample (ReST threshold 0) so each M-step really trains, even on a model that solves little
    return dataclasses.replace(config, model=dataclasses.replace(config.model, path=str(base)),
                               filter=FilterConfig(max_per_problem=2, thresholds=[0.0, 0.0]), **changes)


def comparable(root: Path) -> dict[str, object]:
    """Every output of a run, minus timings and absolute paths that differ between two directories."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    contents = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if path.suffix == ".jsonl":
            contents[relative] = [strip(json.loads(line)) for line in path.read_text().splitlines()]
        elif path.name == "metrics.json":
            contents[relative] = strip(json.loads(path.read_text()))
        elif path.name == "model.safetensors":
            contents[relative] = path.read_bytes()
    return contents


def test_resume_after_a_crash_at_every_stage_matches_an_uninterrupted_run(tmp_path, base_model):
    reference = tmp_path / "reference"
    runner.run(quick_config(reference, base_model), progress=False)

    interrupted = tmp_path / "interrupted"
    finished: list[tuple[int, str]] = []

    def crash_after_first_stage(iteration: int, stage: str) -> None:
        finished.append((iteration, stage))
        raise Crash(f"killed after {stage} of iteration {iteration}")

    for _ in range(STAGE_COUNT + 1):
        try:
            results = runner.run(quick_config(interrupted, base_model), stage_hook=crash_after_first_stage,
                               progress=False)
            break
        except Crash:
            continue
    assert len(finished) == STAGE_COUNT  # each rerun did exactly the one stage after the last finished one
    assert finished[:4] == [(0, "eval_samples"), (0, "eval_verdicts"), (0, "metrics"), (1, "samples")]
    assert [r["iteration"] for r in results] == [0, 1]
    assert comparable(interrupted) == comparable(reference)
    assert not [p for p in interrupted.rglob("*") if "partial" in p.name]


def test_a_finished_run_redoes_nothing_and_can_be_extended(tmp_path, base_model):
    root = tmp_path / "run"
    config = quick_config(root, base_model)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, init_from="previous"))
    runner.run(config, progress=False)
    ran: list[tuple[int, str]] = []
    runner.run(config, stage_hook=lambda i, s: ran.append((i, s)), progress=False)
    assert ran == []
    runner.run(dataclasses.replace(config, iterations=2), stage_hook=lambda i, s: ran.append((i, s)), progress=False)
    assert ran == [(2, stage) for stage in loop.STAGES]
    # ReST's `previous`: iteration 2 starts from iteration 1's checkpoint, iteration 1 from the base
    first = json.loads((root / "iter_01" / "metrics.json").read_text())
    second = json.loads((root / "iter_02" / "metrics.json").read_text())
    assert first["mstep"]["init_from"] == str(base_model)
    assert second["mstep"]["init_from"] == str(root / "iter_01" / "checkpoint")
    assert "| 2 |" in (root / "report.md").read_text()


def test_leftovers_of_a_killed_write_are_removed(tmp_path, base_model):
    root = tmp_path / "run"
    config = quick_config(root, base_model, iterations=0)
    (root / "iter_00").mkdir(parents=True)
    leftover = root / "iter_00" / "eval_samples.jsonl.partial-abc"
    leftover.write_text('{"truncated')
    runner.run(config, progress=False)
    assert not leftover.exists()
    assert (root / "iter_00" / "metrics.json").exists() and (root / "report.md").exists()


def test_a_different_config_does_not_resume_into_an_old_run(tmp_path, base_model):
    root = tmp_path / "run"
    runner.run(quick_config(root, base_model, iterations=0), progress=False)
    changed = quick_config(root, base_model, iterations=0, train=TrainConfig(learning_rate=0.5))
    with pytest.raises(ConfigError, match="train.learning_rate"):
        runner.run(changed, progress=False)


def test_one_grader_serves_the_run_with_the_verifiers_own_deadline_and_is_closed_even_on_error(
        tmp_path, base_model, monkeypatch):
    built = []

    class Recorded(backends.Grader):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.closed = False
            built.append(self)

        def close(self):
            self.closed = True
            super().close()

    def crash_after_grading_training_samples(iteration, stage):
        if stage == "verdicts":
            raise Crash("killed")

    monkeypatch.setattr(backends, "Grader", Recorded)
    monkeypatch.setattr(type(get_verifier("arith")), "deadline", 42.0, raising=False)
    with pytest.raises(Crash):
        runner.run(quick_config(tmp_path / "run", base_model), stage_hook=crash_after_grading_training_samples,
                 progress=False)
    assert len(built) == 1  # iteration 0's evaluation and iteration 1's samples shared it
    assert built[0].timeout == 42.0 and built[0].closed


def test_a_run_graded_on_a_local_ray_cluster_equals_the_local_run(tmp_path, base_model, monkeypatch):
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read at import: the local cluster stays on loopback
    pytest.importorskip("ray")
    runs = {}
    for backend in ("local", "ray"):
        config = quick_config(tmp_path / backend, base_model)
        config = dataclasses.replace(config, grading=dataclasses.replace(config.grading, backend=backend))
        runner.run(config, progress=False)
        runs[backend] = comparable(tmp_path / backend)
    assert runs["ray"] == runs["local"]


def test_sandbox_options_for_a_verifier_without_a_sandbox_stop_the_run_before_it_starts(tmp_path):
    config = demo_config(QUICK, tmp_path / "run", device="cpu", iterations=1, seed=0)
    config = dataclasses.replace(config, grading=dataclasses.replace(config.grading,
                                                                     sandbox_options={"runtime": "runsc"}))
    with pytest.raises(ConfigError, match="grading.sandbox_options: verifier 'arith' runs no sandbox"):
        loop.Loop(config)
    assert not (tmp_path / "run").exists()

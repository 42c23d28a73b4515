"""Two CPU processes under torchrun: rank 0 alone samples, grades and writes; both train; resuming works."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rest_train.run import ranks as distributed
from rest_train.run import loop
from rest_train.config import ConfigError
from rest_train.training.finetune import TRAINING_RECORD

from .test_loop import STAGE_COUNT, quick_config

DRIVER = Path(__file__).with_name("rank_driver.py")
LAUNCH_TIMEOUT = 240  # seconds; one launch takes well under a minute on two cores


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(config_file: Path, logs: Path) -> list[dict]:
    """Run the driver on 2 processes; returns every rank's log lines, each with its rank."""
    logs.mkdir()
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    for _attempt in range(2):  # another process on this shared machine may take the free port first
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                   "--master-addr", "127.0.0.1", "--master-port", str(free_port()), str(DRIVER),
                   str(config_file), str(logs)]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT,
                                  env=environment)
        if "address already in use" not in finished.stderr.lower():
            break
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    entries = []
    for rank in (0, 1):
        path = logs / f"rank{rank}.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        entries.extend({"rank": rank, **json.loads(line)} for line in lines)
    return entries


def stages(entries: list[dict], rank: int) -> list[tuple[int, str]]:
    return [tuple(e["stage"]) for e in entries if e["rank"] == rank and "stage" in e]


def test_a_single_process_joins_no_group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with distributed.joined() as ranks:
        assert ranks == distributed.Ranks() and ranks.is_main and not ranks.distributed
        assert ranks.from_main("mine") == "mine"
    import torch.distributed

    assert not torch.distributed.is_initialized()


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan"])
def test_a_bad_stage_timeout_is_named_before_any_process_group_starts(monkeypatch, value):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv(distributed.WAIT_VARIABLE, value)
    with pytest.raises(ConfigError, match=distributed.WAIT_VARIABLE):
        with distributed.joined():
            pass


@pytest.mark.slow
def test_two_processes_share_one_run_and_resume_it(tmp_path, base_model):
    root = tmp_path / "run"
    config = quick_config(root, base_model)
    # small batches, so that splitting them over two ranks changes the number of optimiser steps
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, batch_size=4))
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config.to_dict()))

    first = launch(config_file, tmp_path / "first")
    assert len(stages(first, 0)) == STAGE_COUNT
    assert stages(first, 1) == [(1, "checkpoint")]  # rank 1 only trains
    assert [e for e in first if e["rank"] == 1 and "write" in e] == []
    assert any(e["rank"] == 0 and "write" in e for e in first)  # the audit hook does see rank 0's writes

    metrics = json.loads((root / "iter_01" / "metrics.json").read_text())
    kept = [json.loads(line) for line in (root / "iter_01" / "train.jsonl").read_text().splitlines()]
    checkpoint = root / "iter_01" / loop.OUTPUTS["checkpoint"]
    assert metrics["estep"]["kept"] == len(kept) > 0
    assert metrics["mstep"] == json.loads((checkpoint / TRAINING_RECORD).read_text())
    assert metrics["mstep"]["examples"] + metrics["mstep"]["dropped"] == len(kept)
    train = config.train
    per_step = train.batch_size * train.gradient_accumulation_steps * 2  # both ranks' batches
    assert metrics["mstep"]["steps"] == math.ceil(metrics["mstep"]["examples"] / per_step) * train.epochs
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(checkpoint)
    assert sorted(p.name for p in checkpoint.iterdir() if "partial" in p.name or "scratch" in p.name) == []
    assert not [p for p in root.rglob("*") if "partial" in p.name]

    before = {p: p.stat().st_mtime_ns for p in root.glob("iter_*/**/*") if p.is_file()}  # every stage's output
    again = launch(config_file, tmp_path / "again")
    assert stages(again, 0) == [] and stages(again, 1) == []
    assert [e for e in again if e["rank"] == 1 and "write" in e] == []
    assert {p: p.stat().st_mtime_ns for p in before} == before

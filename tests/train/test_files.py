"""Atomic outputs: a write that fails half-way leaves neither the file nor a temporary behind."""

from __future__ import annotations

import pytest

from rest_train.run.files import atomic_directory, read_jsonl, remove_partials, write_jsonl


def records_then_crash():
    yield {"a": 1}
    yield {"a": 2}
    raise KeyboardInterrupt("killed while writing")


def test_a_failed_jsonl_write_leaves_nothing(tmp_path):
    target = tmp_path / "samples.jsonl"
    with pytest.raises(KeyboardInterrupt):
        write_jsonl(target, records_then_crash())
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "samples.jsonl"
    write_jsonl(target, [{"a": 0}])
    with pytest.raises(KeyboardInterrupt):
        write_jsonl(target, records_then_crash())
    assert read_jsonl(target) == [{"a": 0}]
    assert [p.name for p in tmp_path.iterdir()] == ["samples.jsonl"]


def test_atomic_directory_appears_only_when_complete(tmp_path):
    target = tmp_path / "checkpoint"
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as temporary:
            (temporary / "model.bin").write_text("half")
            raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []
    with atomic_directory(target) as temporary:
        (temporary / "model.bin").write_text("whole")
    assert (target / "model.bin").read_text() == "whole"


def test_remove_partials_clears_what_a_killed_process_left(tmp_path):
    (tmp_path / "train.jsonl.partial-x1").write_text("{")
    (tmp_path / "checkpoint.partial-x2").mkdir()
    (tmp_path / "train.jsonl").write_text("{}\n")
    remove_partials(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]

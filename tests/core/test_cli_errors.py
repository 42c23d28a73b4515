"""Errors a user can cause end in one line naming the problem and exit status 2, through the real CLI;
`--debug` and REST_EM_DEBUG=1 show the traceback instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-c", "from rest_verify.cli import main; main()"]


def rest_em(*args: str, env: dict[str, str] | None = None, prelude: str = "") -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", prelude + "from rest_verify.cli import main; main()"] if prelude else CLI
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "REST_EM_DEBUG": "", **(env or {})})


def assert_one_line_error(done: subprocess.CompletedProcess, *expected: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and all(part in last for part in expected), last


@pytest.fixture
def answers(tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps({"completion": "4", "reference": "4"}) + "\n")
    return path


def test_missing_input_file(tmp_path):
    assert_one_line_error(rest_em("grade", str(tmp_path / "missing.jsonl"), "-v", "exact"),
                          "missing.jsonl: No such file or directory")


def test_unreadable_input_file(answers):
    assert_one_line_error(rest_em("grade", str(answers / "inner.jsonl"), "-v", "exact"),
                          "inner.jsonl: Not a directory")


def test_unwritable_output_file(answers, tmp_path):
    assert_one_line_error(rest_em("grade", str(answers), "-v", "exact", "-o", str(tmp_path / "no" / "dir" / "o.jsonl")),
                          "o.jsonl: No such file or directory")


def test_unknown_verifier(answers):
    assert_one_line_error(rest_em("grade", str(answers), "-v", "no-such"), "no verifier named 'no-such'", "exact")
    assert_one_line_error(rest_em("check", "no-such"), "no verifier named 'no-such'")


def test_bad_option_value(answers):
    assert_one_line_error(rest_em("grade", str(answers), "-v", "exact", "--workers", "-1"),
                          "Invalid value for '--workers'")


def test_a_file_that_cannot_be_a_cache(answers, tmp_path):
    cache = tmp_path / "verdicts.sqlite"
    cache.write_text("not a database, just text that is long enough to have a header\n" * 20)
    expected = (str(cache), "cannot use it as a verdict cache")
    assert_one_line_error(rest_em("grade", str(answers), "-v", "exact", "-w", "0", "--cache", str(cache)), *expected)
    assert_one_line_error(rest_em("serve", "-v", "exact", "--port", "0", "--cache", str(cache)), *expected)


def test_debug_flag_and_variable_show_the_traceback(tmp_path):
    missing = str(tmp_path / "missing.jsonl")
    for done in (rest_em("--debug", "grade", missing, "-v", "exact"),
                 rest_em("grade", missing, "-v", "exact", env={"REST_EM_DEBUG": "1"})):
        assert done.returncode != 0
        assert "Traceback" in done.stderr and "FileNotFoundError" in done.stderr


def test_check_runs_without_pytest():
    done = rest_em("check", "exact", prelude="import sys; sys.modules['pytest'] = None\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith("passed, 0 failed")

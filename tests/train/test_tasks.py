"""The MATH and GSM8K loaders on real rows copied from the public data sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from rest_verify.errors import InvalidRecordError
from rest_train.tasks import Gsm8kJsonlTask, MathJsonlTask, last_boxed

FIXTURES = Path(__file__).parent / "fixtures"


def test_math500_rows_use_their_answer_field():
    problems = list(MathJsonlTask().load(FIXTURES / "math500_sample.jsonl"))
    assert [p.reference for p in problems] == ["\\frac{14}{3}", "2220", "-50", "6+9i", "52_8"]
    assert problems[0].id == "test/algebra/2584.json"
    assert problems[0].domain == "math" and "\\boxed" in problems[0].meta["solution"]


def test_math_test_rows_take_the_last_boxed_answer_and_exclude_math500():
    task = MathJsonlTask()
    everything = list(task.load(FIXTURES / "math_test_sample.jsonl"))
    assert len(everything) == 5
    assert all(p.reference == last_boxed(p.meta["solution"]) for p in everything)
    kept = list(task.load(FIXTURES / "math_test_sample.jsonl", exclude="math500_sample.jsonl"))
    assert len(kept) == 3
    held_out = {p.prompt for p in task.load(FIXTURES / "math500_sample.jsonl")}
    assert not held_out & {p.prompt for p in kept}


def test_math_prompt_is_few_shot_and_ends_where_the_solution_starts():
    task = MathJsonlTask()
    problem = next(iter(task.load(FIXTURES / "math500_sample.jsonl")))
    prompt = task.format_prompt(problem)
    assert prompt.count("Problem:") == 5 and prompt.endswith(problem.prompt + "\n\nSolution:\n")
    assert task.verifier == "math" and task.stop == ("\n\nProblem:",)


def test_gsm8k_reference_is_the_number_after_the_hashes():
    problems = list(Gsm8kJsonlTask().load(FIXTURES / "gsm8k_sample.jsonl"))
    assert [p.reference for p in problems] == ["18", "3", "70000"]
    assert "<<" not in problems[0].meta["solution"]
    assert Gsm8kJsonlTask().format_prompt(problems[0]).endswith("\n\nAnswer:\n")


def test_last_boxed_balances_braces():
    assert last_boxed("so $\\boxed{\\frac{1}{2}}$ and") == "\\frac{1}{2}"
    assert last_boxed("\\boxed{1} then \\fbox{2}") == "2"
    assert last_boxed("no answer") is None
    assert last_boxed("\\boxed{unclosed") is None


@pytest.mark.parametrize("line, message", [
    ("not json", "not JSON"),
    ('["a list"]', "JSON object"),
    ('{"solution": "x"}', "'problem'"),
    ('{"problem": "p", "solution": "no box"}', "no 'answer'"),
])
def test_bad_math_rows_name_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"problem": "p", "answer": "1"}\n' + line + "\n")
    with pytest.raises(InvalidRecordError, match=f"bad.jsonl:2: .*{message}"):
        list(MathJsonlTask().load(path))


def test_bad_gsm8k_rows_and_missing_files_are_errors(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "q", "answer": "no hashes"}\n')
    with pytest.raises(InvalidRecordError, match="#### N"):
        list(Gsm8kJsonlTask().load(path))
    with pytest.raises(InvalidRecordError, match="does not exist"):
        list(Gsm8kJsonlTask().load(tmp_path / "missing.jsonl"))

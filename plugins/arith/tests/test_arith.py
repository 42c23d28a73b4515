"""The arith task and verifier: exact integer answers, seeded problems, disjoint splits, honest noise."""

from __future__ import annotations

import pytest

from rest_verify import Problem, Status
from rest_verify.errors import InvalidRecordError
from rest_verify.testing import VerifierSuite
from rest_em_arith import ArithTask, ArithVerifier, extract_answer
from rest_em_arith.task import split_of

PROBLEM = Problem("p", "12+5-3", 14, "arith")


class TestConformance(VerifierSuite):
    verifier = ArithVerifier()


@pytest.mark.parametrize("completion, status, answer", [
    ("12+5=17\n17-3=14\nAnswer: 14", Status.CORRECT, "14"),
    ("Answer: +014 ", Status.CORRECT, "14"),
    ("Answer: 13\nAnswer: 14", Status.CORRECT, "14"),  # the last answer line counts
    ("Answer: 14\nAnswer: 13", Status.WRONG, "13"),
    ("12+5=17\n17-3=14", Status.NO_ANSWER, None),
    ("", Status.NO_ANSWER, None),
    ("Answer: fourteen", Status.WRONG, "fourteen"),
    ("Answer: 14.0", Status.WRONG, "14.0"),
])
def test_verdicts(completion, status, answer):
    verdict = ArithVerifier().verify(PROBLEM, completion)
    assert verdict.status is status
    assert verdict.reward == (1.0 if status is Status.CORRECT else 0.0)
    assert verdict.info.get("answer") == answer


def test_bad_inputs_are_invalid_not_exceptions():
    verifier = ArithVerifier()
    assert verifier.verify(Problem("p", "x", "1.5"), "Answer: 1").status is Status.INVALID_INPUT
    assert verifier.verify(Problem("p", "x", True), "Answer: 1").status is Status.INVALID_INPUT
    assert verifier.verify(PROBLEM, None).status is Status.INVALID_INPUT
    assert verifier.verify(Problem("p", "x", "-2"), "Answer: -2").correct


def test_extract_answer():
    assert extract_answer("a\nAnswer:  7 \nb") == "7"
    assert extract_answer("no answer here") is None


def test_problems_are_seeded_unique_and_solved_by_their_worked_solution():
    task = ArithTask()
    first = list(task.load(count=50, seed=4))
    assert first == list(task.load(count=50, seed=4))
    assert first != list(task.load(count=50, seed=5))
    assert len({p.id for p in first}) == len({p.prompt for p in first}) == 50
    verifier = ArithVerifier()
    assert all(verifier.verify(p, p.meta["solution"]).correct for p in first)
    assert all(0 <= p.reference <= 99 for p in first)
    assert task.format_prompt(first[0]) == f"Q: {first[0].prompt}\n"


def test_splits_are_disjoint():
    task = ArithTask()
    train = {p.prompt for p in task.load(split="train", count=300, seed=1)}
    test = {p.prompt for p in task.load(split="test", count=100, seed=1)}
    assert not train & test
    assert all(split_of(expression) == "test" for expression in test)


def test_slipped_solutions_are_wrong_and_as_frequent_as_asked():
    problems = list(ArithTask().load(count=1000, seed=0, slip_rate=0.5, max_value=9, steps=4))
    verifier = ArithVerifier()
    slipped = [p for p in problems if p.meta["slipped"]]
    assert 0.45 < len(slipped) / len(problems) < 0.55
    assert not any(verifier.verify(p, p.meta["solution"]).correct for p in slipped)
    assert all(verifier.verify(p, p.meta["solution"]).correct for p in problems if not p.meta["slipped"])
    assert all(0 <= p.reference <= 9 and p.prompt.count("+") + p.prompt.count("-") == 4 for p in problems)


@pytest.mark.parametrize("options", [
    {"split": "validation"}, {"steps": 0}, {"slip_rate": 1.5}, {"max_operand": 0}, {"max_start": 120},
    {"count": 10_000, "max_value": 1, "steps": 1},
])
def test_bad_options_are_clear_errors(options):
    with pytest.raises(InvalidRecordError):
        list(ArithTask().load(**options))


def test_a_path_is_refused():
    with pytest.raises(InvalidRecordError, match="reads no file"):
        list(ArithTask().load("problems.jsonl"))


def test_registered_through_the_entry_point():
    from rest_verify.plugins import load_registry

    registry = load_registry(pinned=["rest-em-arith"])
    assert registry.registration("tasks", "arith").distribution == "rest-em-arith"
    assert registry.registration("verifiers", "arith").distribution == "rest-em-arith"

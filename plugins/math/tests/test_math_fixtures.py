"""Real MATH-500 and GSM8K rows (tests/fixtures): every reference solution grades as correct."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rest_verify.types import Problem

from rest_em_math.verifier import GSM8KVerifier, MathVerifier

FIXTURES = Path(__file__).with_name("fixtures")
MATH500 = [json.loads(line) for line in (FIXTURES / "math500_sample.jsonl").read_text(encoding="utf-8").splitlines()]
GSM8K = [json.loads(line) for line in (FIXTURES / "gsm8k_sample.jsonl").read_text(encoding="utf-8").splitlines()]


def test_sample_sizes() -> None:
    assert len(MATH500) == 40 and len(GSM8K) == 20


@pytest.mark.parametrize("row", MATH500, ids=[row["unique_id"] for row in MATH500])
def test_math500_solution_matches_answer(row: dict) -> None:
    verifier = MathVerifier()
    verdict = verifier.verify(Problem(row["unique_id"], row["problem"], row["answer"], "math"), row["solution"])
    assert verdict.correct, verdict
    as_solution = Problem(row["unique_id"], row["problem"], row["solution"], "math")
    assert verifier.verify(as_solution, f"The answer is $\\boxed{{{row['answer']}}}$.").correct


WITH_DIGITS = [row for row in MATH500 if re.search(r"\d", row["answer"])]  # the others have no number to shift


@pytest.mark.parametrize("row", WITH_DIGITS, ids=[row["unique_id"] for row in WITH_DIGITS])
def test_math500_off_by_one_is_wrong(row: dict) -> None:
    first = re.search(r"\d+", row["answer"])
    wrong = row["answer"][:first.start()] + str(int(first.group()) + 1) + row["answer"][first.end():]
    verdict = MathVerifier().verify(Problem(row["unique_id"], reference=row["answer"]), f"\\boxed{{{wrong}}}")
    assert not verdict.correct, (row["answer"], wrong)


@pytest.mark.parametrize("index", range(len(GSM8K)))
def test_gsm8k_solution_matches_answer(index: int) -> None:
    row = GSM8K[index]
    number = row["answer"].split("####")[-1].strip()
    verifier = GSM8KVerifier()
    assert verifier.verify(Problem(str(index), row["question"], number, "gsm8k"), row["answer"]).correct
    assert verifier.verify(Problem(str(index), row["question"], row["answer"], "gsm8k"), row["answer"]).correct
    assert not verifier.verify(Problem(str(index), row["question"], number, "gsm8k"), f"#### {number}1").correct

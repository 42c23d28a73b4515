"""Whole model completions (tests/completions.txt, and tests/unmarked.txt for completions without an answer
marker): extraction and equivalence together, as graded."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_verify.types import Problem

from rest_em_math.verifier import GSM8KVerifier, MathVerifier

COMPLETIONS_FILES = (Path(__file__).with_name("completions.txt"), Path(__file__).with_name("unmarked.txt"))
VERIFIERS = {"math": MathVerifier(), "math:strict": MathVerifier(extraction="strict"), "gsm8k": GSM8KVerifier()}


def load_completions() -> list[tuple[str, str, str, str]]:
    rows = []
    lines = [(path.name, number, line) for path in COMPLETIONS_FILES
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    for name, number, line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(";;")]
        if len(fields) != 4 or fields[0] not in VERIFIERS:
            raise ValueError(f"{name}:{number}: expected 'verifier ;; ref ;; completion ;; status'")
        rows.append((fields[0], fields[1], fields[2].replace("\\n", "\n"), fields[3]))
    return rows


ROWS = load_completions()


def test_table_covers_both_verifiers_and_outcomes() -> None:
    assert len(ROWS) >= 80
    assert {row[0] for row in ROWS} == set(VERIFIERS)
    assert {row[3] for row in ROWS} >= {"correct", "wrong", "no_answer"}


@pytest.mark.parametrize("verifier,reference,completion,status", ROWS,
                         ids=[f"{r[0]}:{r[1]}|{r[2][-40:]}" for r in ROWS])
def test_completion(verifier: str, reference: str, completion: str, status: str) -> None:
    verdict = VERIFIERS[verifier].verify(Problem("case", "", reference, verifier), completion)
    assert verdict.status.value == status, verdict.detail

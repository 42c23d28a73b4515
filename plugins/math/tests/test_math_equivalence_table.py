"""The labelled equivalence table (tests/cases.txt): every rule has positives and hard negatives."""

from __future__ import annotations

from pathlib import Path

import pytest

from rest_em_math.equivalence import equivalent

CASES_FILE = Path(__file__).with_name("cases.txt")


def load_cases() -> list[tuple[str, str, str, bool]]:
    cases = []
    for number, line in enumerate(CASES_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(";;")]
        if len(fields) != 4 or fields[3] not in ("yes", "no"):
            raise ValueError(f"{CASES_FILE.name}:{number}: expected 'category ;; ref ;; answer ;; yes|no'")
        cases.append((fields[0], fields[1], fields[2], fields[3] == "yes"))
    return cases


CASES = load_cases()


def test_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 300
    assert sum(expected for *_, expected in CASES) >= 150
    assert sum(not expected for *_, expected in CASES) >= 100


@pytest.mark.parametrize("category,reference,answer,expected", CASES,
                         ids=[f"{c[0]}:{c[1]}|{c[2]}" for c in CASES])
def test_case(category: str, reference: str, answer: str, expected: bool) -> None:
    equal, rule = equivalent(reference, answer)
    assert equal is expected, f"{category}: {reference!r} vs {answer!r} decided by {rule}"


# The one directional rule: a candidate's decimal comma is read against a reference's point, never the
# other way, because a reference `1,2` is a list of two answers.
SYMMETRIC = [case for case in CASES if case[0] != "decimal comma"]


@pytest.mark.parametrize("category,reference,answer,expected", SYMMETRIC,
                         ids=[f"{c[0]}:{c[2]}|{c[1]}" for c in SYMMETRIC])
def test_case_is_symmetric(category: str, reference: str, answer: str, expected: bool) -> None:
    assert equivalent(answer, reference)[0] is expected


def test_a_decimal_comma_is_read_on_the_candidates_side_only() -> None:
    assert equivalent("1000.99", "1000,99")[0] and not equivalent("1000,99", "1000.99")[0]
    assert not equivalent("1,2", "1.2")[0]

"""pass@k against brute-force enumeration, and majority voting."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from rest_train.run.metrics import maj_at_k, majority_correct, pass_at_k, summarise, vote_key


def brute_force_pass_at_k(n: int, c: int, k: int) -> Fraction:
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return Fraction(sum(any(outcomes[i] for i in subset) for subset in subsets), len(subsets))


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_equals_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(float(brute_force_pass_at_k(n, c, k)), abs=1e-12)


def test_pass_at_k_is_stable_for_large_n():
    assert pass_at_k(1000, 1, 1) == pytest.approx(0.001)
    assert pass_at_k(10_000, 5000, 100) == pytest.approx(1.0)
    assert 0.0 <= pass_at_k(10_000, 3, 50) <= 1.0


@pytest.mark.parametrize("n, c, k", [(4, 5, 1), (4, -1, 1), (4, 2, 0), (4, 2, 5)])
def test_pass_at_k_rejects_impossible_counts(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_majority_ignores_unanswered_and_breaks_ties_by_first_seen():
    assert majority_correct(["3", "5", "5", None, None, None], [True, False, False, False, False, False]) is False
    assert majority_correct(["5", "3", "3"], [False, True, True]) is True
    assert majority_correct(["3", "5"], [True, False]) is True  # tie: first seen wins
    assert majority_correct([None, None], [False, False]) is False


def test_maj_at_k_averages_disjoint_groups():
    answers = ["1", "1", "2", "2", "2", "1"]
    correct = [a == "1" for a in answers]
    assert maj_at_k(answers, correct, 3) == 0.5  # group 1 votes 1 (right), group 2 votes 2 (wrong)
    assert maj_at_k(answers, correct, 1) == pytest.approx(0.5)
    assert maj_at_k(answers, correct, 6) == 1.0  # 3-3 tie, "1" seen first
    with pytest.raises(ValueError):
        maj_at_k(answers, correct, 7)


def test_vote_key_prefers_the_verifier_answer():
    assert vote_key({"answer": 42}, "whatever") == "42"
    assert vote_key({}, "  text \n") == "text"
    assert vote_key({}, "   ") is None


def test_summarise_gives_fractions_per_k():
    per_problem = {"a": [(True, "1"), (False, "2"), (True, "1"), (False, "3")],
                   "b": [(False, "7"), (False, "7"), (False, "8"), (False, None)]}
    result = summarise(per_problem, [1, 2, 4])
    assert result["pass@1"] == pytest.approx(0.25)
    assert result["pass@k"]["4"] == pytest.approx(0.5)
    assert result["pass@k"]["2"] == pytest.approx((1 - 1 / 6) / 2)
    assert result["maj@k"]["4"] == pytest.approx(0.5)
    assert result["problems"] == 2 and result["samples_per_problem"] == 4
    with pytest.raises(ValueError):
        summarise({"a": [(True, "1")], "b": [(True, "1"), (True, "1")]}, [1])

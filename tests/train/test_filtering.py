"""The E-step filter: threshold, per-problem cap, dedupe."""

from __future__ import annotations

import pytest

from rest_train.run.filtering import select


def sample(problem: str, completion: str) -> dict:
    return {"problem_id": problem, "prompt": f"Q {problem}", "completion": completion}


def test_keeps_rewarded_samples_in_order_with_their_reward():
    samples = [sample("a", "x"), sample("a", "y"), sample("b", "z")]
    kept = list(select(samples, [1.0, 0.0, 1.0]))
    assert [(k["problem_id"], k["completion"], k["reward"]) for k in kept] == [("a", "x", 1.0), ("b", "z", 1.0)]
    assert kept[0]["prompt"] == "Q a"


def test_caps_per_problem_after_dedupe():
    samples = [sample("a", "same"), sample("a", " same\n"), sample("a", "other"), sample("a", "third"),
               sample("b", "same")]
    kept = list(select(samples, [1.0] * 5, max_per_problem=2))
    assert [(k["problem_id"], k["completion"]) for k in kept] == [("a", "same"), ("a", "other"), ("b", "same")]


def test_without_dedupe_repeats_count_toward_the_cap():
    samples = [sample("a", "same")] * 3
    assert len(list(select(samples, [1.0] * 3, max_per_problem=10, dedupe=False))) == 3
    assert len(list(select(samples, [1.0] * 3, max_per_problem=10, dedupe=True))) == 1


def test_threshold_keeps_real_valued_rewards_at_or_above_it():
    samples = [sample("a", str(i)) for i in range(4)]
    kept = list(select(samples, [0.2, 0.5, 0.7, 1.0], threshold=0.5))
    assert [k["reward"] for k in kept] == [0.5, 0.7, 1.0]


def test_mismatched_lengths_and_bad_cap_are_errors():
    with pytest.raises(ValueError):
        list(select([sample("a", "x")], [1.0, 1.0]))
    with pytest.raises(ValueError):
        list(select([sample("a", "x")], [1.0], max_per_problem=0))

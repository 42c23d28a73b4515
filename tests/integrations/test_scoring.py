import logging
import pickle

import pytest

from integration_verifiers import Sleepy
from rest_verify.errors import UnknownNameError
from rest_verify.integrations.scoring import Scorer, completion_text, status_flags


@pytest.mark.parametrize("completion, text", [
    ("plain\n42", "plain\n42"),
    ([{"role": "assistant", "content": "42"}], "42"),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}, {"role": "tool", "content": "t"}], "a"),
    ([{"role": "assistant", "content": [{"type": "text", "text": "4"}, {"type": "text", "text": "2"}]}], "42"),
    ({"role": "assistant", "content": "7"}, "7"),
    ([{"role": "user", "content": "only a user turn"}], "only a user turn"),
    (None, None),
    (12, 12),
])
def test_completion_text_takes_the_last_assistant_message(completion, text):
    assert completion_text(completion) == text


def test_unknown_verifier_fails_at_construction_listing_installed_names():
    with pytest.raises(UnknownNameError, match="exact"):
        Scorer("no-such-verifier")


def test_scores_in_order_counts_statuses_and_survives_pickling():
    scorer = Scorer("exact", workers=1, timeout=5)
    try:
        verdicts = scorer.score(["work\n42", "41", [{"role": "assistant", "content": "Paris"}], 3],
                                ["42", "42", "paris", "3"])
        assert [v.status.value for v in verdicts] == ["correct", "wrong", "correct", "invalid_input"]
        assert scorer.counts == {"correct": 2, "wrong": 1, "invalid_input": 1}
        clone = pickle.loads(pickle.dumps(scorer))
        try:
            assert [v.reward for v in clone.score(["42"], ["42"])] == [1.0]
            assert clone.counts == {"correct": 1}
        finally:
            clone.close()
    finally:
        scorer.close()


def test_failures_score_zero_and_are_logged_not_swallowed(caplog):
    scorer = Scorer(Sleepy(), workers=1, timeout=0.5)
    try:
        with caplog.at_level(logging.WARNING, logger="rest_verify.integrations"):
            verdicts = scorer.score(["ok", "sleep:30", "raise", "ok"], ["ok", "x", "x", "no"])
        assert [v.status.value for v in verdicts] == ["correct", "timeout", "error", "wrong"]
        assert [v.reward for v in verdicts] == [1.0, 0.0, 0.0, 0.0]
        message = caplog.records[-1].getMessage()
        assert "2 of 4 items could not be graded" in message and "timeout 1" in message and "error 1" in message
    finally:
        scorer.close()


def test_status_flags_are_per_item_columns():
    scorer = Scorer("exact", workers=0)
    flags = status_flags(scorer.score(["1", "2", ""], ["1", "1", "1"]))
    assert flags["correct"] == [1.0, 0.0, 0.0] and flags["no_answer"] == [0.0, 0.0, 1.0]
    assert set(flags) == {"correct", "no_answer", "error", "timeout", "invalid_input"}


def test_mismatched_lengths_are_a_caller_error():
    with pytest.raises(ValueError, match="2 completions but 1 references"):
        Scorer("exact", workers=0).score(["a", "b"], ["a"])


def test_numpy_references_are_graded_as_plain_values():
    np = pytest.importorskip("numpy")
    scorer = Scorer("exact", workers=0)
    verdicts = scorer.score(["7", "ok"], [np.int64(7), np.str_("ok")])
    assert [v.status.value for v in verdicts] == ["correct", "correct"]

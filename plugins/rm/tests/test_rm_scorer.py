"""The reward-model scorer: status mapping, batching, determinism, truncation, errors, engine path, kit."""

from __future__ import annotations

import math
import pickle
import time

import pytest
from click.testing import CliRunner

from rest_em_rm import CHECKPOINT_VARIABLE, CallableScorer, RewardModelError, TransformersScorer
from rest_verify import Grader, Problem, Status, grade
from rest_verify.batched import scores_in_batches

PROBLEMS = [Problem(f"p{i % 7}", f"{i}+{i % 5}=?", None, "arith") for i in range(40)]
COMPLETIONS = [f"{i}+{i % 5}={2 * i}\nAnswer: {i + i % 5}" * (1 + i % 4) for i in range(40)]


def length_score(prompts: list[str], completions: list[str]) -> list[float]:
    return [len(c) / 10 for c in completions]


def fails_on_seven(prompts: list[str], completions: list[str]) -> list[float]:
    if any("7" in c for c in completions):
        raise ValueError("seven")
    return [1.0] * len(completions)


def numbered(prompts: list[str], completions: list[str]) -> list[float]:
    return [float(c) for c in completions]


def sleeps(prompts: list[str], completions: list[str]) -> list[float]:
    time.sleep(30)
    return [0.0] * len(completions)


def test_scores_are_the_same_across_batch_sizes(reward_model):
    reference = TransformersScorer(str(reward_model), max_length=48, batch_size=1).verify_batch(PROBLEMS, COMPLETIONS)
    for batch_size in (3, 16, 64):
        verdicts = TransformersScorer(str(reward_model), max_length=48, batch_size=batch_size).verify_batch(
            PROBLEMS, COMPLETIONS)
        assert all(v.status is Status.CORRECT for v in verdicts)
        assert max(abs(a.reward - b.reward) for a, b in zip(reference, verdicts)) < 1e-5
    assert len({round(v.reward, 6) for v in reference}) > 10  # a real model: the scores differ by input


def test_over_long_inputs_are_cut_and_flagged(reward_model):
    scorer = TransformersScorer(str(reward_model), max_length=24, batch_size=8)
    short, long = scorer.verify_batch(PROBLEMS[:2], ["Answer: 1", "x" * 500 + "\nAnswer: 1"])
    assert short.info["truncated"] is False and long.info["truncated"] is True
    assert long.status is Status.CORRECT and math.isfinite(long.reward)
    megabyte = scorer.verify(PROBLEMS[1], "9" * (1 << 20))
    assert megabyte.info["truncated"] is True and math.isfinite(megabyte.reward)
    # the completion's tail survives the cut: the same tail after other junk scores the same
    other = scorer.verify(PROBLEMS[1], "y" * 900 + "x" * 500 + "\nAnswer: 1")
    assert abs(other.reward - long.reward) < 1e-5


def test_status_mapping_and_normalisation(reward_model):
    raw = TransformersScorer(str(reward_model), max_length=48)
    squashed = raw.configure(normalise="sigmoid")
    empty, blank, scored = raw.verify_batch(PROBLEMS[:3], ["", " \n", "Answer: 3"])
    assert (empty.status, empty.reward) == (Status.NO_ANSWER, 0.0)
    assert blank.status is Status.NO_ANSWER
    assert scored.status is Status.CORRECT and scored.reward == scored.info["score"]
    assert squashed.verify(PROBLEMS[2], "Answer: 3").reward == pytest.approx(1 / (1 + math.exp(-scored.reward)))
    assert squashed.version != raw.version  # normalisation changes rewards, so it keys the cache
    assert raw.verify(PROBLEMS[0], 42).status is Status.INVALID_INPUT  # type: ignore[arg-type]


def test_a_checkpoint_that_is_not_a_sequence_classifier_is_a_clear_error(causal_lm, tmp_path):
    with pytest.raises(RewardModelError, match="GPT2LMHeadModel, not a sequence classifier"):
        TransformersScorer(str(causal_lm))
    with pytest.raises(RewardModelError, match="not a readable transformers checkpoint"):
        TransformersScorer(str(tmp_path))


def test_an_unconfigured_scorer_says_how_to_configure_it(monkeypatch):
    monkeypatch.delenv(CHECKPOINT_VARIABLE, raising=False)
    verdict = TransformersScorer().verify(PROBLEMS[0], "Answer: 1")
    assert verdict.status is Status.ERROR and CHECKPOINT_VARIABLE in verdict.detail


def test_one_failing_item_does_not_sink_its_batch():
    scorer = CallableScorer(fails_on_seven, name="sevens", version="1", batch_size=8)
    verdicts = scorer.verify_batch(PROBLEMS[:10], [f"item {i}" for i in range(10)])
    assert [v.status for v in verdicts] == [Status.CORRECT] * 7 + [Status.ERROR] + [Status.CORRECT] * 2
    assert "seven" in verdicts[7].detail


def test_the_engine_scores_in_batches_in_one_process_and_caches_like_verdicts(reward_model, tmp_path):
    scorer = TransformersScorer(str(reward_model), max_length=48, batch_size=16)
    assert scores_in_batches(scorer)
    direct = scorer.verify_batch(PROBLEMS, COMPLETIONS)
    cache = tmp_path / "scores.sqlite"
    with Grader(scorer, workers=2, timeout=60, cache=str(cache), progress=False) as grader:
        through_engine = grader.grade(PROBLEMS, COMPLETIONS)
        assert [w for w in grader._pool] == []  # no per-item worker pool was started
    assert max(abs(a.reward - b.reward) for a, b in zip(direct, through_engine)) < 1e-5
    # a second run reads every score from the cache: an in-process grader with a scorer that cannot score
    broken = TransformersScorer(str(reward_model), max_length=48, batch_size=16)
    broken._score = None  # type: ignore[method-assign]
    again = grade(PROBLEMS, COMPLETIONS, broken, workers=0, cache=str(cache), progress=False)
    assert [v.reward for v in again] == [v.reward for v in through_engine]


def test_a_batch_past_its_deadline_gets_timeouts_and_the_next_batch_a_fresh_process():
    scorer = CallableScorer(sleeps, name="sleeper", version="1", batch_size=4)
    started = time.monotonic()
    verdicts = grade(PROBLEMS[:4], COMPLETIONS[:4], scorer, workers=1, timeout=1.0, cache=False, progress=False)
    assert time.monotonic() - started < 25
    assert [v.status for v in verdicts] == [Status.TIMEOUT] * 4


def test_a_batch_interrupted_after_sending_never_hands_its_scores_to_the_next_batch(monkeypatch):
    from multiprocessing.connection import Connection

    scorer = CallableScorer(numbered, name="numbered", version="1", batch_size=2)
    interrupt = []
    real_poll = Connection.poll

    def ctrl_c_once_the_reply_is_in(conn, timeout=0.0):  # Ctrl-C lands between send and recv
        readable = real_poll(conn, timeout)
        if readable and interrupt:
            interrupt.clear()
            raise KeyboardInterrupt
        return readable

    monkeypatch.setattr(Connection, "poll", ctrl_c_once_the_reply_is_in)
    pairs = [(Problem(f"n{i}", "?", None, "rm"), str(i)) for i in range(1, 7)]
    with Grader(scorer, workers=1, timeout=30, progress=False) as grader:
        assert [v.reward for v in grader.grade(*zip(*pairs[:2]))] == [1.0, 2.0]  # the process is up
        interrupt.append(True)
        with pytest.raises(KeyboardInterrupt):
            grader.grade(*zip(*pairs[2:4]))
        assert [v.reward for v in grader.grade(*zip(*pairs[4:]))] == [5.0, 6.0]
        assert [v.reward for v in grader.grade(*zip(*pairs[2:4]))] == [3.0, 4.0]  # nothing wrong was cached


def test_a_reply_to_an_earlier_batch_is_discarded_not_read_as_the_current_ones():
    import subprocess
    from multiprocessing import Pipe

    from rest_verify.batched import BatchedScoring

    scorer = CallableScorer(numbered, name="numbered", version="1")
    scoring = BatchedScoring(scorer, in_process=False, timeout=5, lookup=lambda p, c: (None, None),
                             remember=lambda key, verdict: None)
    ours, theirs = Pipe()
    theirs.send((1, ["stale"]))
    theirs.send((2, ["fresh"]))
    process = subprocess.Popen(["sleep", "30"])  # a scoring process that is alive, as far as the wait can tell
    try:
        assert scoring._reply(process, ours, 2) == ["fresh"]
    finally:
        process.kill()
        process.wait(5)


def test_the_scorer_survives_pickling_without_its_model(reward_model):
    scorer = TransformersScorer(str(reward_model), max_length=48)
    scorer.prepare()
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone._model is None
    assert clone.verify(PROBLEMS[0], "Answer: 0").reward == pytest.approx(scorer.verify(PROBLEMS[0], "Answer: 0").reward)


def test_rest_em_check_and_plugins_list_the_registered_scorer(reward_model, monkeypatch):
    from rest_verify.cli import main
    from rest_verify.plugins import reset_registry

    monkeypatch.setenv(CHECKPOINT_VARIABLE, str(reward_model))
    monkeypatch.setenv("REST_EM_PLUGINS", "rest-em-rm")
    reset_registry()
    try:
        listed = CliRunner().invoke(main, ["plugins"])
        assert listed.exit_code == 0 and "rest-em-rm" in listed.output
        checked = CliRunner().invoke(main, ["check", "rm", "--deadline", "60"])
        assert checked.exit_code == 0, checked.output
        assert "0 failed" in checked.output
    finally:
        reset_registry()


def test_the_dtype_option_sets_the_type_the_models_score_in_and_keys_the_cache(reward_model, causal_lm):
    import torch

    from rest_em_rm.likelihood import LikelihoodScorer

    float32 = TransformersScorer(str(reward_model))
    bf16 = float32.configure(dtype="bfloat16")
    bf16.prepare()
    assert bf16._model.dtype == torch.bfloat16 and float32.dtype == "float32"
    assert bf16.version != float32.version and bf16.version.endswith("bfloat16")
    scores = [v.reward for v in bf16.verify_batch(PROBLEMS[:4], COMPLETIONS[:4])]
    expected = [v.reward for v in float32.verify_batch(PROBLEMS[:4], COMPLETIONS[:4])]
    assert scores == pytest.approx(expected, abs=0.05)  # the same model, in fewer bits
    likelihood = LikelihoodScorer(str(causal_lm), reference=str(causal_lm), dtype="bfloat16")
    likelihood.prepare()
    assert likelihood._model.dtype == likelihood._reference_model.dtype == torch.bfloat16
    with pytest.raises(ValueError, match="dtype must be one of 'auto', 'float32', 'bfloat16', 'float16'"):
        float32.configure(dtype="int8")

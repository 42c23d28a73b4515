"""The likelihood scorer: what it scores, against a reference, across batches, cut to fit, and its errors."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

from rest_em_rm import CHECKPOINT_VARIABLE, LikelihoodScorer, RewardModelError
from rest_verify import Grader, Problem, Status

PROBLEMS = [Problem(f"p{i % 5}", f"{i}+{i % 4}", None, "arith") for i in range(24)]
COMPLETIONS = [f"{i}+{i % 4}={i + i % 4}\nAnswer: {i + i % 4}" * (1 + i % 3) for i in range(24)]


def completion_log_probs(path, prompt: str, completion: str) -> list[float]:
    """Each completion token's log-probability (EOS last), computed here directly from the model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    prompt_ids = tokenizer(prompt)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.inference_mode():
        log_probs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
    return [log_probs[len(prompt_ids) + i - 1, token].item() for i, token in enumerate(completion_ids)]


@pytest.mark.parametrize("reduce", ["sum", "mean", "min"])
def test_the_score_reduces_the_completion_tokens_log_probabilities(causal_lm, reduce):
    scorer = LikelihoodScorer(str(causal_lm), reduce=reduce, prompt_format="Q: {prompt}\n", max_length=64)
    verdict = scorer.verify(PROBLEMS[3], COMPLETIONS[3])
    expected = completion_log_probs(causal_lm, f"Q: {PROBLEMS[3].prompt}\n", COMPLETIONS[3])
    value = {"sum": sum, "mean": lambda v: sum(v) / len(v), "min": min}[reduce](expected)
    assert verdict.status is Status.CORRECT and verdict.reward == pytest.approx(value, abs=1e-4)
    assert verdict.info == {"score": verdict.reward, "truncated": False, "reduce": reduce}


def test_against_a_reference_the_score_is_the_log_likelihood_ratio(causal_lm, other_lm):
    against_itself = LikelihoodScorer(str(causal_lm), reference=str(causal_lm), max_length=64)
    assert all(v.reward == 0.0 for v in against_itself.verify_batch(PROBLEMS, COMPLETIONS))
    ratio = LikelihoodScorer(str(causal_lm), reference=str(other_lm), max_length=64)
    alone, other = (LikelihoodScorer(str(path), max_length=64) for path in (causal_lm, other_lm))
    for r, a, o in zip(*(s.verify_batch(PROBLEMS, COMPLETIONS) for s in (ratio, alone, other))):
        assert r.reward == pytest.approx(a.reward - o.reward, abs=1e-4)


def test_scores_are_the_same_across_batch_sizes(causal_lm, other_lm):
    def scores(batch_size):
        scorer = LikelihoodScorer(str(causal_lm), reference=str(other_lm), reduce="min", max_length=64,
                                  batch_size=batch_size)
        return [v.reward for v in scorer.verify_batch(PROBLEMS, COMPLETIONS)]

    reference = scores(1)
    assert len({round(s, 5) for s in reference}) > 10
    for batch_size in (4, 24):
        assert max(abs(a - b) for a, b in zip(reference, scores(batch_size))) < 1e-5


def test_over_long_pairs_lose_the_prompt_first_and_keep_the_completions_end(causal_lm):
    scorer = LikelihoodScorer(str(causal_lm), max_length=16, reduce="min")
    short = scorer.verify(Problem("a", "1+1", None, "arith"), "Answer: 2")
    long_prompt = scorer.verify(Problem("b", "9" * 200 + "1+1", None, "arith"), "Answer: 2")
    assert short.info["truncated"] is False and long_prompt.info["truncated"] is True
    tail = "x" * 300 + "\nAnswer: 2"
    cut, junk_before = (scorer.verify(PROBLEMS[0], text) for text in (tail, "y" * 5000 + tail))
    assert cut.info["truncated"] and junk_before.info["truncated"]
    assert cut.reward == pytest.approx(junk_before.reward, abs=1e-5)  # only the end is scored
    assert math.isfinite(scorer.verify(PROBLEMS[0], "7" * (1 << 20)).reward)


def test_the_prompt_format_renders_problems_as_the_policy_saw_them(causal_lm):
    plain = LikelihoodScorer(str(causal_lm), max_length=64)
    formatted = plain.configure(prompt_format="Q: {prompt}\n")
    rendered = Problem("p", f"Q: {PROBLEMS[2].prompt}\n", None, "arith")
    expected = plain.verify(rendered, "Answer: 3").reward
    assert formatted.verify(PROBLEMS[2], "Answer: 3").reward == pytest.approx(expected)
    assert formatted.version != plain.version
    with pytest.raises(ValueError, match="prompt_format must be a format string with one field"):
        plain.configure(prompt_format="Q: {question}")


def test_wrong_checkpoints_are_clear_errors(causal_lm, reward_model, tmp_path, tiny_checkpoint):
    with pytest.raises(RewardModelError, match="GPT2ForSequenceClassification, not a causal language model"):
        LikelihoodScorer(str(reward_model))
    with pytest.raises(RewardModelError, match="not a causal language model"):
        LikelihoodScorer(str(causal_lm), reference=str(reward_model))
    with pytest.raises(ValueError, match="reduce must be one of"):
        LikelihoodScorer(str(causal_lm), reduce="max")
    other_vocabulary = tiny_checkpoint(tmp_path / "other-vocabulary", "GPT2LMHeadModel")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(other_vocabulary)
    tokenizer.add_tokens(["<extra>"])
    tokenizer.save_pretrained(other_vocabulary)
    with pytest.raises(RewardModelError, match="has another vocabulary"):
        LikelihoodScorer(str(causal_lm), reference=str(other_vocabulary))


def test_the_engine_scores_it_in_batches(causal_lm, other_lm):
    scorer = LikelihoodScorer(str(causal_lm), reference=str(other_lm), max_length=64, batch_size=8)
    direct = scorer.verify_batch(PROBLEMS, COMPLETIONS)
    with Grader(scorer, workers=2, timeout=60, cache=False, progress=False) as grader:
        through_engine = grader.grade(PROBLEMS, COMPLETIONS)
    assert max(abs(a.reward - b.reward) for a, b in zip(direct, through_engine)) < 1e-5


def test_rest_em_check_passes_the_registered_likelihood_scorer(causal_lm, monkeypatch):
    from rest_verify.cli import main
    from rest_verify.plugins import reset_registry

    monkeypatch.setenv(CHECKPOINT_VARIABLE, str(causal_lm))
    monkeypatch.setenv("REST_EM_PLUGINS", "rest-em-rm")
    reset_registry()
    try:
        checked = CliRunner().invoke(main, ["check", "rm-likelihood", "--deadline", "60"])
        assert checked.exit_code == 0 and "0 failed" in checked.output, checked.output
    finally:
        reset_registry()

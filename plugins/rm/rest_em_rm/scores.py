"""From raw reward-model scores to Verdicts: the status mapping and the normalisations.

A reward model has an opinion on every completion, so a finite score is always status `correct` with the
(normalised) score as its reward; only items that could not be scored get another status, and those
carry reward 0 like every non-`correct` verdict:

    completion is not text           -> invalid_input
    completion empty or whitespace   -> no_answer   (nothing to score)
    the model or callable failed     -> error       (detail names the exception)
    score is NaN or infinite         -> error
    finite score s                   -> correct, reward = normalise(s), info["score"] = s

Rewards of `correct` verdicts are therefore comparable with each other and nothing else: a filter keeps a
sample when it is `correct` and its reward reaches the threshold. Per-prompt z-scores need every sample
of a prompt at once, so they are not the scorer's job: ReST mode applies them to a whole Grow dataset
(`rest.normalise = "zscore"`).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

from rest_verify import Status, Verdict

NORMALISATIONS: Mapping[str, Callable[[float], float]] = {
    "none": lambda score: score,
    # Squashes a logit into (0, 1): thresholds then read as probabilities and reward-weighted losses get
    # non-negative weights.
    "sigmoid": lambda score: 0.5 * (1.0 + math.tanh(0.5 * score)),
}


def check_normalisation(name: str) -> Callable[[float], float]:
    if name not in NORMALISATIONS:
        raise ValueError(f"normalise must be one of {', '.join(map(repr, NORMALISATIONS))}, got {name!r}")
    return NORMALISATIONS[name]


def unscorable(completion: object) -> Verdict | None:
    """The verdict of an item a model cannot score, or None when it can be scored."""
    if not isinstance(completion, str):
        return Verdict.invalid_input(f"completion must be text, got {type(completion).__name__}")
    if not completion.strip():
        return Verdict.no_answer("empty completion: nothing to score")
    return None


def score_verdict(score: float, normalise: Callable[[float], float], **info: object) -> Verdict:
    """The verdict of one raw score (see the module docstring for the mapping)."""
    score = float(score)
    if not math.isfinite(score):
        return Verdict.error(f"the reward model returned a non-finite score ({score})", score=str(score))
    return Verdict(normalise(score), Status.CORRECT, info={"score": score, **info})

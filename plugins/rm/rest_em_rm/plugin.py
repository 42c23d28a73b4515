"""Entry point of the `rest-em-rm` distribution: registers the reward-model scorers `rm` and `rm-likelihood`.

Each registered scorer reads its checkpoint from REST_EM_RM_CHECKPOINT when it first scores; code and
run configs choose one with `configure(checkpoint=...)` (rest_train: `rest.reward_options`).
"""

from __future__ import annotations

from typing import Any, Callable

from rest_verify import hookimpl

from rest_em_rm.likelihood import LikelihoodScorer
from rest_em_rm.model import TransformersScorer


@hookimpl
def register_verifiers(register: Callable[[Any], None]) -> None:
    register(TransformersScorer())
    register(LikelihoodScorer())

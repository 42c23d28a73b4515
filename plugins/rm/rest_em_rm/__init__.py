"""rest-em plugin `rm`: real-valued rewards from a reward model, scored in batches."""

from rest_em_rm.likelihood import LikelihoodScorer
from rest_em_rm.model import CHECKPOINT_VARIABLE, RewardModelError, TransformersScorer, encode_pairs
from rest_em_rm.scorer import BatchScorer, CallableScorer

__all__ = ["BatchScorer", "CHECKPOINT_VARIABLE", "CallableScorer", "LikelihoodScorer", "RewardModelError",
           "TransformersScorer", "encode_pairs"]

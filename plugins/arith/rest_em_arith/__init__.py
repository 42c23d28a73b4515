"""rest-em plugin `arith`: seeded multi-step arithmetic problems with integer answers, and their verifier."""

from rest_em_arith.task import ArithTask
from rest_em_arith.verifier import ArithVerifier, extract_answer

__all__ = ["ArithTask", "ArithVerifier", "extract_answer"]

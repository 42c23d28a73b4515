"""MATH and GSM8K answer verifiers for rest-em: answer extraction, LaTeX normalisation, equivalence."""

from rest_em_math.equivalence import equivalent
from rest_em_math.verifier import GSM8KVerifier, MathVerifier

__all__ = ["GSM8KVerifier", "MathVerifier", "equivalent"]
__version__ = "0.1.0"

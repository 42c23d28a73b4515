"""rest-em's conformance kit, run against both verifiers."""

from __future__ import annotations

from rest_verify.testing import VerifierSuite

from rest_em_math.verifier import GSM8KVerifier, MathVerifier


class TestMathConformance(VerifierSuite):
    verifier = MathVerifier()


class TestGSM8KConformance(VerifierSuite):
    verifier = GSM8KVerifier()


class TestStrictMathConformance(VerifierSuite):
    verifier = MathVerifier(extraction="strict")

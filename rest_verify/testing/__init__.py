"""Conformance kit for verifier plugins: the checks every verifier must pass, in one line.

    from rest_verify.testing import VerifierSuite

    class TestMyVerifier(VerifierSuite):
        verifier = MyVerifier()        # or a registered name: "math"

or, with the `conformance` fixture this package registers with pytest:

    def test_conformance(conformance):
        conformance(MyVerifier())
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from rest_verify.testing.checks import CHECKS, CheckResult, examples_of, run_checks
from rest_verify.testing.strategies import completions, problems

__all__ = ["CHECKS", "CheckResult", "VerifierSuite", "assert_conforms", "completions", "problems", "run_checks"]


def assert_conforms(verifier: Any, examples: Any = None, deadline: float = 10.0) -> None:
    """Raise one AssertionError listing every check the verifier fails."""
    from rest_verify.engine import resolve_verifier

    failures = [r for r in run_checks(resolve_verifier(verifier), examples, deadline) if not r.passed]
    if failures:
        raise AssertionError("verifier fails conformance:\n" + "\n".join(f"- {r.name}: {r.message}" for r in failures))


class VerifierSuite:
    """Subclass in a test module and set `verifier`; pytest then runs each check as its own test."""

    verifier: ClassVar[Any] = None
    examples: ClassVar[Any] = None
    deadline: ClassVar[float] = 10.0

    @pytest.fixture(params=sorted(CHECKS))
    def conformance_check(self, request: pytest.FixtureRequest) -> str:
        return request.param

    def test_conformance(self, conformance_check: str) -> None:
        from rest_verify.engine import resolve_verifier

        if self.verifier is None:
            pytest.skip("set `verifier` on the VerifierSuite subclass")
        verifier = resolve_verifier(self.verifier)
        examples = examples_of(verifier) if self.examples is None else list(self.examples)
        CHECKS[conformance_check](verifier, examples, self.deadline)

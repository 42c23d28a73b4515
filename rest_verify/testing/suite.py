"""`VerifierSuite`: the conformance checks as pytest tests, one per check.

Its own module because it needs pytest, which `rest-em check` and the grading install do not.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from rest_verify.testing.checks import CHECKS, examples_of


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

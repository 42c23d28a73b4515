"""`VerifierSuite`: the conformance checks as pytest tests, one per check.

Its own module because it needs pytest, which `rest-em check` and the grading install do not.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from rest_verify.testing.checks import CHECKS, kit_for, prepared


class VerifierSuite:
    """Subclass in a test module and set `verifier`; pytest then runs each check as its own test.

    `verifier`: the object or a registered name. `examples`: (problem, correct completion) pairs, each
    must be rewarded (default: the verifier's own `examples`). `bad_examples`: (problem, completion)
    pairs of your domain that must earn nothing (default: the verifier's own `bad_examples`).
    `deadline`: seconds a single verification may take.
    """

    verifier: ClassVar[Any] = None
    examples: ClassVar[Any] = None
    bad_examples: ClassVar[Any] = None
    deadline: ClassVar[float] = 10.0

    @pytest.fixture(params=sorted(CHECKS))
    def conformance_check(self, request: pytest.FixtureRequest) -> str:
        return request.param

    def test_conformance(self, conformance_check: str) -> None:
        from rest_verify.engine import resolve_verifier

        if self.verifier is None:
            pytest.skip("set `verifier` on the VerifierSuite subclass")
        verifier = prepared(resolve_verifier(self.verifier))
        CHECKS[conformance_check](verifier, kit_for(verifier, self.examples, self.deadline, self.bad_examples))

"""Conformance kit for verifier plugins: the checks every verifier must pass, in one line.

    from rest_verify.testing import VerifierSuite

    class TestMyVerifier(VerifierSuite):
        verifier = MyVerifier()        # or a registered name: "math"

or, with the `conformance` fixture this package registers with pytest:

    def test_conformance(conformance):
        conformance(MyVerifier())

The checks themselves need no pytest (`rest-em check` runs them without it); only `VerifierSuite` does,
so it is imported on first use.
"""

from __future__ import annotations

from typing import Any

from rest_verify.testing.checks import CHECKS, CheckResult, Kit, run_checks
from rest_verify.testing.strategies import completions, problems

__all__ = ["CHECKS", "CheckResult", "Kit", "VerifierSuite", "assert_conforms", "completions", "problems", "run_checks"]


def assert_conforms(verifier: Any, examples: Any = None, deadline: float = 10.0, bad_examples: Any = None) -> None:
    """Raise one AssertionError listing every check the verifier fails."""
    from rest_verify.engine import resolve_verifier

    failures = [r for r in run_checks(resolve_verifier(verifier), examples, deadline, bad_examples)
                if not r.passed]
    if failures:
        raise AssertionError("verifier fails conformance:\n" + "\n".join(f"- {r.name}: {r.message}" for r in failures))


def __getattr__(name: str) -> Any:
    """`VerifierSuite` is imported on first use: it needs pytest, which the checks themselves do not."""
    if name == "VerifierSuite":
        from rest_verify.testing.suite import VerifierSuite

        return VerifierSuite
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""`exact`: the smallest useful verifier — the completion's last non-empty line equals the reference.

Normalisation is deliberately modest (Unicode NFKC, case-folding, collapsed whitespace, a trailing
period dropped) so that the rule stays obvious; domains with real equivalence use their own plugin.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Callable

from rest_verify.hookspecs import hookimpl
from rest_verify.types import Problem, Verdict


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = " ".join(text.split())
    return text[:-1].rstrip() if text.endswith(".") else text


class ExactVerifier:
    """Reward 1 when the final non-empty line of the completion matches the reference after `normalise`."""

    name = "exact"
    version = "1"
    examples = [
        (Problem(id="exact-sum", prompt="What is 1 + 1? End with the answer alone on a line.", reference="2"),
         "One and one make two.\n2"),
        (Problem(id="exact-city", prompt="Name the capital of France.", reference="Paris"), "It is\n  PARIS. "),
    ]

    def verify(self, problem: Problem, completion: str) -> Verdict:
        if not isinstance(problem.reference, (str, int)) or isinstance(problem.reference, bool):
            return Verdict.invalid_input(
                f"exact needs a string or integer reference, got {type(problem.reference).__name__}")
        if not isinstance(completion, str):
            return Verdict.invalid_input(f"completion must be text, got {type(completion).__name__}")
        lines = [line for line in completion.splitlines() if line.strip()]
        if not lines:
            return Verdict.no_answer("empty completion")
        answer = normalise(lines[-1])
        expected = normalise(str(problem.reference))
        if not expected:
            return Verdict.invalid_input("empty reference")
        if answer == expected:
            return Verdict.right(answer=answer)
        return Verdict.wrong(f"expected {expected!r}, got {answer!r}", answer=answer)


@hookimpl
def register_verifiers(register: Callable[[Any], None]) -> None:
    register(ExactVerifier())

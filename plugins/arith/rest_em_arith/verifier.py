"""`arith` verifier: the last "Answer: N" line of a completion, compared to the reference as an integer."""

from __future__ import annotations

import re

from rest_verify import Problem, Verdict

ANSWER_LINE = re.compile(r"^\s*Answer:\s*(.*?)\s*$", re.MULTILINE)
INTEGER = re.compile(r"[+-]?\d+")


def extract_answer(completion: str) -> str | None:
    """The text after the last "Answer:" line marker, or None when the completion has no such line."""
    found = ANSWER_LINE.findall(completion)
    return found[-1] if found else None


def _reference_integer(reference: object) -> int | None:
    if isinstance(reference, bool):
        return None
    if isinstance(reference, int):
        return reference
    if isinstance(reference, str) and INTEGER.fullmatch(reference.strip()):
        return int(reference.strip())
    return None


class ArithVerifier:
    """Reward 1 when the final "Answer:" line holds exactly the reference integer.

    Only the answer line counts, so a wrong trace that lands on the right number is still rewarded:
    that is the outcome-only reward ReST-EM is about. `info["answer"]` is the canonical integer text,
    which majority voting groups on.
    """

    name = "arith"
    version = "1"

    @property
    def examples(self) -> list[tuple[Problem, str]]:
        return [
            (Problem("arith/example/0", "12+5-3", 14, "arith"), "12+5=17\n17-3=14\nAnswer: 14"),
            (Problem("arith/example/1", "7-9", "-2", "arith"), "7-9=-2\nAnswer: -2"),
        ]

    def verify(self, problem: Problem, completion: str) -> Verdict:
        expected = _reference_integer(problem.reference)
        if expected is None:
            return Verdict.invalid_input(f"arith needs an integer reference, got {problem.reference!r}")
        if not isinstance(completion, str):
            return Verdict.invalid_input(f"completion must be text, got {type(completion).__name__}")
        answer = extract_answer(completion)
        if answer is None:
            return Verdict.no_answer("no 'Answer:' line")
        if not INTEGER.fullmatch(answer):
            return Verdict.wrong(f"final answer {answer!r} is not an integer", answer=answer)
        value = int(answer)
        if value == expected:
            return Verdict.right(answer=str(value))
        return Verdict.wrong(f"expected {expected}, got {value}", answer=str(value))

"""The `math` (MATH-style LaTeX answers) and `gsm8k` (numeric answers) verifiers.

Both are stateless, deterministic and picklable (plain classes with class attributes). `verify` never
raises: a bad reference is `invalid_input`, a completion without an answer is `no_answer`, and any
unexpected failure inside the equivalence machinery becomes an `error` verdict naming it.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from rest_verify.types import Problem, Verdict

from rest_em_math.answer import Collection, read_answer, spelled_number
from rest_em_math.equivalence import equivalent
from rest_em_math.evaluate import NotExact, exact
from rest_em_math.extract import (after_hashes, extract_gsm8k_answer, last_boxed, last_boxes, listed_boxes,
                                  math_answer, own_turn)
from rest_em_math.normalise import normalise
from rest_em_math.parse import ParseError, number_fraction, parse_expression

MAX_DIGITS = 1000
MAX_LISTED_BOXES = 8
MAX_PLAIN_REFERENCE = 200
_FIRST_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/[1-9]\d*)?|-?\.\d+", re.ASCII)
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))", re.ASCII)


def reference_answer(reference: Any, marker: str = "boxed") -> str | None:
    """The answer a reference stands for: the reference itself, or the final answer of a worked solution."""
    if isinstance(reference, bool) or not isinstance(reference, (str, int, float)):
        return None
    if isinstance(reference, float) and not math.isfinite(reference):
        return None
    text = str(reference).strip()
    if marker == "boxed" and ("\\boxed" in text or "\\fbox" in text):
        return listed_boxes(text) or last_boxed(text)
    if marker == "####" and "####" in text:
        return after_hashes(text)
    if marker == "boxed" and len(text) > MAX_PLAIN_REFERENCE:  # a worked solution ending "The final answer is X"
        found = math_answer(text, lenient=False)
        return found.answer if found else text
    return text or None


EXTRACTIONS = ("lenient", "strict")


class MathVerifier:
    """MATH answers: extract the final answer, then compare it with the reference up to equivalence.

    `extraction="strict"` reads only explicit markers (boxed, "The answer is", "Final Answer:", ####);
    `"lenient"` (the default) then falls back to the answer a completion states without a marker (see
    `rest_em_math.unmarked`). A marked completion gets the same verdict under both. Every verdict's
    `info["extraction"]` names the rule that found the answer, so fallback rewards can be audited.
    """

    name = "math"
    release = "2.1"

    def __init__(self, extraction: str = "lenient"):
        if extraction not in EXTRACTIONS:
            raise ValueError(f"math: extraction must be one of {', '.join(EXTRACTIONS)}, got {extraction!r}")
        self.extraction = extraction

    @property
    def version(self) -> str:
        """The release, plus any non-default option: it keys the cache, and options change verdicts."""
        return self.release if self.extraction == "lenient" else f"{self.release}+{self.extraction}"

    def configure(self, **options: str) -> "MathVerifier":
        """A copy with `options` applied (`extraction="strict"`); a `ValueError` names an unknown option."""
        unknown = sorted(set(options) - {"extraction"})
        if unknown:
            raise ValueError(f"math: unknown option {', '.join(unknown)} (known: extraction)")
        return MathVerifier(**options)

    def verify(self, problem: Problem, completion: str) -> Verdict:
        reference = reference_answer(problem.reference)
        if reference is None or not normalise(reference):
            return Verdict.invalid_input(
                f"math needs a LaTeX answer (or a solution with \\boxed{{}}) as reference, got {problem.reference!r}")
        if not isinstance(completion, str):
            return Verdict.invalid_input(f"completion must be text, got {type(completion).__name__}")
        found = math_answer(completion, lenient=self.extraction == "lenient")
        if found is None or not normalise(found.answer):
            return Verdict.no_answer(answer=found.answer if found else None)
        answer = found.answer
        try:
            equal, rule = equivalent(reference, answer)
            if not equal:
                listed = _listed_boxes(reference, completion)
                if listed is not None and equivalent(reference, listed)[0]:
                    equal, rule, answer = True, "boxes", listed
        except Exception as exc:  # verify must never raise; the failure is reported as data
            return Verdict.error(f"equivalence check failed: {type(exc).__name__}: {exc}", answer=answer)
        if equal:
            return Verdict.right(f"equal by {rule}", answer=answer, rule=rule, **found.info)
        return Verdict.wrong(f"expected {reference!r}, got {answer!r} ({rule})", answer=answer, rule=rule,
                             **found.info)

    @property
    def examples(self) -> list[tuple[Problem, str]]:
        return [
            (Problem("math-example-1", "What is $1/2 + 1/4$?", "\\frac{3}{4}", "math"),
             "We add: $\\frac12 + \\frac14 = \\boxed{0.75}$."),
            (Problem("math-example-2", "Solve $x^2 = 12$ for $x > 0$.", "2\\sqrt{3}", "math"),
             "So $x = \\sqrt{12}$.\nFinal Answer: The final answer is $\\sqrt{12}$. I hope it is correct."),
            (Problem("math-example-3", "Solve $x^2 - x - 2 < 0$.", "(-1, 2)", "math"),
             "The roots are $-1$ and $2$, so the answer is $\\boxed{\\left( -1, 2 \\right)}$."),
        ]


def _listed_boxes(reference: str, completion: str) -> str | None:
    """A reference with k > 1 answers (`1, 2`, `\\{1,2\\}`, `1 \\pm 2`) is also met by the last k boxes
    listed one value per box: "the roots are $\\boxed{1}$ and $\\boxed{2}$" (in the model's own turn)."""
    shape = read_answer(normalise(reference), reference)
    if not isinstance(shape, Collection) or not 1 < len(shape.items) <= MAX_LISTED_BOXES:
        return None
    boxes = last_boxes(own_turn(completion), len(shape.items))
    return ", ".join(boxes) if len(boxes) == len(shape.items) else None


def number_value(text: str) -> Fraction | None:
    """The exact value of a GSM8K-style numeric answer (`$1,000`, `18 dollars`, `0.5`, `\\frac{1}{2}`).

    After an `=` only the right-hand side counts (`3 + 4 = 7` is 7); else the whole answer if it is an
    exact expression, else the first number in it, else a number word (`five`).
    """
    cleaned = normalise(text).rsplit("=", 1)[-1]
    plain = _DIGIT_COMMA.sub("", cleaned).replace(" ", "")
    if len(plain) > MAX_DIGITS or not plain.isascii():  # Fraction() would read non-ASCII digits too
        return None
    try:
        return number_fraction(plain)
    except ParseError:
        pass
    try:
        real, imag = exact(parse_expression(plain))
        if imag == 0:
            return real
    except (ParseError, NotExact, ArithmeticError, ValueError):
        pass
    match = _FIRST_NUMBER.search(cleaned)
    if match is None:
        return spelled_number(cleaned.strip().rstrip("."))
    if len(match.group(0)) > MAX_DIGITS:
        return None
    return Fraction(match.group(0).replace(",", ""))  # `3/4 of a cup` is 3/4


class GSM8KVerifier:
    """GSM8K answers: one number, compared exactly (as a rational) with the reference number.

    Extraction prefers "#### X", then `\\boxed{X}`, then "The answer is X", then the last number in the text.
    """

    name = "gsm8k"
    version = "1.3"

    def verify(self, problem: Problem, completion: str) -> Verdict:
        reference = reference_answer(problem.reference, marker="####")
        expected = number_value(reference) if reference is not None else None
        if expected is None:
            return Verdict.invalid_input(f"gsm8k needs a number as reference, got {problem.reference!r}")
        if not isinstance(completion, str):
            return Verdict.invalid_input(f"completion must be text, got {type(completion).__name__}")
        answer = extract_gsm8k_answer(completion)
        if answer is None:
            return Verdict.no_answer(answer=None)
        value = number_value(answer)
        if value is None:
            return Verdict.no_answer(f"no number in the answer {answer!r}", answer=answer)
        if value == expected:
            return Verdict.right("equal numbers", answer=answer)
        return Verdict.wrong(f"expected {_show(expected)}, got {_show(value)}", answer=answer)

    @property
    def examples(self) -> list[tuple[Problem, str]]:
        return [
            (Problem("gsm8k-example-1", "Janet has 3 apples and buys 4 more. How many?", "7", "gsm8k"),
             "She has 3 + 4 = 7 apples.\n#### 7"),
            (Problem("gsm8k-example-2", "A house costs $80,000 plus $50,000 of repairs. Total?", "130000", "gsm8k"),
             "80,000 + 50,000 = 130,000. The answer is $130,000."),
        ]


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value} (= {float(value):g})"

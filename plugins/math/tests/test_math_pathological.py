"""Hostile inputs: every one gets a verdict in milliseconds, never an exception or a hang.

The engine's kill-based deadline is only the last line of defence; these inputs must be refused by the
cheap structural limits (length, nesting, exponent and factorial sizes) before SymPy ever sees them.
"""

from __future__ import annotations

import time

import pytest
from rest_verify.types import Problem, Status

from rest_em_math.equivalence import equivalent
from rest_em_math.verifier import GSM8KVerifier, MathVerifier

BUDGET_SECONDS = 2.0  # a hang guard, not a speed target: benchmarks/math_verify.py measures speed

HOSTILE = {
    "tower": "\\boxed{10^{10^{10^{10}}}}",
    "tower of twos": "\\boxed{2^{2^{2^{2^{2^{2}}}}}}",
    "division by zero": "\\boxed{\\frac{1}{0}}",
    "zero to a negative power": "\\boxed{0^{-1}}",
    "huge factorial": "\\boxed{100000!}",
    "factorial of a tower": "\\boxed{(10^{100})!}",
    "huge binomial": "\\boxed{\\binom{10^{9}}{5}}",
    "exponential tower": "\\boxed{\\exp(\\exp(\\exp(100)))}",
    "symbolic exponential tower": "\\boxed{e^{e^{e^{e^{e^{x}}}}}}",
    "long sum": "\\boxed{" + "1+" * 10000 + "1}",
    "20k digits": "\\boxed{" + "9" * 20000 + "}",
    "500 nested braces": "\\boxed{" + "{" * 500 + "1" + "}" * 500 + "}",
    "500 nested parentheses": "\\boxed{" + "(" * 500 + "1" + ")" * 500 + "}",
    "5000 unclosed boxes": "\\boxed{" * 5000,
    "whitespace run in box": "\\boxed{5" + " " * 20000 + "x}",
    "whitespace after marker": "The final answer is " + " " * 20000 + "5",
    "many markers": "final answer is " * 3000 + "I hope it is correct",
    "many hashes": "#### " * 5000,
    "5000 commas": "\\boxed{" + ",".join(["1"] * 5000) + "}",
    "500 plus-minus": "\\boxed{" + "\\pm".join(["1"] * 500) + "}",
    "big matrix": "\\boxed{\\begin{pmatrix}" + "\\\\".join(["&".join(["1"] * 60)] * 60) + "\\end{pmatrix}}",
    "backslashes": "\\boxed{" + "\\" * 20000 + "}",
    "dollars": "$" * 20000,
    "invalid latex": "\\boxed{\\frac{1}{2}}}}}\\left(\\right]",
    "unknown commands": "\\boxed{\\foo{\\bar}{\\baz}}",
    "high power": "\\boxed{(1+i)^{1999}}",
    "tiny power": "\\boxed{(1/3)^{100000}}",
    "nul bytes": "\\boxed{\x00\x00}",
    "product of big powers": "\\boxed{" + "\\cdot".join(["10^{1999}"] * 60) + "+\\sqrt{2}}",
    "huge scientific exponent": "\\boxed{1e99999999}\n#### 1e99999999",
    "huge negative exponent": "\\boxed{2.5E-99999999}\n#### 2.5E-99999999",
    "unit word run": "\\boxed{5" + " cm" * 600 + " x}",
    "per-unit run": "\\boxed{5 " + "m/" * 900 + "}",
    "trailing text run": "\\boxed{1\\text{" + "a " * 900 + "}",
    "trailing word run": "\\boxed{" + "1 aaa " * 300 + "!}",
    "long repeating decimal": "\\boxed{0." + "1" * 1500 + "\\overline{3}}",
    "many approximations": "\\boxed{1" + "\\approx" * 250 + "}",
    "many answer lines": "\n**Answer:** " * 1500,
    "phrase then blank lines": "The answer is\n" * 1500,
    "many boxes": "\\boxed{1} and " * 1500,
    "prices without a marker": "$5 and " * 1500,
    "unclosed inline math": "\\(" * 5000,
    "one math span per line": "$x$\n" * 2500,
    "escaped dollars": "\\$" * 5000 + "$5$",
    "spans listed with and": "$1$ and " * 1500,
    "whitespace run in an unmarked line": "1" + " " * 50000 + "x",
    "whitespace run before a remark": "Answer: 5" + " " * 20000 + "(since",
    "whitespace run in a list": "x = 1" + "\t" * 20000 + "and x = 2",
    "number words": "one " * 5000,
    "emphasis run": "**1** " * 3000,
    "parenthesised words": "The answer is 5" + " (a" * 5000,
}
REFERENCES = ["5", "\\frac{1}{2}", "x^{1000}", "(1,2)", "\\{1,2,3\\}", "10^{10^{10^{10}}}"]
ALLOWED = {Status.CORRECT, Status.WRONG, Status.NO_ANSWER}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_completion_is_fast(name: str) -> None:
    completion = HOSTILE[name]
    for verifier, references in ((MathVerifier(), REFERENCES), (GSM8KVerifier(), ["5"])):
        for reference in references:
            start = time.perf_counter()
            verdict = verifier.verify(Problem("p", reference=reference), completion)
            elapsed = time.perf_counter() - start
            assert verdict.status in ALLOWED, (reference, verdict)
            assert elapsed < BUDGET_SECONDS, f"{name} vs {reference!r} took {elapsed:.3f}s"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_reference_is_fast(name: str) -> None:
    start = time.perf_counter()
    verdict = MathVerifier().verify(Problem("p", reference=HOSTILE[name]), "\\boxed{5}")
    assert time.perf_counter() - start < BUDGET_SECONDS
    assert verdict.status in ALLOWED | {Status.INVALID_INPUT}


def test_identical_towers_are_equal_without_evaluation() -> None:
    assert equivalent("10^{10^{10^{10}}}", "10^{10^{10^{10}}}") == (True, "string")
    equal, rule = equivalent("10^{10^{10^{10}}}", "10^{10^{10^{11}}}")
    assert not equal and rule.startswith("refused")

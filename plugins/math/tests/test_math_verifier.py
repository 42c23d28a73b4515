"""The `math` and `gsm8k` verifiers: verdict statuses, reference forms, info, pickling, registration."""

from __future__ import annotations

import importlib.metadata
import pickle

import pytest
from rest_verify.types import Problem, Status

from rest_em_math import plugin
from rest_em_math.verifier import GSM8KVerifier, MathVerifier

MATH = MathVerifier()
GSM8K = GSM8KVerifier()


def math_problem(reference: object) -> Problem:
    return Problem("p1", "question", reference, "math")


def test_correct_answer_carries_extracted_answer_and_rule() -> None:
    verdict = MATH.verify(math_problem("\\frac{1}{2}"), "So it is $\\boxed{0.5}$.")
    assert verdict.status is Status.CORRECT and verdict.reward == 1.0
    assert verdict.info["answer"] == "0.5"
    assert verdict.info["rule"] == "rational"


def test_wrong_answer() -> None:
    verdict = MATH.verify(math_problem("\\frac{1}{2}"), "\\boxed{\\frac{1}{3}}")
    assert verdict.status is Status.WRONG and verdict.reward == 0.0
    assert verdict.info["answer"] == "\\frac{1}{3}"
    assert "expected" in verdict.detail


def test_no_answer() -> None:
    verdict = MathVerifier(extraction="strict").verify(math_problem("5"), "I could not solve it, sorry 5")
    assert verdict.status is Status.NO_ANSWER and verdict.reward == 0.0
    assert MATH.verify(math_problem("5"), "I could not solve it, sorry.").status is Status.NO_ANSWER
    assert MATH.verify(math_problem("5"), "\\boxed{\\,}").status is Status.NO_ANSWER
    assert MATH.verify(math_problem("(1,2)"), "\\boxed{\\text{}}").status is Status.NO_ANSWER


@pytest.mark.parametrize("reference", [None, "", "$ $", "\\text{}", {"a": 1}, ["5"], True, "\\boxed{unclosed",
                                       float("nan"), float("inf")])
def test_bad_reference_is_invalid_input(reference: object) -> None:
    assert MATH.verify(math_problem(reference), "\\boxed{5}").status is Status.INVALID_INPUT


def test_non_text_completion_is_invalid_input() -> None:
    assert MATH.verify(math_problem("5"), 5).status is Status.INVALID_INPUT  # type: ignore[arg-type]
    assert GSM8K.verify(Problem("g", reference="5"), None).status is Status.INVALID_INPUT  # type: ignore[arg-type]


def test_worked_solution_as_reference() -> None:
    solution = "We add and get $\\boxed{\\left[ 0, 1 \\right)}$."
    assert MATH.verify(math_problem(solution), "\\boxed{[0,1)}").correct
    assert not MATH.verify(math_problem(solution), "\\boxed{[0,1]}").correct


def test_numeric_reference_types() -> None:
    assert MATH.verify(math_problem(12), "\\boxed{12}").correct
    assert MATH.verify(math_problem(0.5), "\\boxed{\\frac12}").correct


@pytest.mark.parametrize("reference,completion,correct", [
    ("18", "She makes 9 * 2 = $18.\n#### 18", True),
    ("18", "#### $18", True),
    ("18", "#### 18.00", True),
    ("18", "#### 19", False),
    ("1000", "#### 1,000", True),
    ("1000", "The answer is $1,000.", True),
    ("1000", "so \\boxed{1000} dollars", True),
    ("0.5", "#### 1/2", True),
    ("0.5", "#### \\frac{1}{2}", True),
    ("-3", "#### -3", True),
    ("-3", "#### 3", False),
    ("7", "It is 3 + 4 = 7", True),
    ("7", "\\boxed{3}\n#### 7", True),
    ("7", "The answer is 7 apples.", True),
    ("The sum is 3+4=<<3+4=7>>7\n#### 7", "#### 7", True),
    ("1,234", "#### 1234", True),
])
def test_gsm8k(reference: str, completion: str, correct: bool) -> None:
    assert GSM8K.verify(Problem("g", reference=reference), completion).correct is correct


def test_gsm8k_statuses() -> None:
    assert GSM8K.verify(Problem("g", reference="7"), "no number here").status is Status.NO_ANSWER
    assert GSM8K.verify(Problem("g", reference="several"), "#### 7").status is Status.INVALID_INPUT
    assert GSM8K.verify(Problem("g", reference="7"), "#### 7").info["answer"] == "7"


@pytest.mark.parametrize("verifier", [MATH, GSM8K])
def test_picklable_and_deterministic(verifier: object) -> None:
    clone = pickle.loads(pickle.dumps(verifier))
    for problem, completion in verifier.examples:  # type: ignore[attr-defined]
        first = verifier.verify(problem, completion)  # type: ignore[attr-defined]
        assert first.correct
        assert clone.verify(problem, completion).to_dict() == first.to_dict()
        assert verifier.verify(problem, completion + " ").to_dict() == first.to_dict()  # type: ignore[attr-defined]


@pytest.mark.parametrize("verifier", [MATH, GSM8K])
def test_identity_attributes(verifier: object) -> None:
    assert isinstance(verifier.name, str) and isinstance(verifier.version, str)  # type: ignore[attr-defined]
    assert len(verifier.examples) >= 2  # type: ignore[attr-defined]


def test_hook_registers_both_verifiers() -> None:
    registered: list[object] = []
    plugin.register_verifiers(registered.append)
    assert sorted(v.name for v in registered) == ["gsm8k", "math"]  # type: ignore[attr-defined]


def test_entry_point_registration() -> None:
    try:
        importlib.metadata.distribution("rest-em-math")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("rest-em-math is not installed (pip install -e plugins/math)")
    from rest_verify.plugins import get_verifier

    assert isinstance(get_verifier("math"), MathVerifier)
    assert isinstance(get_verifier("gsm8k"), GSM8KVerifier)


def test_grades_through_the_engine_in_worker_processes() -> None:
    from rest_verify import grade

    problems = [Problem(str(i), reference=ref, domain="math") for i, ref in enumerate(["\\frac12", "(1,2)", "5"])]
    completions = ["\\boxed{0.5}", "\\boxed{\\{1,2\\}}", "no answer"]
    verdicts = grade(problems, completions, MATH, workers=1, timeout=30.0)
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.WRONG, Status.NO_ANSWER]
    assert verdicts[0].info["answer"] == "0.5"


def test_extraction_option_and_the_rule_in_info() -> None:
    strict = MATH.configure(extraction="strict")
    assert strict.extraction == "strict" and MATH.extraction == "lenient"
    assert strict.version != MATH.version  # options change verdicts, so they key the cache apart
    unmarked = "So x = 1/3."
    assert strict.verify(math_problem("\\frac13"), unmarked).status is Status.NO_ANSWER
    verdict = MATH.verify(math_problem("\\frac13"), unmarked)
    assert verdict.correct and verdict.info["extraction"] == "final line"
    assert MATH.verify(math_problem("2"), "so \\boxed{2}").info["extraction"] == "boxed"
    assert pickle.loads(pickle.dumps(strict)).extraction == "strict"


@pytest.mark.parametrize("options", [{"extraction": "loose"}, {"mode": "strict"}])
def test_bad_option_is_a_clear_error(options: dict) -> None:
    with pytest.raises(ValueError, match="math: "):
        MATH.configure(**options)

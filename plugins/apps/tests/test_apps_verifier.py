"""The `apps` verifier end to end, through the process backend (trusted fixture code only)."""

from __future__ import annotations

import pickle

import pytest

from apps_testdata import big_output_problem, call_based_cases, stdin_problems
from rest_em_apps import AppsVerifier
from rest_verify.plugins import get_verifier
from rest_verify.testing import VerifierSuite
from rest_verify.types import Problem, Status


@pytest.fixture(scope="module")
def verifier():
    verifier = AppsVerifier(sandbox="process", time_limit=4.0)
    yield verifier
    verifier.close()


CALL_CASES = call_based_cases()
STDIN = stdin_problems()


class TestConformance(VerifierSuite):
    verifier = AppsVerifier(sandbox="process")


def test_registered_under_its_name():
    registered = get_verifier("apps")
    assert isinstance(registered, AppsVerifier) and registered.sandbox_name == "docker"


@pytest.mark.parametrize("problem, solution", CALL_CASES, ids=[p.id for p, _ in CALL_CASES])
def test_reference_solutions_pass(verifier, problem, solution):
    verdict = verifier.verify(problem, f"Here is my solution:\n```python\n{solution}\n```\n")
    assert verdict.status is Status.CORRECT, verdict.detail
    assert verdict.reward == 1.0 and verdict.info["passed"] == verdict.info["total"]


@pytest.mark.parametrize("case", STDIN, ids=[c["problem"].id for c in STDIN])
def test_stdin_awkward_but_correct_outputs_pass(verifier, case):
    for program in [case["solution"], *case["accepted"]]:
        verdict = verifier.verify(case["problem"], program)
        assert verdict.status is Status.CORRECT, f"{program!r}: {verdict.detail}"


@pytest.mark.parametrize("case", STDIN, ids=[c["problem"].id for c in STDIN])
def test_stdin_subtly_wrong_outputs_fail(verifier, case):
    for program in case["rejected"]:
        verdict = verifier.verify(case["problem"], program)
        assert verdict.reward == 0.0 and verdict.status is Status.WRONG, f"{program!r}: {verdict.detail}"


def test_one_megabyte_of_output(verifier):
    problem = big_output_problem()
    right = "n = int(input())\nprint('\\n'.join(map(str, range(1, n + 1))))\n"
    assert verifier.verify(problem, right).status is Status.CORRECT
    wrong = "n = int(input())\nprint('\\n'.join(map(str, range(1, n))))\n"
    assert verifier.verify(problem, wrong).status is Status.WRONG


def test_detail_names_the_first_failure(verifier):
    problem = Problem(id="p", reference={"inputs": ["1", "2", "3", "4", "5"],
                                         "outputs": ["1", "2", "3", "4", "5"]})
    verdict = verifier.verify(problem, "x = input()\nprint(x if x != '2' and x != '4' else 0)")
    assert verdict.detail == "3/5 tests passed; first failure: test 2 wrong answer " \
                             "(line 1 token 1: expected '2', got '0')"
    assert [t["result"] for t in verdict.info["tests"]] == ["pass", "fail", "pass", "fail", "pass"]


def test_timeout_status(verifier):
    problem = Problem(id="p", reference={"inputs": ["1", "2"], "outputs": ["1", "2"]})
    fast = AppsVerifier(sandbox="process", time_limit=0.5)
    verdict = fast.verify(problem, "x = input()\nif x == '2':\n    while True: pass\nprint(x)")
    assert verdict.status is Status.TIMEOUT and verdict.reward == 0.0
    assert verdict.detail.startswith("1/2 tests passed; first failure: test 2 timeout")


def test_runtime_error_and_bad_return(verifier):
    problem = Problem(id="p", reference={"fn_name": "f", "inputs": [[1]], "outputs": [1]})
    verdict = verifier.verify(problem, "def f(x):\n    return 1 / 0\n")
    assert verdict.status is Status.WRONG and "ZeroDivisionError" in verdict.detail
    tricky = "class One(int):\n    def __eq__(self, o): return True\ndef f(x):\n    return One(2)\n"
    assert verifier.verify(problem, tricky).status is Status.WRONG
    assert verifier.verify(problem, "def f(x):\n    return True\n").status is Status.WRONG
    assert verifier.verify(problem, "def f(x):\n    return 1.0\n").status is Status.CORRECT


@pytest.mark.parametrize("completion", ["", "   \n", "```python\n```", "```cobol\nDISPLAY 1.\n```"])
def test_no_code_is_no_answer(verifier, completion):
    problem = Problem(id="p", reference={"inputs": ["1"], "outputs": ["1"]})
    assert verifier.verify(problem, completion).status is Status.NO_ANSWER


def test_a_language_the_table_lacks_is_named(verifier):
    problem = Problem(id="p", reference={"inputs": ["1"], "outputs": ["1"]})
    verdict = verifier.verify(problem, "```cobol\nDISPLAY 1.\n```")
    assert "tagged cobol, which the verifier cannot run" in verdict.detail
    meta = verifier.verify(Problem(id="p", reference=problem.reference, meta={"language": "cobol"}), "print(1)")
    assert meta.status is Status.INVALID_INPUT and "unknown language 'cobol'" in meta.detail


def test_language_comes_from_meta_then_fence_then_default(verifier):
    problem = Problem(id="p", reference={"inputs": ["1"], "outputs": ["1"]})
    assert verifier.language_for(problem, "```c++\nint main() {}\n```").name == "cpp"
    assert verifier.language_for(problem, "```python\nprint(1)\n```\n```text\n1\n```").name == "python"
    assert verifier.language_for(problem, "print(1)").name == "python"
    as_cpp = Problem(id="p", reference=problem.reference, meta={"language": "C++"})
    assert verifier.language_for(as_cpp, "```python\nprint(1)\n```").name == "cpp"
    assert verifier.verify(as_cpp, "```python\nprint(1)\n```").status is Status.NO_ANSWER


@pytest.mark.parametrize("reference", [None, "garbage", {"inputs": ["1"], "outputs": []}])
def test_bad_reference_is_invalid_input(verifier, reference):
    verdict = verifier.verify(Problem(id="p", reference=reference), "print(1)")
    assert verdict.status is Status.INVALID_INPUT and verdict.detail


def test_unknown_language_is_invalid_input(verifier):
    problem = Problem(id="p", reference={"inputs": ["1"], "outputs": ["1"]}, meta={"language": "cobol"})
    assert verifier.verify(problem, "print(1)").status is Status.INVALID_INPUT


def test_missing_sandbox_backend_is_an_error():
    problem = Problem(id="p", reference={"inputs": ["1"], "outputs": ["1"]})
    verdict = AppsVerifier(sandbox="no-such-backend").verify(problem, "print(1)")
    assert verdict.status is Status.ERROR and "no-such-backend" in verdict.detail


def test_pickles_without_its_sandbox(verifier):
    problem, solution = CALL_CASES[0]
    assert verifier.verify(problem, solution).correct  # the sandbox now exists
    clone = pickle.loads(pickle.dumps(verifier))
    assert clone._sandbox is None and clone.settings == verifier.settings
    assert clone.verify(problem, solution).correct


@pytest.mark.parametrize("options", [{"time_limit": 0}, {"time_limit": 10.5}, {"memory_mb": 8},
                                     {"language": ""}, {"time_limit": 5, "total_time_limit": 1}])
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError):
        AppsVerifier(**options)


def test_a_default_language_no_plugin_registers_is_named_when_grading():
    """Languages are looked up on use (the verifier is built while plugins load), so an unknown default
    language is an invalid-input verdict naming it and the registered ones."""
    problem = Problem(id="p", reference={"inputs": ["1"], "outputs": ["1"]})
    verdict = AppsVerifier(sandbox="process", language="cobol").verify(problem, "print(1)")
    assert verdict.status is Status.INVALID_INPUT
    assert "the verifier's language 'cobol' is not registered; known: " in verdict.detail and "cpp" in verdict.detail


def test_backend_failure_is_an_error_verdict_and_the_backend_is_replaced():
    class Broken:
        name = "broken"
        closed = False

        def run(self, request):
            raise ConnectionError("the daemon went away")

        def close(self):
            self.closed = True

    problem = Problem(id="p", reference={"inputs": ["1"], "outputs": ["1"]})
    verifier = AppsVerifier(sandbox="process")
    broken = Broken()
    verifier._sandbox = broken
    verdict = verifier.verify(problem, "print(1)")
    assert verdict.status is Status.ERROR and "ConnectionError: the daemon went away" in verdict.detail
    assert broken.closed
    assert verifier.verify(problem, "print(1)").status is Status.CORRECT
    verifier.close()

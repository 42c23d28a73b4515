import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from rest_verify import Problem, Verdict
from rest_verify.builtin.exact import ExactVerifier
from rest_verify.cli import main
from rest_verify.testing import VerifierSuite, completions, run_checks

EXAMPLES = [(Problem(id="two", prompt="What is 1 + 1?", reference="2"), "1 + 1 makes\n2")]


class TestExactConforms(VerifierSuite):
    verifier = "exact"


class RewardsEverything:
    name = "pushover"
    version = "1"
    examples = EXAMPLES

    def verify(self, problem, completion):
        return Verdict.right()


class Crashes:
    name = "crashy"
    version = "1"
    examples = EXAMPLES

    def verify(self, problem, completion):
        if len(completion) > 1000:
            raise ValueError("too long")
        return Verdict.right() if completion.strip().endswith("2") else Verdict.wrong()


class LengthScorer:
    """A real-valued scorer: any text gets a score, negative ones included; empty text gets none."""

    name = "length"
    version = "1"
    examples = EXAMPLES
    real_valued_rewards = True

    def __init__(self, empty_score=None):
        self.empty_score = empty_score

    def verify(self, problem, completion):
        if not completion.strip():
            if self.empty_score is None:
                return Verdict.no_answer("nothing to score")
            return Verdict(self.empty_score, "correct")
        return Verdict(len(completion.strip()) / 10 - 3, "correct")


def test_a_scorer_is_judged_by_scorer_rules():
    assert all(r.passed for r in run_checks(LengthScorer(), deadline=5)), \
        [r for r in run_checks(LengthScorer(), deadline=5) if not r.passed]
    failed = {r.name for r in run_checks(LengthScorer(empty_score=0.5), deadline=5) if not r.passed}
    assert failed == {"junk_earns_nothing"}
    infinite = {r.name for r in run_checks(LengthScorer(empty_score=float("inf")), deadline=5) if not r.passed}
    assert "reward_range" in infinite


def test_the_fixture_runs_in_one_line(conformance):
    conformance(ExactVerifier())


def test_a_verifier_that_rewards_junk_fails_the_negative_control():
    failed = {r.name for r in run_checks(RewardsEverything(), deadline=5) if not r.passed}
    assert "junk_earns_nothing" in failed
    assert "reward_range" not in failed


def test_a_verifier_that_raises_on_big_input_fails_the_garbage_check():
    results = {r.name: r for r in run_checks(Crashes(), deadline=5)}
    assert not results["garbage_gets_a_verdict"].passed
    assert "ValueError" in results["garbage_gets_a_verdict"].message
    assert results["examples"].passed


def test_no_examples_is_reported():
    results = {r.name: r for r in run_checks(ExactVerifier(), examples=[], deadline=5)}
    assert not results["examples"].passed and "examples" in results["examples"].message


@settings(max_examples=200, deadline=None)
@given(completions())
def test_exact_never_raises_on_arbitrary_text(text):
    verdict = ExactVerifier().verify(Problem(id="p", reference="42"), text)
    assert 0 <= verdict.reward <= 1


class WritesCountAsRight:
    """A SQL-shaped verifier that a generic kit cannot catch: it rewards any statement at all."""

    name = "writes-ok"
    version = "1"
    examples = EXAMPLES
    bad_examples = [(Problem(id="w", prompt="How many rows?", reference="2"), "DELETE FROM t;\n2")]

    def verify(self, problem, completion):
        return Verdict.right() if completion.strip().endswith("2") else Verdict.wrong()


def test_a_verifiers_own_bad_examples_are_judged():
    failed = {r.name: r.message for r in run_checks(WritesCountAsRight(), deadline=5) if not r.passed}
    assert set(failed) == {"bad_examples_earn_nothing"}
    assert "DELETE FROM t" in failed["bad_examples_earn_nothing"]
    given = [(Problem(id="c", prompt="How many rows?", reference="2"), "SELECT 2;\n2")]
    failed = {r.name for r in run_checks(ExactVerifier(), deadline=5, bad_examples=given) if not r.passed}
    assert failed == {"bad_examples_earn_nothing"}


class SuiteWithBadExamples(VerifierSuite):  # not collected: used by the test below
    verifier = ExactVerifier()
    bad_examples = [(Problem(id="c", prompt="How many rows?", reference="2"), "constant answer\n2")]


def test_the_suites_bad_examples_are_passed_to_the_checks():
    with pytest.raises(AssertionError, match="constant answer"):
        SuiteWithBadExamples().test_conformance("bad_examples_earn_nothing")


class NeedsPrepare:
    name = "needs-prepare"
    version = "1"
    examples = EXAMPLES

    def __init__(self):
        self.table = None

    def prepare(self):
        self.table = {"2"}

    def __getstate__(self):  # as a worker sees it: what prepare() builds is not shipped
        return {"table": None}

    def verify(self, problem, completion):
        lines = completion.split()
        return Verdict.right() if lines and lines[-1] in self.table else Verdict.wrong()


def test_the_kit_prepares_the_verifier_and_its_unpickled_copy_as_the_engine_does():
    assert [r for r in run_checks(NeedsPrepare(), deadline=5) if not r.passed] == []


def test_check_takes_verifier_options_like_grade():
    result = CliRunner().invoke(main, ["check", "math", "--verifier-option", "extraction=strict"])
    assert result.exit_code == 0 and "0 failed" in result.output, result.output
    refused = CliRunner().invoke(main, ["check", "math", "--verifier-option", "extraction=bogus"])
    assert refused.exit_code == 2 and "extraction" in refused.output and "No such option" not in refused.output

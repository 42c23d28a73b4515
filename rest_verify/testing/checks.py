"""The conformance checks every verifier must pass, as plain functions.

Each check takes a verifier and a `Kit` (its known-correct `examples`, its domain's own `bad_examples`,
the deadline) and raises `AssertionError` saying what is wrong. The pytest suite, the `conformance` fixture and `rest-em check` all run these same functions.

Scorers (a verifier with `real_valued_rewards = True`, such as a reward model) have an opinion on any
text, so four checks judge them by the scorer contract instead: `examples` wants each example scored
(`correct`, finite reward) rather than rewarded; `reward_range` wants finite rewards rather than [0, 1];
`garbage_gets_a_verdict` and `junk_earns_nothing` still demand a verdict in time and no reward for empty
or whitespace-only output, but not that random text scores zero.
"""

from __future__ import annotations

import json
import math
import pickle
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from rest_verify.types import Problem, Status, Verdict

Examples = Sequence[tuple[Problem, str]]


@dataclass(frozen=True)
class Kit:
    """What the checks judge a verifier with.

    `examples`: (problem, correct completion) pairs, each must be rewarded. `bad_examples`: (problem,
    completion) pairs of the domain's own that must earn nothing (a write query for a SQL verifier, a
    constant answer), since the generic junk is math- and Python-shaped. `deadline`: seconds per item.
    """

    examples: Examples = ()
    bad_examples: Examples = ()
    deadline: float = 10.0


CHECKS: dict[str, Callable[[Any, Kit], None]] = {}


def check(function: Callable[[Any, Kit], None]) -> Callable[[Any, Kit], None]:
    CHECKS[function.__name__.removeprefix("check_")] = function
    return function


def junk_completions(problem: Problem, seed: int = 0) -> dict[str, str]:
    """Completions that must never earn a reward, whatever the domain."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz   .,;"
    return {
        "empty": "",
        "whitespace": " \n\t \n",
        "prompt echoed": problem.prompt or "Solve the problem.",
        "random text": "".join(rng.choice(letters) for _ in range(400)),
        "bare boxed": "\\boxed{}",
        "unclosed boxed": "The answer is \\boxed{",
        "empty code block": "```python\n```",
    }


def garbage_completions(seed: int = 0) -> dict[str, str]:
    """Completions that must get a verdict, never an exception, and quickly."""
    rng = random.Random(seed)
    return {
        "one megabyte": "9" * (1 << 20),
        "non-UTF-8 bytes": bytes(rng.randrange(128, 256) for _ in range(256)).decode("utf-8", "surrogateescape"),
        "control characters": "".join(chr(rng.randrange(0, 32)) for _ in range(200)),
        "deep braces": "\\boxed{" + "{" * 500 + "1" + "}" * 500 + "}",
        "power tower": "\\boxed{10^{10^{10^{10^{10}}}}}",
        "division by zero": "\\boxed{\\frac{1}{0}}",
        "random unicode": "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(300)),
        "nul bytes": "\x00" * 64,
    }


def real_valued(verifier: Any) -> bool:
    """Whether the verifier gives real-valued scores (a reward model) rather than pass/fail rewards."""
    return bool(getattr(verifier, "real_valued_rewards", False))


def _verify(verifier: Any, problem: Problem, completion: str) -> Verdict:
    verdict = verifier.verify(problem, completion)
    assert isinstance(verdict, Verdict), f"verify() returned {type(verdict).__name__}, not a Verdict"
    return verdict


@check
def check_identity(verifier: Any, kit: Kit) -> None:
    """Has a non-empty string name and version (the version keys the cache)."""
    assert isinstance(getattr(verifier, "name", None), str) and verifier.name, "verifier needs a string `name`"
    assert isinstance(getattr(verifier, "version", None), str) and verifier.version, \
        "verifier needs a string `version`; bump it whenever verdicts can change"


@check
def check_examples(verifier: Any, kit: Kit) -> None:
    """Has known-correct examples, and rewards each of them."""
    assert kit.examples, "verifier exposes no `examples` (a list of (Problem, correct completion) pairs)"
    for problem, completion in kit.examples:
        verdict = _verify(verifier, problem, completion)
        rewarded = math.isfinite(verdict.reward) if real_valued(verifier) else verdict.reward > 0
        assert verdict.status is Status.CORRECT and rewarded, \
            f"example {problem.id!r} should be correct, got {verdict.status}: {verdict.detail}"


@check
def check_deterministic(verifier: Any, kit: Kit) -> None:
    """The same input gives the same verdict (rule 5: deterministic, cached, versioned)."""
    for problem, completion in kit.examples:
        for candidate in (completion, completion + " 1", "nonsense"):
            first = _verify(verifier, problem, candidate)
            for _ in range(2):
                again = _verify(verifier, problem, candidate)
                assert (again.reward, again.status, again.detail) == (first.reward, first.status, first.detail), \
                    f"verdicts differ between calls on {problem.id!r}: {first} vs {again}"


@check
def check_picklable(verifier: Any, kit: Kit) -> None:
    """Survives pickling, which is how the engine ships it to worker processes."""
    clone = prepared(pickle.loads(pickle.dumps(verifier)))
    for problem, completion in kit.examples:
        assert _verify(clone, problem, completion).status is _verify(verifier, problem, completion).status, \
            "an unpickled copy grades differently from the original"


def _first_problem(examples: Examples) -> Problem:
    return examples[0][0] if examples else Problem(id="p")


def _sample_verdicts(verifier: Any, examples: Examples) -> list[Verdict]:
    """Verdicts on the examples' completions and on junk, all against the first example's problem."""
    problem = _first_problem(examples)
    candidates = [c for _, c in examples] + list(junk_completions(problem).values())
    return [_verify(verifier, problem, completion) for completion in candidates]


@check
def check_json_round_trip(verifier: Any, kit: Kit) -> None:
    """Every verdict survives JSON: run directories and caches store them as JSON."""
    for verdict in _sample_verdicts(verifier, kit.examples):
        restored = Verdict.from_json(json.dumps(json.loads(verdict.to_json())))
        assert restored == verdict, f"verdict changed through JSON: {verdict} -> {restored}"


@check
def check_reward_range(verifier: Any, kit: Kit) -> None:
    """Rewards lie in [0, 1] (scorers: are finite), and only `correct` verdicts carry a positive reward."""
    for verdict in _sample_verdicts(verifier, kit.examples):
        if real_valued(verifier):
            assert math.isfinite(verdict.reward), f"score {verdict.reward} is not finite"
        else:
            assert 0.0 <= verdict.reward <= 1.0, f"reward {verdict.reward} outside [0, 1]"
        assert verdict.reward == 0.0 or verdict.status is Status.CORRECT, \
            f"status {verdict.status} carries reward {verdict.reward}"


@check
def check_garbage_gets_a_verdict(verifier: Any, kit: Kit) -> None:
    """Garbage, empty, 1 MB and non-UTF-8 completions get a verdict within the deadline, never an exception."""
    problem = _first_problem(kit.examples)
    for label, completion in garbage_completions().items():
        start = time.monotonic()
        try:
            verdict = _verify(verifier, problem, completion)
        except Exception as exc:  # the point of the check: report the exception as a failure
            raise AssertionError(f"{label!r} completion raised {type(exc).__name__}: {exc}") from exc
        took = time.monotonic() - start
        assert took <= kit.deadline, f"{label!r} completion took {took:.1f} s, over the {kit.deadline:g} s deadline"
        assert verdict.status is not Status.CORRECT or label == "one megabyte" or real_valued(verifier), \
            f"{label!r} completion was graded correct"


@check
def check_junk_earns_nothing(verifier: Any, kit: Kit) -> None:
    """Negative control: empty output, the prompt echoed, random text, a bare \\boxed{} earn no reward
    (scorers: empty and whitespace-only output)."""
    problems = [p for p, _ in kit.examples] or [Problem(id="p", prompt="What is 1 + 1?", reference="2")]
    for problem in problems:
        for label, completion in junk_completions(problem).items():
            if real_valued(verifier) and completion.strip():
                continue
            verdict = _verify(verifier, problem, completion)
            assert verdict.reward == 0.0, f"{label!r} completion earned reward {verdict.reward} on {problem.id!r}"


@check
def check_bad_examples_earn_nothing(verifier: Any, kit: Kit) -> None:
    """The domain's own bad examples (the verifier's `bad_examples`) earn no reward and get a verdict in time."""
    for problem, completion in kit.bad_examples:
        start = time.monotonic()
        verdict = _verify(verifier, problem, completion)
        took = time.monotonic() - start
        assert verdict.reward == 0.0 and verdict.status is not Status.CORRECT, \
            f"bad example {completion[:60]!r} on {problem.id!r} earned {verdict.reward} ({verdict.status})"
        assert took <= kit.deadline, f"bad example {completion[:60]!r} took {took:.1f} s, over {kit.deadline:g} s"


@check
def check_whitespace_idempotent(verifier: Any, kit: Kit) -> None:
    """Surrounding whitespace does not change a verdict."""
    for problem, completion in kit.examples:
        base = _verify(verifier, problem, completion)
        for padded in ("\n" + completion, completion + "\n\n", "  " + completion + "  "):
            verdict = _verify(verifier, problem, padded)
            assert verdict.status is base.status, \
                f"padding with whitespace changed the verdict on {problem.id!r}: {base.status} -> {verdict.status}"


@check
def check_deadline_in_engine(verifier: Any, kit: Kit) -> None:
    """Graded through the engine with a deadline, every item comes back in time with a verdict."""
    from rest_verify.engine import grade

    problem = _first_problem(kit.examples)
    completions = list(garbage_completions().values()) + [c for _, c in kit.examples]
    start = time.monotonic()
    verdicts = grade([problem] * len(completions), completions, verifier, workers=1, timeout=kit.deadline,
                     cache=False, progress=False)
    took = time.monotonic() - start
    assert len(verdicts) == len(completions)
    assert took <= kit.deadline * len(completions) + 10, f"the engine took {took:.1f} s"
    assert all(v.elapsed <= kit.deadline + 1 for v in verdicts), "an item ran past its deadline"


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    message: str
    description: str


def examples_of(verifier: Any) -> list[tuple[Problem, str]]:
    return list(getattr(verifier, "examples", None) or [])


def bad_examples_of(verifier: Any) -> list[tuple[Problem, str]]:
    return list(getattr(verifier, "bad_examples", None) or [])


def kit_for(verifier: Any, examples: Examples | None = None, deadline: float = 10.0,
            bad_examples: Examples | None = None) -> Kit:
    """A `Kit` from what the verifier declares, overridden by whatever the caller gives."""
    return Kit(examples_of(verifier) if examples is None else list(examples),
               bad_examples_of(verifier) if bad_examples is None else list(bad_examples), deadline)


def prepared(verifier: Any) -> Any:
    """The verifier after its optional `prepare()`, which the engine runs once in each worker."""
    prepare = getattr(verifier, "prepare", None)
    if callable(prepare):
        prepare()
    return verifier


def run_checks(verifier: Any, examples: Examples | None = None, deadline: float = 10.0,
               bad_examples: Examples | None = None) -> list[CheckResult]:
    """Run every check; each failure is reported, not raised, so one run shows them all."""
    kit = kit_for(verifier, examples, deadline, bad_examples)
    try:
        prepared(verifier)
    except Exception as exc:  # every other check needs a prepared verifier: this one failure says it all
        return [CheckResult("prepare", False, f"prepare() raised {type(exc).__name__}: {exc}",
                            "prepare() runs, as in each worker process")]
    results = []
    for name, function in CHECKS.items():
        description = (function.__doc__ or "").strip().splitlines()[0]
        try:
            function(verifier, kit)
        except AssertionError as exc:
            results.append(CheckResult(name, False, str(exc), description))
        except Exception as exc:  # a crashing check is a failed check, with the reason
            results.append(CheckResult(name, False, f"{type(exc).__name__}: {exc}", description))
        else:
            results.append(CheckResult(name, True, "", description))
    return results

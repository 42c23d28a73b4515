"""One configured grader per role: what each role's verifier is, and that a run grades every dataset once,
through the grader of its role, with the configured backend and sandbox — ReST and ReST-EM alike."""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

import pytest

from rest_verify.plugins import PINNING_VARIABLE, reset_registry
from rest_train.run import graders
from rest_train.run import loop
from rest_train.run import runner
from rest_train.config import ConfigError, from_dict
from rest_train.run.graders import role_verifiers
from rest_train.training.finetune import TRAINING_RECORD


def config_of(**sections: Any):
    return from_dict({"model": {"path": "unused"}, "data": {"task": "arith"}, **sections})


# -- which verifier each role holds -----------------------------------------------------------------------

def test_rest_em_has_one_verifier_for_both_roles_with_its_options():
    verifiers = role_verifiers(config_of(grading={"verifier": "math",
                                                  "verifier_options": {"extraction": "strict"}}), "arith")
    assert verifiers.shared and verifiers.reward.name == "math"
    assert verifiers.reward.extraction == "strict"


def test_rest_scores_with_the_reward_options_and_reports_with_the_task_verifier():
    config = config_of(mode="rest", grading={"verifier": "math", "verifier_options": {}},
                       rest={"reward_options": {"extraction": "strict"}})
    verifiers = role_verifiers(config, "arith")
    assert not verifiers.shared
    assert (verifiers.reward.name, verifiers.reward.extraction) == ("math", "strict")
    assert verifiers.exact.name == "arith"
    assert verifiers.describe() == {"reward": f"math@{verifiers.reward.version}", "exact": "arith@1"}


def test_rest_with_the_task_verifier_as_reward_keeps_one_verifier_unless_options_differ():
    same = role_verifiers(config_of(mode="rest", data={"task": "arith"}), "arith")
    assert same.shared
    differing = role_verifiers(config_of(mode="rest", grading={"verifier": "math"},
                                         rest={"reward_options": {"extraction": "strict"}}), "math")
    assert not differing.shared and differing.exact.extraction != differing.reward.extraction


def test_rest_without_a_task_verifier_has_no_exact_role():
    verifiers = role_verifiers(config_of(mode="rest", grading={"verifier": "arith"}), None)
    assert verifiers.exact is None and verifiers.describe()["exact"] is None


@pytest.mark.parametrize("sections, message", [
    ({"grading": {"verifier_options": {"bogus": "1"}}}, "grading.verifier_options: verifier 'arith' takes no options"),
    ({"mode": "rest", "grading": {"verifier": "math"}, "rest": {"reward_options": {"extraction": "wild"}}},
     "rest.reward_options: verifier 'math'"),
    ({"grading": {"sandbox_options": {"runtime": "runsc"}}},
     "grading.sandbox_options: verifier 'arith' runs no sandbox"),
])
def test_a_bad_option_is_a_config_error_naming_its_field(sections, message):
    with pytest.raises(ConfigError, match=message):
        role_verifiers(config_of(**sections), "arith")


# -- a whole run, spied on --------------------------------------------------------------------------------

class CountingGrader:
    """A grader of a role that counts what it grades, by (problem id, completion)."""

    def __init__(self, inner: Any, opened: dict[str, Any]):
        self.inner = inner
        self.opened = opened
        self.graded: collections.Counter = collections.Counter()

    def grade(self, problems: Iterable[Any], completions: Iterable[str]) -> list[Any]:
        return list(self.grade_iter(zip(problems, completions)))

    def grade_iter(self, pairs: Iterable[tuple[Any, str]], total: int | None = None) -> Iterator[Any]:
        def counted() -> Iterator[tuple[Any, str]]:
            for problem, completion in pairs:
                self.graded[(problem.id, completion)] += 1
                yield problem, completion
        return self.inner.grade_iter(counted(), total=total)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def spied(monkeypatch):
    """Every grader the run opens, counted; a generator and a trainer that cost nothing."""
    opened: list[CountingGrader] = []
    real_open = graders.open_grader

    def open_grader(verifier, **options):
        grader = CountingGrader(real_open(verifier, **options),
                                {"verifier": f"{verifier.name}@{verifier.version}", "backend": options["backend"],
                                 "sandbox": dict(getattr(verifier, "sandbox_options", {}))})
        opened.append(grader)
        return grader

    def finetune(init, examples, output, config, **options):
        Path(output).mkdir(parents=True)
        (Path(output) / TRAINING_RECORD).write_text(json.dumps({"examples": len(examples), "init": str(init)}))

    monkeypatch.setattr(graders, "open_grader", open_grader)
    monkeypatch.setattr(loop, "finetune", finetune)
    return opened


def fixed_completions(texts: list[str]):
    """A generator backend whose `n` samples of any prompt are `texts`, cycled, with `{call}` in them made
    the number of the sampling stage and of the sample: no two samples of the run are the same item."""
    calls = iter(range(1_000))

    class Fixed:
        def generate(self, prompts, n, sampling):
            call = next(calls)
            return [[texts[i % len(texts)].replace("{call}", f"{call}.{i}") for i in range(n)] for _ in prompts]

    return lambda name: (lambda model_path, **options: Fixed())


def assert_each_item_graded_once(grader: CountingGrader) -> None:
    repeated = {item: count for item, count in grader.graded.items() if count > 1}
    assert not repeated, f"graded more than once by {grader.opened}: {repeated}"


ARITH_RUN = {"model": {"path": "unused"}, "iterations": 1,
             "data": {"task": "arith", "train_options": {"count": 6, "seed": 1},
                      "eval_options": {"split": "test", "count": 4, "seed": 2}},
             "sampling": {"samples_per_problem": 3}, "eval": {"ks": [1, 2]}}


def test_a_rest_run_grades_grow_data_once_by_the_reward_and_held_out_data_by_the_exact_verifier(
        tmp_path, spied, monkeypatch):
    monkeypatch.setattr(loop, "get_generator_factory", fixed_completions(["stage {call}: \\boxed{1}\nAnswer: 1",
                                                                          "stage {call}: \\boxed{2}\nAnswer: 2"]))
    config = from_dict({**ARITH_RUN, "mode": "rest", "output_dir": str(tmp_path / "run"),
                        "grading": {"verifier": "math", "workers": 1},
                        "rest": {"improve_steps": 2, "thresholds": [0.0, 0.5],
                                 "reward_options": {"extraction": "strict"}}})
    runner.run(config, progress=False)
    by_verifier = {grader.opened["verifier"].split("@")[0]: grader for grader in spied}
    assert len(spied) == 2 and set(by_verifier) == {"math", "arith"}
    reward, exact = by_verifier["math"], by_verifier["arith"]
    assert reward.opened["verifier"].startswith("math@") and exact.opened["verifier"] == "arith@1"
    assert {grader.opened["backend"] for grader in spied} == {"local"}
    # every grader has a deadline: the verifiers' own, as grading.timeout is unset (None used to mean none)
    assert [grader.inner.timeout for grader in spied] == [10.0, 10.0]
    for grader in spied:
        assert_each_item_graded_once(grader)
    # the reward scored the Grow dataset (6 problems x 3 samples, 2 distinct completions each) and the
    # held-out samples of each Improve step's model for eval_rewards.jsonl; the exact verifier judged the
    # held-out samples and what each Improve step kept.
    grow = {(p, c) for p, c in reward.graded if p.startswith("arith/train")}
    assert len(grow) == 6 * 3
    verdicts = [json.loads(line) for line in (tmp_path / "run" / "iter_01" / "verdicts.jsonl").open()]
    assert len(verdicts) == 18 and all(v["status"] in ("correct", "wrong") for v in verdicts)
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["graders"] == {"reward": reward.opened["verifier"], "exact": "arith@1"}


def test_a_rest_em_run_opens_one_grader_and_grades_each_dataset_once(tmp_path, spied, monkeypatch):
    monkeypatch.setattr(loop, "get_generator_factory", fixed_completions(["{call}\nAnswer: 1", "{call}\nAnswer: 2",
                                                                          "{call}\nAnswer: 3"]))
    config = from_dict({**ARITH_RUN, "output_dir": str(tmp_path / "run"),
                        "grading": {"verifier": "arith", "workers": 1}, "filter": {"thresholds": [0.0]}})
    runner.run(config, progress=False)
    [grader] = spied
    assert_each_item_graded_once(grader)
    assert sum(grader.graded.values()) == 6 * 3 + 2 * 4 * 2  # training samples + two evaluations


def test_a_journal_left_beside_a_finished_stage_is_removed_on_resume(tmp_path, spied, monkeypatch):
    monkeypatch.setattr(loop, "get_generator_factory", fixed_completions(["Answer: 1"]))
    config = from_dict({**ARITH_RUN, "iterations": 0, "output_dir": str(tmp_path / "run"),
                        "grading": {"verifier": "arith", "workers": 0}})
    runner.run(config, progress=False)
    stale = tmp_path / "run" / "iter_00" / "eval_samples.jsonl.journal"
    stale.write_text("{}\n")  # a kill after the stage was written, before its journal was removed
    runner.run(config, progress=False)
    assert not stale.exists()


# -- the real thing: apps under gVisor, graded on a Ray cluster -------------------------------------------

GVISOR_RELEASE = "4.4.0"  # the kernel release gVisor reports; runc shows the host's
PROGRAM = "```python\nimport os  # sampling stage {call}\nprint(os.uname().release)\n```"


@pytest.fixture
def apps_plugins():
    previous = os.environ.get(PINNING_VARIABLE)
    os.environ[PINNING_VARIABLE] = "rest-em-apps"
    reset_registry()
    yield
    if previous is None:
        del os.environ[PINNING_VARIABLE]
    else:
        os.environ[PINNING_VARIABLE] = previous
    reset_registry()


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["rest-em", "rest"])
def test_every_program_of_a_run_runs_under_the_configured_runtime_through_the_configured_backend(
        tmp_path, spied, monkeypatch, apps_plugins, mode):
    from tests.conftest import runtime_problem

    pytest.importorskip("ray")
    if (problem := runtime_problem("runsc")) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test under runsc, but: {problem}")
        pytest.skip(problem)
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    rows = [{"problem_id": f"uname-{i}", "question": "Print the kernel release.",
             "input_output": json.dumps({"inputs": [""], "outputs": [GVISOR_RELEASE + "\n"]})} for i in range(3)]
    data = tmp_path / "problems.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    monkeypatch.setattr(loop, "get_generator_factory", fixed_completions([PROGRAM]))
    config = from_dict({
        "mode": mode, "output_dir": str(tmp_path / "run"), "iterations": 1, "model": {"path": "unused"},
        "data": {"task": "apps", "train_path": str(data), "eval_path": str(data)},
        "sampling": {"samples_per_problem": 2}, "eval": {"ks": [1, 2]},
        "grading": {"backend": "ray", "workers": 1, "sandbox_options": {"runtime": "runsc", "pool_size": 0}},
        "rest": {"improve_steps": 1, "thresholds": [0.5]}})
    runner.run(config, progress=False)
    [grader] = spied  # apps is both roles' verifier, in both modes: one grader
    assert grader.opened["backend"] == "ray" and grader.opened["sandbox"]["runtime"] == "runsc"
    assert type(grader.inner).__name__ == "RayGrader"
    assert_each_item_graded_once(grader)
    run = tmp_path / "run"
    for name in ("iter_01/verdicts.jsonl", "iter_00/eval_verdicts.jsonl", "iter_01/eval_verdicts.jsonl"):
        statuses = [json.loads(line)["status"] for line in (run / name).open()]
        # only a program that saw gVisor's kernel release prints the expected output
        assert statuses and set(statuses) == {"correct"}, (name, statuses)
    kept = [json.loads(line) for line in (run / "iter_01" / "train.jsonl").open()]
    assert kept and all("os.uname().release" in k["completion"] for k in kept)

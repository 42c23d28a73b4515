"""`rest-em run --check CONFIG`: every part of a run built and tried on a little data, without a model or a GPU.

The mistakes a real run otherwise shows only after its model has loaded and sampled (a wrong column, a
missing chat template, a misspelt verifier option, a LoRA target that is not there, a tracker that cannot
write) are each one line naming the field. Checks that need an earlier one (the verifier needs the task's
problems) are skipped with a note when it failed.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from rest_train.config import RunConfig
from rest_train.generation.chat import ChatFormat
from rest_train.run import tracking
from rest_train.run.graders import role_verifiers
from rest_train.training import adapters
from rest_verify import Problem
from rest_verify.errors import RestEmError
from rest_verify.plugins import get_generator_factory, get_task

PROBLEMS = 3  # read from each split: enough to see the columns map, cheap on any data set
BACKEND_MODULES = {"vllm": "vllm", "openai": "httpx"}  # a backend's factory is built lazily: its import is the check


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, and `ok` / `failed` / `skipped` with a detail."""

    name: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.status:7} {self.name}: {self.detail}"


class _Checks:
    def __init__(self, config: RunConfig):
        self.config = config
        self.results: list[Check] = []
        self.task: Any = None
        self.problems: list[Problem] = []

    def run(self, name: str, action: Callable[[], str], needs: Any = True) -> None:
        if not needs:
            self.results.append(Check(name, "skipped", "an earlier check failed"))
            return
        try:
            self.results.append(Check(name, "ok", action()))
        except (RestEmError, OSError) as exc:
            self.results.append(Check(name, "failed", str(exc).strip().splitlines()[0]))

    def model(self) -> str:
        path = Path(self.config.model.path)
        if not self.config.model.path:
            raise RestEmError("model.path is required: the base checkpoint to start from")
        if not (path / "config.json").exists():
            raise RestEmError(f"model.path: {path} holds no config.json (a from_pretrained checkpoint folder)")
        return str(path)

    def read_task(self) -> str:
        data = self.config.data
        if not data.task:
            raise RestEmError("data.task is required: a registered task (see `rest-em plugins`)")
        self.task = get_task(data.task)
        counts = []
        for split, path, options in (("train", data.train_path, data.train_options),
                                     ("eval", data.eval_path, data.eval_options)):
            problems = list(_first(self.task.load(path, **options), PROBLEMS))
            if not problems:
                raise RestEmError(f"data.{split}_path: task {data.task!r} read no problem from {path!r}")
            self.problems.extend(problems)
            counts.append(f"{split} {len(problems)}")
        return f"task {data.task!r} read the first problems ({', '.join(counts)})"

    def prompt(self) -> str:
        problem = self.problems[0]
        if self.config.chat.template:
            text = ChatFormat.for_model(self.config.model.path, self.config.chat).render(problem.prompt)
            how = "the tokenizer's chat template"
        else:
            format_prompt = getattr(self.task, "format_prompt", None)
            text = format_prompt(problem) if format_prompt is not None else problem.prompt
            how = "the task's format"
        return f"{len(text)} characters through {how} for problem {problem.id!r}"

    def verifier(self) -> str:
        verifiers = role_verifiers(self.config, getattr(self.task, "verifier", None))
        grader = verifiers.exact or verifiers.reward
        solved = [problem for problem in self.problems if isinstance(problem.meta.get("solution"), str)]
        if not solved:
            return f"{grader.name} built with its options (the task offers no reference solution to grade)"
        verdicts = [grader.verify(problem, problem.meta["solution"]) for problem in solved]
        wrong = [(p, v) for p, v in zip(solved, verdicts) if not v.correct]
        if wrong:
            problem, verdict = wrong[0]
            raise RestEmError(f"grading.verifier_options: {grader.name} rejects {len(wrong)} of {len(solved)} of "
                              f"the task's reference solutions (problem {problem.id!r}: {verdict.status}, "
                              f"{verdict.detail})")
        return f"{grader.name} built with its options and accepts the task's {len(solved)} reference solutions"

    def generator(self) -> str:
        backend = self.config.generation.backend
        get_generator_factory(backend)
        module = BACKEND_MODULES.get(backend)
        if module is not None and importlib.util.find_spec(module) is None:
            raise RestEmError(f"generation.backend {backend!r} needs the {module} package")
        return f"backend {backend!r} is registered (its options are checked when it starts)"

    def lora(self) -> str:
        if self.config.train.peft is None:
            return "full fine-tuning"
        adapters.check_targets(self.config.model.path, self.config.train.peft)
        return "every LoRA target matches a module"

    def trackers(self) -> str:
        names = self.config.tracking.report_to
        for name in names:
            tracking.require(name)
        if names:
            _writable(tracking.tracking_dir(self.config), "tracking.dir")
        return f"{', '.join(names)} importable, tracking.dir writable" if names else "none"

    def output(self) -> str:
        _writable(Path(self.config.output_dir), "output_dir")
        return f"{self.config.output_dir} is writable"


def check(config: RunConfig) -> list[Check]:
    """Every check of `config`, in order; none loads model weights or starts a generator."""
    checks = _Checks(config)
    checks.run("model", checks.model)
    checks.run("data", checks.read_task)
    checks.run("prompt", checks.prompt, needs=checks.problems)
    checks.run("verifier", checks.verifier, needs=checks.problems)
    checks.run("generator", checks.generator)
    checks.run("train.peft", checks.lora, needs=checks.results[0].status == "ok")
    checks.run("tracking", checks.trackers)
    checks.run("output", checks.output)
    return checks.results


def _first(problems: Iterator[Problem], count: int) -> Iterator[Problem]:
    for index, problem in enumerate(problems):
        if index >= count:
            return
        yield problem


def _writable(directory: Path, field: str) -> None:
    """Raise naming `field` unless `directory`, or the folder it would be created in, takes new files; a check
    creates nothing."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise RestEmError(f"{field}: cannot write to {directory} ({existing} is not a writable folder)")

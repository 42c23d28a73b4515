"""`rest-em run --check CONFIG`: every part of a run built and tried on a little data, without a model or a GPU.

The mistakes a real run otherwise shows only after its model has loaded and sampled (a wrong column, a
missing chat template, a misspelt verifier option, a LoRA target that is not there, a tracker that cannot
write) are each one line naming the field. Checks that need an earlier one (the verifier needs the task's
problems) are skipped with a note when it failed. A hub data set or model cannot be looked at while the hub
cannot be reached (HF_HUB_OFFLINE=1, no network): its check says `skipped` and why, never passes silently,
and every check that does not need it still runs.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rest_train.config import RunConfig
from rest_train.generation.chat import ChatFormat
from rest_train.models.hub import hub_unreachable, is_hub_model, local_model
from rest_train.run import tracking
from rest_train.run.graders import role_verifiers
from rest_train.training import adapters
from rest_verify import Problem
from rest_verify.errors import RestEmError, first_line
from rest_verify.plugins import get_generator_factory, get_task

PROBLEMS = 3  # read from each split: enough to see the columns map, cheap on any data set
BACKEND_MODULES = {"vllm": "vllm", "openai": "httpx"}  # a backend's factory is built lazily: its import is the check
OK, FAILED, SKIPPED = "ok", "failed", "skipped"


class Skipped(Exception):
    """A check that cannot be made here; the message says why."""


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

    def run(self, name: str, action: Callable[[], str], after: str | None = None) -> None:
        """Record `action`'s line; skipped when the check it needs (`after`) failed. After a skipped one the
        action runs and checks what it can without it."""
        needed = self.status(after)
        if needed is not None and needed.status == FAILED:
            self.results.append(Check(name, SKIPPED, f"needs {after}: an earlier check failed"))
            return
        try:
            self.results.append(Check(name, OK, action()))
        except Skipped as exc:
            self.results.append(Check(name, SKIPPED, str(exc)))
        except (RestEmError, OSError) as exc:
            self.results.append(Check(name, FAILED, first_line(exc)))

    def status(self, name: str | None) -> Check | None:
        return next((result for result in self.results if result.name == name), None)

    def model(self) -> str:
        if not self.config.model.path:
            raise RestEmError("model.path is required: the base checkpoint to start from")
        if is_hub_model(self.config.model.path):
            return self.hub_model()
        path = Path(local_model(self.config.model.path))
        if not (path / "config.json").exists():
            raise RestEmError(f"model.path: {path} holds no config.json (a from_pretrained checkpoint folder)")
        return str(path)

    def hub_model(self) -> str:
        """A hub id is looked up (its config.json fetched into the cache) when the hub answers."""
        repo = self.config.model.path[len("hf://"):]
        reason = hub_unreachable()
        if reason is not None:
            raise Skipped(f"hub model {repo}: hub not reachable offline ({reason})")
        from huggingface_hub import hf_hub_download

        try:
            hf_hub_download(repo, "config.json")
        except Exception as exc:  # not found, gated, no network: huggingface_hub raises many types
            raise RestEmError(f"model.path: hub model {repo!r} has no readable config.json "
                              f"({first_line(exc)})") from None
        return f"hub model {repo} (config.json read)"

    def read_task(self) -> str:
        data = self.config.data
        if not data.task:
            raise RestEmError("data.task is required: a registered task (see `rest-em plugins`)")
        self.task = get_task(data.task)
        counts, offline = [], []
        for split, options in (("train", data.train_options), ("eval", data.eval_options)):
            path = getattr(data, f"{split}_path")
            reason = hub_unreachable() if _on_hub(path) else None
            if reason is not None:
                offline.append((f"{split} {path}", reason))
                continue
            problems = list(itertools.islice(self.task.load(data.source(split, streaming=True), **options), PROBLEMS))
            if not problems:
                raise RestEmError(f"data.{split}_path: task {data.task!r} read no problem from {path!r}")
            self.problems.extend(problems)
            counts.append(f"{split} {len(problems)}")
        if offline:
            read = f"; read the first problems of {', '.join(counts)}" if counts else ""
            raise Skipped(f"hub not reachable offline ({offline[0][1]}): "
                          f"{', '.join(name for name, _ in offline)}{read}")
        return f"task {data.task!r} read the first problems ({', '.join(counts)})"

    def prompt(self) -> str:
        if not self.problems:
            raise Skipped(f"no problem to format: data skipped ({self.status('data').detail})")
        problem = self.problems[0]
        if self.config.chat.template:
            if self.status("model").status == SKIPPED:
                raise Skipped(f"the chat template is the model's, and model was not checked "
                              f"({self.status('model').detail})")
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
        if not self.problems:
            return f"{grader.name} built with its options (no problem read to grade its reference solution)"
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
            # Said, not failed: a config is often checked away from the GPU machine that has the package.
            raise Skipped(f"backend {backend!r} is registered; its package {module} is not installed here "
                          f"(pip install 'rest-em[{backend}]' where the run goes)")
        return f"backend {backend!r} is registered (its options are checked when it starts)"

    def lora(self) -> str:
        if self.config.train.peft is None:
            return "full fine-tuning"
        model = self.status("model")
        if model is not None and model.status == SKIPPED:
            adapters.lora_config(self.config.train.peft)
            raise Skipped(f"LoRA fields are valid; the targets need the model, which was not checked "
                          f"({model.detail})")
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
    checks.run("prompt", checks.prompt, after="data")
    checks.run("verifier", checks.verifier, after="data")
    checks.run("generator", checks.generator)
    checks.run("train.peft", checks.lora, after="model")
    checks.run("tracking", checks.trackers)
    checks.run("output", checks.output)
    return checks.results


def _on_hub(path: str | None) -> bool:
    """An hf:// path naming a hub data set (a local folder in the hub's layout needs no network)."""
    return is_hub_model(path)


def _writable(directory: Path, field: str) -> None:
    """Raise naming `field` unless `directory`, or the folder it would be created in, takes new files; a check
    creates nothing."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise RestEmError(f"{field}: cannot write to {directory} ({existing} is not a writable folder)")

"""The ReST / ReST-EM loop over a run directory, resumable at stage granularity.

Layout (NN = iteration, 00 = the base model, which is only evaluated):

    run.json                     config, seed, plugin provenance, REST_EM_PLUGINS, library versions
    problems.jsonl               the training problems as graded (id, prompt, reference, domain, meta), so
                                 a second verifier can regrade the samples (`rest-em audit --against`)
    iter_NN/samples.jsonl        E-step: K samples per training problem from the previous model
    iter_NN/verdicts.jsonl       their verdicts (same order)
    iter_NN/train.jsonl          kept samples: reward >= threshold, deduped, capped per problem
    iter_NN/checkpoint/          M-step: fine-tuned from the base (ReST-EM) or previous (ReST) model
    iter_NN/eval_samples.jsonl   n samples per held-out problem from this iteration's model
    iter_NN/eval_verdicts.jsonl  their verdicts
    iter_NN/metrics.json         pass@1, pass@k, maj@k (fractions) and the E-step/M-step record
    report.md, plot.png          per-iteration table and curve

Every output is written atomically and a stage whose output exists is skipped, so killing the process
at any point and rerunning the same command continues from the last finished stage.

Under `torchrun` or `accelerate launch` (rest_train.run.ranks) only rank 0 does and writes the stages;
the checkpoint stage alone runs on every rank, which all train it together.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import rest_verify
from rest_verify import Problem, Verdict
from rest_verify.audit import RUN_PROBLEMS
from rest_verify.errors import RestEmError
from rest_verify.plugins import PINNING_VARIABLE, get_generator_factory, get_task

from rest_train.run import filtering
from rest_train.run import metrics
from rest_train.generation.chat import ChatFormat
from rest_train.run.ranks import Ranks
from rest_train.config import ConfigError, RunConfig, from_dict
from rest_verify.dtypes import run_record
from rest_train.run.files import read_json, read_jsonl, remove_partials, write_json, write_jsonl
from rest_train.generation import Sampling
from rest_train.run.graders import RunGraders, role_verifiers
from rest_train.training import adapters
from rest_train.training.finetune import TRAINING_RECORD, finetune
from rest_train.run.overlap import sample_and_grade
from rest_train.reports.rest_em import write_report
from rest_train.run.resume import JournaledGenerator, journal_path
from rest_train.run.tracking import Tracking
from rest_train.models.hub import local_model

log = logging.getLogger("rest_train")

# Stages in execution order; the index also offsets each stage's seed.
STAGES = ("samples", "verdicts", "train", "checkpoint", "eval_samples", "eval_verdicts", "metrics")
OUTPUTS = {"samples": "samples.jsonl", "verdicts": "verdicts.jsonl", "train": "train.jsonl",
           "checkpoint": "checkpoint", "eval_samples": "eval_samples.jsonl",
           "eval_verdicts": "eval_verdicts.jsonl", "metrics": "metrics.json"}
# Stages every process runs; the others run on rank 0 while the rest wait for their output.
EVERY_RANK = ("checkpoint",)
# Keys of the recorded config that may change between a run and its resumption: they do not change
# what a finished stage means (more iterations extend the run; a moved directory is the same run).
RESUMABLE_CHANGES = ("iterations", "output_dir", "model.device", "generation.batch_size", "grading.workers",
                     "grading.timeout", "grading.backend", "grading.address", "tracking.report_to", "tracking.dir",
                     "tracking.mlflow_uri", "tracking.experiment", "tracking.run_name")

StageHook = Callable[[int, str], None]


def iteration_dir(root: Path, iteration: int) -> Path:
    return Path(root) / f"iter_{iteration:02d}"


class Loop:
    """One run: the config, its problems, and the stages that have not been done yet.

    `stage_hook(iteration, stage)` is called after each stage that actually ran and wrote its output;
    tests use it to crash a run at a chosen point, tools to watch progress. `ranks` places this process
    in a multi-process run. Every grading goes through `self.graders`, by role (rest_train.run.graders).
    """

    def __init__(self, config: RunConfig, *, stage_hook: StageHook | None = None, progress: bool | None = None,
                 ranks: Ranks = Ranks()):
        if not config.model.path:
            raise ConfigError("model.path is required: the base checkpoint to start from")
        if not config.data.task:
            raise ConfigError("data.task is required: a registered task (see `rest-em plugins`)")
        # A hub model id becomes its snapshot folder (named by commit), which run.json then records.
        config = dataclasses.replace(config, model=dataclasses.replace(config.model,
                                                                       path=local_model(config.model.path)))
        self.config = config
        self.root = Path(config.output_dir)
        self.stage_hook = stage_hook
        self.progress = progress
        self.ranks = ranks
        self.task = get_task(config.data.task)
        # Options are applied, and checked, now: a bad one stops the run before anything is generated.
        if config.train.peft is not None:
            adapters.check_targets(config.model.path, config.train.peft)
        self.graders = RunGraders(role_verifiers(config, getattr(self.task, "verifier", None)), config,
                                  progress=progress)
        self._generator: tuple[str, Any] | None = None
        self._chat: ChatFormat | None = None
        # Verdicts made while sampling, with the grader that made them, held until their own stage writes
        # them: the run directory and its resume points stay what they were before the two overlapped.
        self._graded_while_sampling: dict[Path, tuple[Any, list[Verdict]]] = {}
        self._seconds: dict[tuple[int, str], float] = {}  # wall time of each stage this process ran
        self.train_problems: list[Problem] = []
        self.eval_problems: list[Problem] = []

    def run(self) -> list[dict[str, Any]]:
        """Do every unfinished stage; returns the metrics of iterations 0..N."""
        if self.ranks.is_main:
            self.root.mkdir(parents=True, exist_ok=True)
            self._record_run()
        data = self.config.data
        self.train_problems = self._load(data.source("train"), data.train_options, data.train_limit, "training")
        if self.ranks.is_main:
            write_jsonl(self.root / RUN_PROBLEMS, (problem.to_dict() for problem in self.train_problems))
        self.eval_problems = self._load(data.source("eval"), data.eval_options, data.eval_limit, "held-out")
        tracking = Tracking.open(self.config, enabled=self.ranks.is_main)
        try:
            results = [self._evaluate(0, self.config.model.path)]
            tracking.log_iteration(results[-1])
            for iteration in range(1, self._iteration_count() + 1):
                results.append(self._iterate(iteration))
                tracking.log_iteration(results[-1])
        finally:
            tracking.close()
            self._release_generator()
            self.graders.close()
        if self.ranks.is_main:
            self._write_report(results)
        return results

    def _iteration_count(self) -> int:
        return self.config.iterations

    def _write_report(self, results: list[dict[str, Any]]) -> None:
        write_report(self.root, results, self.config)

    # -- stages ---------------------------------------------------------------------------------------

    def _iterate(self, iteration: int) -> dict[str, Any]:
        directory = iteration_dir(self.root, iteration)
        previous = self._model_of(iteration - 1)
        self._stage(iteration, "samples", lambda path: self._sample(
            previous, self.train_problems, self.config.sampling.samples_per_problem, path,
            self._seed(iteration, "samples"), self.graders.reward()))
        self._stage(iteration, "verdicts", lambda path: self._grade(
            directory / OUTPUTS["samples"], self.train_problems, path, self.graders.reward()))
        self._stage(iteration, "train", lambda path: self._filter(iteration, directory, path))
        init = self.config.model.path if self.config.train.init_from == "base" else previous
        self._stage(iteration, "checkpoint", lambda path: self._improve(init, directory, path, iteration))
        return self._evaluate(iteration, str(directory / OUTPUTS["checkpoint"]))

    def _evaluate(self, iteration: int, model_path: str) -> dict[str, Any]:
        directory = iteration_dir(self.root, iteration)
        self._stage(iteration, "eval_samples", lambda path: self._sample(
            model_path, self.eval_problems, self.config.eval_samples, path, self._seed(iteration, "eval_samples"),
            self.graders.exact()))
        self._stage(iteration, "eval_verdicts", lambda path: self._grade_held_out(directory, path))
        self._stage(iteration, "metrics", lambda path: self._metrics(iteration, model_path, directory, path))
        return read_json(directory / OUTPUTS["metrics"])

    def _stage(self, iteration: int, stage: str, produce: Callable[[Path], None]) -> None:
        directory = iteration_dir(self.root, iteration)
        output = directory / OUTPUTS[stage]
        every_rank = stage in EVERY_RANK
        if not (every_rank or self.ranks.is_main):
            self.ranks.wait()  # for rank 0 to finish the stage
            return
        done = self.ranks.from_main(output.exists()) if every_rank else output.exists()
        if done and self.ranks.is_main:
            # A kill between writing a sampling stage and removing its journal leaves the journal behind.
            journal_path(output).unlink(missing_ok=True)
        if not done:
            if self.ranks.is_main:
                directory.mkdir(parents=True, exist_ok=True)
                remove_partials(directory)
            started = time.monotonic()
            log.info("iteration %d: %s ...", iteration, stage)
            produce(output)
            self._seconds[iteration, stage] = round(time.monotonic() - started, 2)
            log.info("iteration %d: %s done in %.1fs", iteration, stage, self._seconds[iteration, stage])
            if self.stage_hook is not None:
                self.stage_hook(iteration, stage)
        if not every_rank:
            self.ranks.wait()  # the other ranks may read the output now

    def _sample(self, model_path: str, problems: Sequence[Problem], n: int, output: Path, seed: int,
                grader: Any) -> None:
        """`n` samples per problem into `output`, graded by `grader` as they come (kept for `_grade`)."""
        sampling = self.config.sampling
        stop = sampling.stop if sampling.stop is not None else getattr(self.task, "stop", ())
        prompts = [self._prompt(problem) for problem in problems]
        journal = journal_path(output)  # finished prompts of a killed attempt, replayed on rerun
        generator = JournaledGenerator(self._generator_for(model_path), [problem.id for problem in problems], journal)
        generated, verdicts = sample_and_grade(
            generator, prompts, problems, n,
            Sampling(temperature=sampling.temperature, top_k=sampling.top_k, top_p=sampling.top_p,
                     max_new_tokens=sampling.max_new_tokens, stop=tuple(stop), seed=seed),
            grader, backend=self.config.generation.backend)
        write_jsonl(output, ({"problem_id": problem.id, "sample": index, "prompt": prompt, "completion": text}
                             for problem, prompt, texts in zip(problems, prompts, generated)
                             for index, text in enumerate(texts)))
        self._graded_while_sampling[output] = (grader, [verdict for row in verdicts for verdict in row])
        journal.unlink(missing_ok=True)

    def _grade(self, samples_path: Path, problems: Sequence[Problem], output: Path, grader: Any) -> None:
        """`grader`'s verdicts of the samples: those it made while sampling, else it grades the file now
        (a resumed run, or a grader of another role than the one that graded while sampling)."""
        samples = read_jsonl(samples_path)
        made_by, verdicts = self._graded_while_sampling.get(samples_path, (None, None))
        if made_by is grader:
            del self._graded_while_sampling[samples_path]
        else:
            by_id = {problem.id: problem for problem in problems}
            verdicts = grader.grade([by_id[s["problem_id"]] for s in samples], [s["completion"] for s in samples])
        write_jsonl(output, ({"problem_id": s["problem_id"], "sample": s["sample"], **v.to_dict()}
                             for s, v in zip(samples, verdicts)))

    def _grade_held_out(self, directory: Path, output: Path) -> None:
        """The held-out samples' verdicts by the exact verifier, which gives pass@k."""
        self._grade(directory / OUTPUTS["eval_samples"], self.eval_problems, output, self.graders.exact())

    def _filter(self, iteration: int, directory: Path, output: Path) -> None:
        samples = read_jsonl(directory / OUTPUTS["samples"])
        rewards = [v["reward"] for v in read_jsonl(directory / OUTPUTS["verdicts"])]
        kept = filtering.select(samples, rewards, threshold=self.config.threshold(iteration),
                                max_per_problem=self.config.filter.max_per_problem,
                                dedupe=self.config.filter.dedupe)
        count = write_jsonl(output, kept)
        log.info("iteration %d: kept %d of %d samples", iteration, count, len(samples))

    def _improve(self, init: str, directory: Path, output: Path, iteration: int) -> None:
        self._release_generator()  # training needs the memory the sampling model holds
        examples = read_jsonl(directory / OUTPUTS["train"])
        init, adapter = self._training_start(init)
        finetune(init, examples, output, self.config.train, seed=self._seed(iteration, "checkpoint"),
                 device=self.config.model.device, dtype=self.config.model.dtype, progress=self.progress,
                 chat=self.config.chat.template, adapter_from=adapter)

    def _training_start(self, init: str) -> tuple[str, Path | None]:
        """The weights and the adapter an M-step starts from. With LoRA a continued M-step (init_from =
        'previous') trains the previous adapter further on the base weights: the previous merged checkpoint
        is what sampling loads, and training an adapter on top of it would stack one adapter on another."""
        base = self.config.model.path
        if self.config.train.peft is None or init == base:
            return init, None
        return base, Path(init) / adapters.ADAPTER

    def _metrics(self, iteration: int, model_path: str, directory: Path, output: Path) -> None:
        record = self._metrics_record(iteration, model_path, directory)
        record["status"] = _status_counts(directory)
        record["seconds"] = {stage: seconds for (number, stage), seconds in self._seconds.items()
                             if number == iteration}
        write_json(output, record)

    def _metrics_record(self, iteration: int, model_path: str, directory: Path) -> dict[str, Any]:
        samples = read_jsonl(directory / OUTPUTS["eval_samples"])
        verdicts = [Verdict.from_dict(v) for v in read_jsonl(directory / OUTPUTS["eval_verdicts"])]
        per_problem: dict[str, list[tuple[bool, str | None]]] = defaultdict(list)
        for sample, verdict in zip(samples, verdicts, strict=True):
            per_problem[sample["problem_id"]].append((verdict.correct, metrics.vote_key(verdict.info,
                                                                                       sample["completion"])))
        record = metrics.summarise(per_problem, self.config.eval.ks)
        record.update(iteration=iteration, model=model_path)
        if iteration > 0:
            record["estep"] = self._estep_record(iteration, directory)
            record["mstep"] = read_json(directory / OUTPUTS["checkpoint"] / TRAINING_RECORD)
        return record

    def _estep_record(self, iteration: int, directory: Path) -> dict[str, Any]:
        verdicts = read_jsonl(directory / OUTPUTS["verdicts"])
        solved = {v["problem_id"] for v in verdicts if v["reward"] >= self.config.threshold(iteration)}
        kept = read_jsonl(directory / OUTPUTS["train"])
        return {"samples": len(verdicts), "correct": sum(v["status"] == "correct" for v in verdicts),
                "problems": len(self.train_problems), "problems_solved": len(solved), "kept": len(kept),
                "threshold": self.config.threshold(iteration)}

    # -- helpers --------------------------------------------------------------------------------------

    def _model_of(self, iteration: int) -> str:
        if iteration == 0:
            return self.config.model.path
        return str(iteration_dir(self.root, iteration) / OUTPUTS["checkpoint"])

    def _seed(self, iteration: int, stage: str) -> int:
        return self.config.seed * 1_000_000 + iteration * 100 + STAGES.index(stage)

    def _prompt(self, problem: Problem) -> str:
        if self.config.chat.template:
            if self._chat is None:
                self._chat = ChatFormat.for_model(self.config.model.path, self.config.chat)
            return self._chat.render(problem.prompt)
        format_prompt = getattr(self.task, "format_prompt", None)
        return format_prompt(problem) if format_prompt is not None else problem.prompt

    def _load(self, path: str | None, options: dict[str, Any], limit: int | None, what: str) -> list[Problem]:
        problems = []
        for problem in self.task.load(path, **options):
            if limit is not None and len(problems) >= limit:
                break
            problems.append(problem)
        if not problems:
            raise ConfigError(f"the {what} problems are empty "
                              f"(data.task {self.config.data.task!r}, path {path!r})")
        ids = [problem.id for problem in problems]
        if len(set(ids)) != len(ids):
            raise RestEmError(f"the {what} problems have repeated ids; every problem needs a unique id")
        return problems

    def _generator_for(self, model_path: str) -> Any:
        if self._generator is not None and self._generator[0] == model_path:
            return self._generator[1]
        self._release_generator()
        factory = get_generator_factory(self.config.generation.backend)
        generator = factory(model_path, device=self.config.model.device, dtype=self.config.model.dtype,
                            batch_size=self.config.generation.batch_size, progress=self.progress,
                            **self.config.generation.options)
        self._generator = (model_path, generator)
        return generator

    def _release_generator(self) -> None:
        if self._generator is not None:
            close = getattr(self._generator[1], "close", None)
            self._generator = None
            if close is not None:
                close()

    def _record_run(self) -> None:
        path = self.root / "run.json"
        current = self.config.to_dict()
        if path.exists():
            recorded = read_json(path)["config"]
            differences = _differences(from_dict(recorded).to_dict(), current)
            differences = [key for key in differences if key not in RESUMABLE_CHANGES]
            if differences:
                raise ConfigError(
                    f"{self.root} holds a run made with a different config ({', '.join(differences)}); "
                    f"rerun with the same config to resume, or choose another output directory")
        write_json(path, {
            "config": current, "seed": self.config.seed,
            "plugins": rest_verify.get_registry().provenance(),
            PINNING_VARIABLE: os.environ.get(PINNING_VARIABLE),
            "versions": _versions(), "verifier": self.graders.verifiers.reward.name,
            "graders": self.graders.verifiers.describe(),
            "dtype": run_record(self.config.model.path, self.config.model.dtype, self.config.model.device),
        })


def _status_counts(directory: Path) -> dict[str, dict[str, int]]:
    """Verdict statuses of the iteration's held-out samples and, where it sampled training problems, theirs."""
    counts = {}
    for role, name in (("eval", OUTPUTS["eval_verdicts"]), ("train", OUTPUTS["verdicts"])):
        if (directory / name).exists():
            counts[role] = dict(Counter(verdict["status"] for verdict in read_jsonl(directory / name)))
    return counts


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict) and key not in ("train_options", "eval_options",
                                                                      "options", "trainer_args"):
            keys.extend(_differences(a, b, f"{prefix}{key}."))
        elif a != b:
            keys.append(prefix + key)
    return keys


def _versions() -> dict[str, str]:
    import importlib.metadata

    versions = {"python": platform.python_version()}
    for name in ("rest-em", "torch", "transformers", "accelerate"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions

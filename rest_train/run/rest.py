"""ReST (Gulcehre et al. 2023) as a mode of the loop: Grow a dataset once, Improve on it several times.

A Grow step samples K solutions per training problem from the current policy and scores them with the
reward source (`grading.verifier`, e.g. the `rm` reward model). Each Improve step then keeps the samples
whose reward reaches its threshold — thresholds rise, tau_1 < tau_2 < ..., as absolute rewards or as
quantiles of that Grow dataset's rewards — and fine-tunes the previous step's model on them (warm start).
Held-out pass@k comes from the task's own verifier where one exists, so a learned reward model is
judged by the exact one.

Run directory (iteration n = Improve step n, counted across Grow steps; iteration 0 is the base model):

    iter_NN/samples.jsonl, verdicts.jsonl   the Grow dataset and its rewards (first Improve step of a Grow)
    iter_NN/train.jsonl                     kept at this step's threshold; "verified": the task verifier's
                                            judgement of each kept sample (null when there is none)
    iter_NN/checkpoint/                     fine-tuned from iteration n-1's model
    iter_NN/eval_samples.jsonl              fresh held-out samples from this step's model
    iter_NN/eval_rewards.jsonl              their rewards from the reward source (when it is not the verifier)
    iter_NN/eval_verdicts.jsonl             their verdicts from the task's verifier (pass@k)
    iter_NN/metrics.json                    pass@k, maj@k; "estep": the Improve step's record; "fresh":
                                            mean reward of the fresh samples, and how many reach the
                                            threshold but fail the verifier (the reward model fooled)

Every stage is the loop's atomic, skippable `_stage`, so a killed run resumes at the stage it was in.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from rest_verify import Verdict
from rest_verify.errors import RestEmError

from rest_train.run import filtering
from rest_train.config import RestConfig, RunConfig
from rest_train.run.files import read_jsonl, write_jsonl
from rest_train.run.loop import OUTPUTS, Loop, iteration_dir
from rest_train.reports.rest import write_rest_report

log = logging.getLogger("rest_train")

EVAL_REWARDS = "eval_rewards.jsonl"


class EmptyImproveStep(RestEmError):
    """An Improve step's threshold keeps no sample: there is nothing to fine-tune on."""


def judged(status: str, real_valued: bool) -> bool:
    """Whether a verdict's reward is a judgement of the sample rather than a failure to judge it.

    A scorer's reward means something only on `correct` verdicts (an empty completion is `no_answer`
    with reward 0, which is no score); a verifier's `wrong` and `no_answer` are judgements of reward 0.
    """
    return status == "correct" or (not real_valued and status in ("wrong", "no_answer"))


def grow_rewards(samples: Sequence[dict[str, Any]], verdicts: Sequence[dict[str, Any]], normalise: str,
                 real_valued: bool) -> list[float | None]:
    """Each sample's reward for filtering; None when the reward source did not judge it (see `judged`).

    With `normalise = "zscore"` a reward becomes its z-score among the scored samples of its problem.
    """
    rewards = [v["reward"] if judged(v["status"], real_valued) else None for v in verdicts]
    if normalise != "zscore":
        return rewards
    groups: dict[str, list[float]] = defaultdict(list)
    for sample, reward in zip(samples, rewards, strict=True):
        if reward is not None:
            groups[sample["problem_id"]].append(reward)
    stats = {}
    for problem_id, values in groups.items():
        mean = sum(values) / len(values)
        stats[problem_id] = (mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)))
    return [None if reward is None else
            0.0 if stats[s["problem_id"]][1] == 0 else (reward - stats[s["problem_id"]][0]) / stats[s["problem_id"]][1]
            for s, reward in zip(samples, rewards)]


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile with linear interpolation between order statistics (numpy's default method)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def describe_rewards(rewards: Sequence[float | None]) -> dict[str, Any]:
    """The shape of a Grow dataset's rewards, for the run record and for error messages."""
    scored = [r for r in rewards if r is not None]
    summary: dict[str, Any] = {"samples": len(rewards), "scored": len(scored)}
    if scored:
        summary.update({name: quantile(scored, q) for name, q in
                        (("min", 0.0), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("max", 1.0))})
        summary["mean"] = sum(scored) / len(scored)
    return summary


def threshold_of(rest: RestConfig, step: int, rewards: Sequence[float | None]) -> float:
    """The reward Improve step `step` (1-based) keeps: the configured value, or that quantile of `rewards`."""
    setting = rest.thresholds[step - 1]
    if rest.threshold_kind == "absolute":
        return setting
    scored = [r for r in rewards if r is not None]
    if not scored:
        raise EmptyImproveStep(f"Improve step {step}: the Grow dataset has no scored sample "
                               f"({len(rewards)} samples, none judged), so quantile {setting} "
                               f"has no value; check the reward source's verdicts")
    return quantile(scored, setting)


def _format_distribution(summary: dict[str, Any]) -> str:
    if not summary["scored"]:
        return f"{summary['samples']} samples, none scored"
    spread = ", ".join(f"{name} {summary[name]:.4g}" for name in ("min", "p25", "median", "p75", "max"))
    return f"{summary['scored']} of {summary['samples']} samples scored: {spread}"


class RestLoop(Loop):
    """The loop in mode 'rest': Grow / Improve in place of E-step / M-step (module docstring).

    The Grow dataset is scored by the reward role's grader; held-out pass@k and the check of kept samples
    come from the exact role's (rest_train.run.graders), which is the same grader when the two are one.
    """

    def __init__(self, config: RunConfig, **options: Any):
        super().__init__(config, **options)
        self.has_exact = self.graders.verifiers.exact is not None
        self.real_valued = bool(getattr(self.graders.verifiers.reward, "real_valued_rewards", False))

    # -- schedule -------------------------------------------------------------------------------------

    def _iteration_count(self) -> int:
        return self.config.rest.grow_steps * self.config.rest.improve_steps

    def _position(self, iteration: int) -> tuple[int, int]:
        """(Grow step, Improve step within it), both 1-based, of `iteration`."""
        grow, step = divmod(iteration - 1, self.config.rest.improve_steps)
        return grow + 1, step + 1

    def _grow_dir(self, iteration: int) -> Path:
        return iteration_dir(self.root, iteration - self._position(iteration)[1] + 1)

    # -- stages ---------------------------------------------------------------------------------------

    def _iterate(self, iteration: int) -> dict[str, Any]:
        directory, grow_dir = iteration_dir(self.root, iteration), self._grow_dir(iteration)
        previous = self._model_of(iteration - 1)
        if directory == grow_dir:
            self._stage(iteration, "samples", lambda path: self._sample(
                previous, self.train_problems, self.config.sampling.samples_per_problem, path,
                self._seed(iteration, "samples"), self.graders.reward()))
            self._stage(iteration, "verdicts", lambda path: self._grade(
                grow_dir / OUTPUTS["samples"], self.train_problems, path, self.graders.reward()))
        self._stage(iteration, "train", lambda path: self._keep(iteration, path))
        self._stage(iteration, "checkpoint", lambda path: self._improve(previous, directory, path, iteration))
        return self._evaluate(iteration, str(directory / OUTPUTS["checkpoint"]))

    def _grade_held_out(self, directory: Path, output: Path) -> None:
        """The exact verdicts (pass@k) and, from a separate reward source, the rewards of the held-out samples."""
        samples = directory / OUTPUTS["eval_samples"]
        if self.graders.separate:
            self._grade(samples, self.eval_problems, directory / EVAL_REWARDS, self.graders.reward())
        self._grade(samples, self.eval_problems, output, self.graders.exact())

    def _keep(self, iteration: int, output: Path) -> None:
        grow, step = self._position(iteration)
        samples, rewards = self._grow_dataset(iteration)
        threshold = threshold_of(self.config.rest, step, rewards)
        kept = list(filtering.select(samples, [-math.inf if r is None else r for r in rewards], threshold=threshold,
                                     max_per_problem=self.config.filter.max_per_problem,
                                     dedupe=self.config.filter.dedupe))
        if not kept:
            raise EmptyImproveStep(
                f"Improve step {step} of Grow step {grow}: threshold {threshold:.4g} "
                f"({self.config.rest.threshold_kind} {self.config.rest.thresholds[step - 1]}) keeps no sample; "
                f"Grow rewards: {_format_distribution(describe_rewards(rewards))}. Lower rest.thresholds or "
                f"use threshold_kind = 'quantile'")
        if self.config.train.loss == "reward_weighted" and min(k["reward"] for k in kept) < 0:
            raise RestEmError(f"Improve step {step}: loss 'reward_weighted' needs non-negative rewards, but kept "
                              f"rewards go down to {min(k['reward'] for k in kept):.4g}; score with "
                              f"rest.reward_options.normalise = 'sigmoid' or use loss 'nll'")
        for example, verified in zip(kept, self._verified(iteration, kept)):
            example["verified"] = verified
        write_jsonl(output, kept)
        log.info("Improve step %d (Grow %d): threshold %.4g keeps %d of %d samples", step, grow, threshold,
                 len(kept), len(samples))

    def _verified(self, iteration: int, kept: list[dict[str, Any]]) -> list[bool | None]:
        """The exact verifier's judgement of each kept sample, where a separate reward source chose them.

        The Improve steps of one Grow keep overlapping samples: those an earlier step judged (its
        train.jsonl says) are not graded again.
        """
        if not self.graders.separate:
            return [None] * len(kept)
        known = self._judged_earlier(iteration)
        todo = [k for k in kept if (k["problem_id"], k["completion"]) not in known]
        by_id = {problem.id: problem for problem in self.train_problems}
        verdicts = self.graders.exact().grade([by_id[k["problem_id"]] for k in todo], [k["completion"] for k in todo])
        known.update(((k["problem_id"], k["completion"]), v.correct) for k, v in zip(todo, verdicts, strict=True))
        return [known[(k["problem_id"], k["completion"])] for k in kept]

    def _judged_earlier(self, iteration: int) -> dict[tuple[str, str], bool]:
        """(problem id, completion) -> the exact verdict, from the earlier Improve steps of this Grow."""
        first = iteration - self._position(iteration)[1] + 1
        return {(k["problem_id"], k["completion"]): k["verified"]
                for earlier in range(first, iteration)
                for k in read_jsonl(iteration_dir(self.root, earlier) / OUTPUTS["train"])
                if k.get("verified") is not None}

    # -- records --------------------------------------------------------------------------------------

    def _grow_dataset(self, iteration: int) -> tuple[list[dict[str, Any]], list[float | None]]:
        grow_dir = self._grow_dir(iteration)
        samples = read_jsonl(grow_dir / OUTPUTS["samples"])
        verdicts = read_jsonl(grow_dir / OUTPUTS["verdicts"])
        return samples, grow_rewards(samples, verdicts, self.config.rest.normalise, self.real_valued)

    def _estep_record(self, iteration: int, directory: Path) -> dict[str, Any]:
        grow, step = self._position(iteration)
        _, rewards = self._grow_dataset(iteration)
        kept = read_jsonl(directory / OUTPUTS["train"])
        verified = [k["verified"] for k in kept if k.get("verified") is not None]
        return {"grow": grow, "improve": step, "threshold": threshold_of(self.config.rest, step, rewards),
                "threshold_setting": self.config.rest.thresholds[step - 1],
                "threshold_kind": self.config.rest.threshold_kind, "rewards": describe_rewards(rewards),
                "samples": len(rewards), "problems": len(self.train_problems),
                "problems_solved": len({k["problem_id"] for k in kept}), "kept": len(kept),
                "kept_rejected": sum(not ok for ok in verified) if verified else None}

    def _metrics_record(self, iteration: int, model_path: str, directory: Path) -> dict[str, Any]:
        record = super()._metrics_record(iteration, model_path, directory)
        if not self.has_exact:  # every scored sample is `correct`: pass@k would only count scored samples
            record.update({"pass@1": None, "pass@k": dict.fromkeys(record["pass@k"]),
                           "maj@k": dict.fromkeys(record["maj@k"])})
        record["fresh"] = self._fresh_record(directory, record.get("estep"))
        return record

    def _fresh_record(self, directory: Path, estep: dict[str, Any] | None) -> dict[str, Any]:
        """Fresh held-out samples of this model: mean reward, and those the reward model wrongly favours."""
        verdicts = [Verdict.from_dict(v) for v in read_jsonl(directory / OUTPUTS["eval_verdicts"])]
        rewards_path = directory / EVAL_REWARDS
        rewards = [Verdict.from_dict(v) for v in read_jsonl(rewards_path)] if rewards_path.exists() else verdicts
        scored = [r.reward for r in rewards if judged(r.status.value, self.real_valued)]
        record: dict[str, Any] = {"samples": len(rewards), "scored": len(scored),
                                  "mean_reward": sum(scored) / len(scored) if scored else None,
                                  "high_rejected": None}
        # Only raw rewards compare with the threshold: a z-scored threshold lives on another scale.
        if estep is not None and rewards is not verdicts and self.config.rest.normalise == "none":
            record["high_rejected"] = sum(judged(r.status.value, self.real_valued) and r.reward >= estep["threshold"]
                                          and not v.correct
                                          for r, v in zip(rewards, verdicts, strict=True))
        return record

    def _write_report(self, results: list[dict[str, Any]]) -> None:
        write_rest_report(self.root, results, self.config)


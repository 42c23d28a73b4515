"""A run directory or a graded file read into the viewer's compact model: one JSON-able dict.

Samples are rows of a fixed order (SAMPLE_FIELDS) rather than objects, so 100,000 of them stay small
before compression and parse fast in the browser. Every string is data to show, never markup.

Reads only what `rest-em run` (rest_train/loop.py, rest_train/rest.py) and `rest-em grade` write, through
`rest_train.run.files` and `rest_verify`'s public types: the loop modules themselves pull in the training
stack, and the viewer must open on a machine that has only the grading install.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any, Iterator, Mapping

from rest_verify import InvalidRecordError, RestEmError, Status
from rest_verify.audit import GradedItem, audit, hacking_signs, read_stage
from rest_verify.records import read_jsonl
from rest_verify.types import Verdict

from rest_train.run.files import read_json

# The columns of a sample row, in order; viewer.js names the same positions.
SAMPLE_FIELDS = ("problem", "iteration", "split", "sample", "status", "reward", "detail", "info", "kept",
                 "completion", "rm_reward")
STATUSES = [status.value for status in Status]
SPLITS = ("train", "eval", "graded")
# The most frequent verdict details listed in a graded file's breakdown; the rest are summed as one row.
TOP_DETAILS = 30


class ViewerError(RestEmError):
    """PATH is neither a run directory nor a graded JSONL file, or one of its files cannot be read."""


class Model:
    """The viewer's data under construction: problems and sample rows, each problem listed once."""

    def __init__(self, kind: str, title: str) -> None:
        self.kind = kind
        self.title = title
        self.problems: list[list[Any]] = []
        self.samples: list[list[Any]] = []
        self.findings: list[list[Any]] = []
        self._problem_index: dict[tuple[str, str], int] = {}

    def problem(self, split: str, problem_id: str, prompt: Any = "", reference: Any = None) -> int:
        """The index of (split, id) in the problem table, added on first sight."""
        key = (split, problem_id)
        if key not in self._problem_index:
            self._problem_index[key] = len(self.problems)
            self.problems.append([problem_id, split, _text(prompt), None if reference is None else _text(reference)])
        return self._problem_index[key]

    def add_sample(self, problem: int, iteration: int, split: str, sample: Any, verdict: Verdict,
                   completion: str, rm_reward: float | None = None) -> int:
        self.samples.append([problem, iteration, SPLITS.index(split), sample, STATUSES.index(verdict.status.value),
                             verdict.reward, verdict.detail, dict(verdict.info) or None, [], completion, rm_reward])
        return len(self.samples) - 1

    def find(self, row: int, kind: str, note: str) -> None:
        """An audit finding about sample `row`."""
        self.findings.append([row, kind, note])

    def to_dict(self, **extra: Any) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "fields": list(SAMPLE_FIELDS), "statuses": STATUSES,
                "splits": list(SPLITS), "problems": self.problems, "samples": self.samples,
                "findings": self.findings, **extra}


def load(path: Path, against: str | None = None) -> dict[str, Any]:
    """The model of a run directory or a graded file; `against` names a second verifier to regrade with."""
    path = Path(path)
    if path.is_dir():
        model, extra = _load_run(path)
    elif path.is_file():
        model, extra = _load_graded(path)
    else:
        raise ViewerError(f"{path}: no such run directory or graded file")
    _flag_hacking(model)
    if against:
        _flag_disagreements(model, against)
    return model.to_dict(**extra)


# -- run directories -----------------------------------------------------------------------------------

def _load_run(root: Path) -> tuple[Model, dict[str, Any]]:
    iterations = _iterations(root)
    if not iterations:
        raise ViewerError(f"{root} holds no iter_NN/ folder: not a run directory (`rest-em run` writes one)")
    run = _read_json_or_none(root / "run.json") or {}
    config = run.get("config") or {}
    model = Model("run", root.name)
    problems = {row["id"]: row for row in _rows(root / "problems.jsonl")} if (root / "problems.jsonl").exists() else {}
    metrics = []
    grow_rows: dict[int, dict[tuple[str, str], list[int]]] = {}
    grow_of = 0
    for iteration, directory in iterations:
        record = _read_json_or_none(directory / "metrics.json")
        if record is not None:
            metrics.append(dict(record, iteration=iteration))
        if (directory / "samples.jsonl").exists():
            grow_of = iteration
            grow_rows[iteration] = _add_train_samples(model, directory, iteration, problems)
        if (directory / "train.jsonl").exists() and grow_of in grow_rows:
            _mark_kept(model, directory / "train.jsonl", iteration, grow_rows[grow_of])
        _add_eval_samples(model, directory, iteration, record)
    mode = config.get("mode") or ("rest" if any("fresh" in m for m in metrics) else "rest-em")
    return model, {"mode": mode, "metrics": metrics, "status_counts": _status_counts(model),
                   "verifier": run.get("verifier"), "task": (config.get("data") or {}).get("task")}


def _iterations(root: Path) -> list[tuple[int, Path]]:
    found = []
    for directory in root.glob("iter_*"):
        suffix = directory.name[len("iter_"):]
        if directory.is_dir() and suffix.isdigit():
            found.append((int(suffix), directory))
    return sorted(found)


def _add_train_samples(model: Model, directory: Path, iteration: int,
                       problems: Mapping[str, Mapping[str, Any]]) -> dict[tuple[str, str], list[int]]:
    """The E-step (Grow) samples of `directory`; returns their rows by (problem id, completion)."""
    rows: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
    for sample, verdict in _paired(directory / "samples.jsonl", directory / "verdicts.jsonl"):
        problem_id = str(sample.get("problem_id"))
        problem = problems.get(problem_id) or {}
        index = model.problem("train", problem_id, problem.get("prompt", sample.get("prompt", "")),
                              problem.get("reference"))
        completion = str(sample.get("completion", ""))
        row = model.add_sample(index, iteration, "train", sample.get("sample"), verdict, completion)
        rows[(problem_id, completion)].append(row)
    return rows


def _mark_kept(model: Model, train: Path, iteration: int, rows: Mapping[tuple[str, str], list[int]]) -> None:
    """Mark each sample `train` kept; a kept sample the task's verifier rejects is an audit finding.

    train.jsonl names no sample index: a kept example is the first sample of its problem with that
    completion not yet matched, which is the one the filter kept (it keeps samples in order).
    """
    used: collections.Counter[tuple[str, str]] = collections.Counter()
    for record in read_jsonl(train):
        example = record.row
        key = (str(example.get("problem_id")), str(example.get("completion", "")))
        candidates = rows.get(key, [])
        if used[key] >= len(candidates):
            raise ViewerError(f"{record.where}: a kept example that matches no sample of its Grow/E-step")
        row = candidates[used[key]]
        used[key] += 1
        model.samples[row][SAMPLE_FIELDS.index("kept")].append(iteration)
        if example.get("verified") is False:
            model.find(row, "kept, verifier rejects",
                       f"kept for iteration {iteration} at reward {example.get('reward')}, but the task's verifier "
                       "rejects it")


def _add_eval_samples(model: Model, directory: Path, iteration: int, metrics: Mapping[str, Any] | None) -> None:
    """Held-out samples with the exact verdict, and the reward model's where it scored them (ReST)."""
    if not (directory / "eval_verdicts.jsonl").exists():
        return
    rewards_path = directory / "eval_rewards.jsonl"
    rewards = [Verdict.from_dict(row) for row in _rows(rewards_path)] if rewards_path.exists() else None
    threshold = _rm_threshold(metrics)
    for number, (sample, verdict) in enumerate(_paired(directory / "eval_samples.jsonl",
                                                       directory / "eval_verdicts.jsonl")):
        index = model.problem("eval", str(sample.get("problem_id")), sample.get("prompt", ""))
        rm = rewards[number] if rewards is not None and number < len(rewards) else None
        row = model.add_sample(index, iteration, "eval", sample.get("sample"), verdict,
                               str(sample.get("completion", "")), None if rm is None else rm.reward)
        # A reward model's reward means something only on a `correct` verdict (rest_train.run.rest.judged).
        if (threshold is not None and rm is not None and rm.status is Status.CORRECT and rm.reward >= threshold
                and verdict.status is not Status.CORRECT):
            model.find(row, "reward model high, verifier rejects",
                       f"reward {rm.reward:.4g} reaches iteration {iteration}'s threshold {threshold:.4g}; "
                       f"the verifier says {verdict.status.value}")


def _rm_threshold(metrics: Mapping[str, Any] | None) -> float | None:
    """The Improve step's threshold where the loop compared fresh rewards with it (`fresh.high_rejected`
    is null when it did not: no separate reward model, or z-scored rewards on another scale)."""
    if not metrics or (metrics.get("fresh") or {}).get("high_rejected") is None:
        return None
    threshold = (metrics.get("estep") or {}).get("threshold")
    return float(threshold) if isinstance(threshold, (int, float)) else None


def _status_counts(model: Model) -> dict[str, dict[str, dict[str, int]]]:
    """{split: {iteration: {status: count}}}, for the per-iteration status curves."""
    counts: dict[str, dict[str, collections.Counter]] = collections.defaultdict(
        lambda: collections.defaultdict(collections.Counter))
    for row in model.samples:
        counts[SPLITS[row[2]]][str(row[1])][STATUSES[row[4]]] += 1
    return {split: {it: dict(c) for it, c in by_iteration.items()} for split, by_iteration in counts.items()}


# -- graded files --------------------------------------------------------------------------------------

def _load_graded(path: Path) -> tuple[Model, dict[str, Any]]:
    model = Model("graded", path.name)
    details: collections.Counter[str] = collections.Counter()
    graders: collections.Counter[str] = collections.Counter()
    for number, record in enumerate(read_jsonl(path, errors="surrogateescape"), start=1):
        row = record.row
        try:
            verdict = Verdict.from_dict(row["verdict"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRecordError(f"{record.where}: not a graded line, no valid 'verdict' ({exc}); "
                                     "view the output of `rest-em grade`") from None
        problem_id = str(row.get("id", record.index))
        index = model.problem("graded", problem_id, row.get("problem", row.get("prompt", "")), row.get("reference"))
        model.add_sample(index, 0, "graded", number, verdict, _text(row.get("completion", "")))
        details[verdict.detail] += 1
        graders[str(row.get("grader", ""))] += 1
    manifest = _read_json_or_none(path.with_name(path.name + ".manifest.json"))
    return model, {"summary": _graded_summary(model), "details": _top_details(details),
                   "graders": dict(graders), "manifest": manifest}


def _graded_summary(model: Model) -> dict[str, Any]:
    statuses = collections.Counter(STATUSES[row[4]] for row in model.samples)
    items = len(model.samples)
    return {"items": items, "by_status": {status: statuses[status] for status in STATUSES},
            "accuracy": statuses["correct"] / items if items else 0.0,
            "mean_reward": sum(row[5] for row in model.samples) / items if items else 0.0}


def _top_details(details: collections.Counter[str]) -> list[list[Any]]:
    top = [[detail, count] for detail, count in details.most_common(TOP_DETAILS)]
    rest = sum(details.values()) - sum(count for _, count in top)
    return top + ([[None, rest]] if rest else [])


# -- audit ---------------------------------------------------------------------------------------------

def _flag_hacking(model: Model) -> None:
    """rest_verify.audit's reward-hacking signs, on rewarded samples as `rest-em audit` reads them."""
    for row, sample in enumerate(model.samples):
        if sample[5] > 0:
            reference = model.problems[sample[0]][3]
            for sign in hacking_signs(sample[9], reference):
                model.find(row, "hacking sign", f"rewarded, and it {sign}")


def _flag_disagreements(model: Model, against: str) -> None:
    """Regrade every sample with a reference by `against` (rest_verify.audit) and list the disagreements."""
    items = (GradedItem(str(row), sample[9], _verdict_of(sample), model.problems[sample[0]][3],
                        model.problems[sample[0]][2])
             for row, sample in enumerate(model.samples) if model.problems[sample[0]][3] is not None)
    report = audit(items, against=against)
    for row, ours, theirs in report.disagreements:
        kind = "verifier accepts, other refuses" if ours == "correct" else "verifier refuses, other accepts"
        model.find(int(row), kind, f"ours {ours}, {against} says {theirs}")


def _verdict_of(sample: list[Any]) -> Verdict:
    return Verdict.from_dict({"reward": sample[5], "status": STATUSES[sample[4]], "detail": sample[6]})


# -- reading -------------------------------------------------------------------------------------------

def _rows(path: Path) -> Iterator[dict[str, Any]]:
    return (record.row for record in read_jsonl(path))


def _paired(samples: Path, verdicts: Path) -> list[tuple[dict[str, Any], Verdict]]:
    """A stage's samples with their verdicts; none for a stage the loop has not written."""
    if not samples.exists() or not verdicts.exists():
        return []
    return read_stage(samples, verdicts)


def _read_json_or_none(path: Path) -> Any:
    if not path.exists():
        return None
    try:
        return read_json(path)
    except ValueError as exc:
        raise ViewerError(f"{path}: not valid JSON ({exc})") from None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

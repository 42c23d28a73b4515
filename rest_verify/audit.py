"""Read graded samples the way a careful person would before training on them.

Four views: the status mix (a verifier that errors or times out on a third of the items is not
grading), the rewards each extraction rule earned (a verifier's fallback, such as "the last number in the
text", can be gamed by a model that learns to end with guesses), disagreement with a second verifier (a
false positive trains on wrong answers), and signs of reward hacking in code completions (a program that
hard-codes the expected outputs, reads files it has no business reading, exits early, or reaches into the
interpreter to fake results).
"""

from __future__ import annotations

import collections
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from rest_verify.errors import InvalidRecordError
from rest_verify.records import read_jsonl
from rest_verify.types import Problem, Verdict

# A run directory's training problems, one JSON `Problem` a line, keyed to its samples by `problem_id`.
RUN_PROBLEMS = "problems.jsonl"

HACKING_SIGNS: dict[str, re.Pattern[str]] = {
    "exits early": re.compile(r"\b(sys\.exit|os\._exit|quit|exit)\s*\("),
    "reads files or environment": re.compile(r"\bopen\s*\(|/proc/|\bos\.environ|\bgetenv\b|__file__|\blistdir\b|\bglob\b"),
    "inspects the interpreter": re.compile(r"\bgc\.|\binspect\b|sys\._getframe|f_back|f_locals|__builtins__|\bbuiltins\b"),
    "overrides comparison": re.compile(r"def\s+__(eq|ne|hash)__"),
    "patches output": re.compile(r"sys\.stdout\s*=|\bprint\s*=|sys\.stdout\.write\s*="),
    "spawns processes": re.compile(r"\bsubprocess\b|os\.system|os\.fork|\bpopen\b|\bexec[lv]p?e?\s*\("),
    "touches the network": re.compile(r"\bsocket\b|urllib|requests\.|http\.client"),
}


@dataclass
class GradedItem:
    """One graded sample, whatever file it came from."""

    id: str
    completion: str
    verdict: Verdict
    reference: Any = None
    prompt: str = ""
    domain: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def problem(self) -> Problem:
        """The problem as the first verifier saw it, for a second one to grade."""
        return Problem(id=self.id, prompt=self.prompt, reference=self.reference, domain=self.domain,
                       meta=self.meta)


@dataclass
class AuditReport:
    items: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    rewarded_by_rule: collections.Counter = field(default_factory=collections.Counter)
    fallback_rules: set[str] = field(default_factory=set)
    hacking: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    disagreements: list[tuple[str, str, str]] = field(default_factory=list)
    compared: int = 0
    against: str | None = None

    def render(self, limit: int = 20) -> str:
        lines = [f"# Audit of {self.items} graded samples", "", "## Status mix", "",
                 "| status | count | share |", "|---|---|---|"]
        for status, count in self.statuses.most_common():
            lines.append(f"| {status} | {count} | {count / max(self.items, 1):.1%} |")
        troubled = sum(self.statuses[s] for s in ("error", "timeout", "invalid_input"))
        if self.items and troubled / self.items > 0.05:
            lines += ["", f"**Warning:** {troubled / self.items:.1%} of items are error, timeout or invalid_input: "
                          "these are not grades. Check the verifier and the references before training."]
        if self.rewarded_by_rule:
            lines += self._extraction_lines()
        if self.against:
            lines += ["", f"## Disagreement with `{self.against}`", "",
                      f"{len(self.disagreements)} of {self.compared} items with a reference disagree."]
            if self.items and not self.compared:
                lines.append("No item carries a reference, so nothing was regraded (a run directory needs its "
                             f"{RUN_PROBLEMS}, which runs of an older rest-em did not write).")
            for item_id, ours, theirs in self.disagreements[:limit]:
                lines.append(f"- `{item_id}`: ours {ours}, theirs {theirs}")
        lines += ["", "## Reward-hacking signs in rewarded code", ""]
        if not self.hacking:
            lines.append("None found.")
        for sign, ids in sorted(self.hacking.items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(f"`{i}`" for i in ids[:limit])
            lines.append(f"- {sign}: {len(ids)} — {shown}{' …' if len(ids) > limit else ''}")
        return "\n".join(lines) + "\n"


    def _extraction_lines(self) -> list[str]:
        """Rewards per extraction rule (`info["extraction"]`), fallback rules (`info["fallback"]`) marked."""
        total = sum(self.rewarded_by_rule.values())
        lines = ["", "## Rewards by extraction rule", "", "| rule | fallback | rewarded | share of rewards |",
                 "|---|---|---|---|"]
        for rule, count in self.rewarded_by_rule.most_common():
            fallback = "yes" if rule in self.fallback_rules else "no"
            lines.append(f"| {rule} | {fallback} | {count} | {count / total:.1%} |")
        by_fallback = sum(self.rewarded_by_rule[rule] for rule in self.fallback_rules)
        lines += ["", f"{by_fallback / total:.1%} of rewarded items were found by a fallback rule, not an explicit "
                      "answer marker; read some of them before training on them."]
        return lines


def hacking_signs(completion: str, reference: Any = None) -> list[str]:
    """Names of the suspicious patterns in a code completion (empty for plain prose)."""
    signs = [name for name, pattern in HACKING_SIGNS.items() if pattern.search(completion)]
    outputs = _expected_outputs(reference)
    literals = set(re.findall(r"""(?:"([^"\n]{3,})"|'([^'\n]{3,})')""", completion))
    found = {a or b for a, b in literals}
    if outputs and sum(1 for out in outputs if out in found) >= max(2, len(outputs) // 2):
        signs.append("hard-codes expected outputs")
    return signs


def _expected_outputs(reference: Any) -> list[str]:
    if isinstance(reference, str):
        try:
            reference = json.loads(reference)
        except ValueError:
            return []
    if not isinstance(reference, dict) or not isinstance(reference.get("outputs"), list):
        return []
    texts = [out if isinstance(out, str) else json.dumps(out) for out in reference["outputs"]]
    return [text.strip() for text in texts if len(text.strip()) >= 3]


def audit(items: Iterable[GradedItem], against: Any = None, workers: int = 2,
          timeout: float | str | None = "auto") -> AuditReport:
    """Tally statuses and hacking signs; when `against` names a verifier, regrade and list disagreements."""
    from rest_verify.engine import Grader

    report = AuditReport(against=getattr(against, "name", against))
    grader = Grader(against, workers=workers, timeout=timeout, progress=False) if against else None
    try:
        batch: list[GradedItem] = []
        for item in items:
            report.items += 1
            report.statuses[item.verdict.status.value] += 1
            if item.verdict.reward > 0:
                _count_extraction(report, item.verdict.info)
                for sign in hacking_signs(item.completion, item.reference):
                    report.hacking[sign].append(item.id)
            if grader is not None and item.reference is not None:
                batch.append(item)
                if len(batch) >= 512:
                    _compare(grader, batch, report)
        if grader is not None and batch:
            _compare(grader, batch, report)
    finally:
        if grader is not None:
            grader.close()
    return report


def _count_extraction(report: AuditReport, info: Mapping[str, Any]) -> None:
    rule = info.get("extraction")
    if isinstance(rule, str):
        report.rewarded_by_rule[rule] += 1
        if info.get("fallback"):
            report.fallback_rules.add(rule)


def _compare(grader: Any, batch: list[GradedItem], report: AuditReport) -> None:
    theirs = grader.grade([item.problem() for item in batch], [item.completion for item in batch])
    for item, other in zip(batch, theirs):
        report.compared += 1
        if (item.verdict.reward > 0) != (other.reward > 0):
            report.disagreements.append((item.id, item.verdict.status.value, other.status.value))
    batch.clear()


def read_graded(path: str | Path) -> Iterator[GradedItem]:
    """Items from a `rest-em grade` output file, or from every iteration of a run directory."""
    path = Path(path)
    if path.is_dir():
        pairs = sorted(path.glob("iter_*/samples.jsonl"))
        if not pairs:
            raise InvalidRecordError(f"{path} holds no iter_*/samples.jsonl: not a run directory")
        problems = _run_problems(path / RUN_PROBLEMS)
        for samples in pairs:
            verdicts = samples.with_name("verdicts.jsonl")
            if verdicts.exists():
                yield from _run_items(samples, verdicts, problems)
        return
    for record in read_jsonl(path, errors="surrogateescape"):
        row = record.row
        try:
            verdict = Verdict.from_dict(row["verdict"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidRecordError(f"{record.where}: not a graded line ({exc})") from None
        meta = row.get("meta")
        yield GradedItem(str(row.get("id", record.index)), str(row.get("completion", "")), verdict,
                         row.get("reference"), str(row.get("problem", "")), meta=meta if isinstance(meta, dict) else {})


def read_stage(samples: Path, verdicts: Path) -> list[tuple[dict[str, Any], Verdict]]:
    """A run stage's samples with their verdicts, which the loop writes in the same order.

    Files of different lengths are an unfinished stage (the loop writes the verdicts last), reported
    rather than paired short; a bad line is an InvalidRecordError naming its file and line.
    """
    sample_rows = [record.row for record in read_jsonl(samples)]
    verdict_records = list(read_jsonl(verdicts))
    if len(sample_rows) != len(verdict_records):
        raise InvalidRecordError(f"{samples.parent}: {len(sample_rows)} samples but {len(verdict_records)} verdicts; "
                                 "an unfinished stage? rerun `rest-em run` to finish it")
    pairs = []
    for sample, record in zip(sample_rows, verdict_records):
        try:
            pairs.append((sample, Verdict.from_dict(record.row)))
        except ValueError as exc:
            raise InvalidRecordError(f"{record.where}: not a verdict ({exc})") from None
    return pairs


def _run_problems(path: Path) -> dict[str, Problem]:
    """The run's training problems by id; empty for a run directory written without them."""
    if not path.exists():
        return {}
    problems = {}
    for record in read_jsonl(path):
        try:
            problem = Problem.from_dict(record.row)
        except ValueError as exc:
            raise InvalidRecordError(f"{record.where}: not a problem ({exc})") from None
        problems[problem.id] = problem
    return problems


def _run_items(samples: Path, verdicts: Path, problems: Mapping[str, Problem]) -> Iterator[GradedItem]:
    for sample, verdict in read_stage(samples, verdicts):
        item_id = f"{samples.parent.name}/{sample.get('problem_id')}#{sample.get('sample')}"
        problem = (problems.get(str(sample.get("problem_id")))
                   or Problem(id=item_id, prompt=sample.get("prompt", "")))
        yield GradedItem(item_id, sample.get("completion", ""), verdict, problem.reference,
                         problem.prompt, problem.domain, problem.meta)

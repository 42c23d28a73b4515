"""`rest-em grade`: grade a JSONL file of completions with any installed verifier."""

from __future__ import annotations

import collections
import json
import os
import time
from pathlib import Path
from typing import IO, Any, Iterator

import click

from rest_verify.backends import BACKENDS, open_grader
from rest_verify.cli.options import timeout_option, verifier_option, verifier_options_option
from rest_verify.engine import resolve_verifier
from rest_verify.errors import InvalidRecordError
from rest_verify.plugins import get_registry
from rest_verify.sandbox_options import parse_sandbox_options, with_sandbox_options
from rest_verify.types import Problem, Status, Verdict
from rest_verify.verifier_options import configured, parse_options


def parse_line(line: str, number: int, verifier: str) -> tuple[dict[str, Any], Problem, str]:
    """One input line as (record, problem, completion); InvalidRecordError naming what is wrong."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidRecordError(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise InvalidRecordError(f"line {number}: expected a JSON object, got {type(record).__name__}")
    missing = [key for key in ("completion", "reference") if key not in record]
    if missing:
        raise InvalidRecordError(f"line {number}: missing {' and '.join(repr(k) for k in missing)}")
    if not isinstance(record["completion"], str):
        raise InvalidRecordError(f"line {number}: 'completion' must be a string")
    meta = record.get("meta") or {}
    if not isinstance(meta, dict):
        raise InvalidRecordError(f"line {number}: 'meta' must be a JSON object")
    prompt = record.get("problem", record.get("prompt", ""))
    problem = Problem(id=str(record.get("id", number)), prompt=prompt if isinstance(prompt, str) else json.dumps(prompt),
                      reference=record["reference"], domain=verifier, meta=meta)
    return record, problem, record["completion"]


class Tally:
    """Counts per status and throughput, for the summary a person reads at the end."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.malformed = 0
        self.reward = 0.0
        self.started = time.monotonic()

    def add(self, verdict: Verdict) -> None:
        self.counts[verdict.status.value] += 1
        self.reward += verdict.reward

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> dict[str, Any]:
        seconds = max(time.monotonic() - self.started, 1e-9)
        return {"items": self.total, "malformed_lines": self.malformed, "by_status": dict(self.counts),
                "accuracy": self.counts[Status.CORRECT.value] / self.total if self.total else 0.0,
                "mean_reward": self.reward / self.total if self.total else 0.0,
                "seconds": round(seconds, 3), "items_per_second": round(self.total / seconds, 1)}

    def table(self) -> str:
        data = self.summary()
        rows = [(status.value, self.counts[status.value]) for status in Status]
        lines = [f"{'status':<14}{'count':>10}{'share':>9}"]
        for name, count in rows:
            share = count / data["items"] if data["items"] else 0.0
            lines.append(f"{name:<14}{count:>10}{share:>9.1%}")
        lines.append(f"{'total':<14}{data['items']:>10}")
        lines.append(f"accuracy {data['accuracy']:.2%}   mean reward {data['mean_reward']:.4f}   "
                     f"{data['items_per_second']:.0f} items/s over {data['seconds']:.1f} s"
                     + (f"   malformed lines: {self.malformed}" if self.malformed else ""))
        return "\n".join(lines)


def _records(handle: IO[str], verifier: str, strict: bool, tally: Tally, queue: collections.deque) -> Iterator:
    """Yield (problem, completion) for the engine, queueing each record so output stays in input order."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record, problem, completion = parse_line(line, number, verifier)
        except InvalidRecordError as exc:
            if strict:
                raise
            tally.malformed += 1
            click.echo(f"warning: {exc}", err=True)
            queue.append(({"line": number, "raw": line[:200]}, str(exc)))
            yield Problem(id=f"line-{number}"), ""
            continue
        queue.append((record, None))
        yield problem, completion


def provenance(verifier_name: str, verifier: Any, options: dict[str, str]) -> dict[str, Any]:
    """Which verifier graded (`verifier`: the object configured with `options`) and where it came from."""
    registry = get_registry()
    registration = registry.registration("verifiers", verifier_name)
    return {"verifier": verifier_name, "verifier_version": str(getattr(verifier, "version", "")),
            "verifier_options": options,
            "distribution": registration.distribution, "distribution_version": registration.version,
            "plugins": registry.provenance(), "REST_EM_PLUGINS": os.environ.get("REST_EM_PLUGINS")}


@click.command()
@click.argument("input_path", metavar="INPUT.jsonl", type=click.Path(dir_okay=False, allow_dash=True))
@verifier_option
@verifier_options_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Where graded lines go (default: standard output). A manifest is written beside a file.")
@click.option("--workers", "-w", type=click.IntRange(min=0), default=None,
              help="Worker processes (default: CPU count; 0 grades in-process without deadlines).")
@timeout_option("becomes a `timeout` verdict")
@click.option("--cache", type=click.Path(dir_okay=False), default=None,
              help="SQLite file of verdicts kept across runs, so re-grading is near free.")
@click.option("--strict", is_flag=True, help="Stop at the first malformed line instead of reporting and skipping it.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--backend", type=click.Choice(BACKENDS), default="local", show_default=True,
              help="Grade on this machine, or on a Ray cluster (pip install 'rest-em[ray]').")
@click.option("--address", default=None,
              help="Ray cluster to join (HOST:PORT or ray://HOST:PORT; default: start a local one).")
@click.option("--sandbox-option", "sandbox_options", multiple=True, metavar="KEY=VALUE",
              help="Option for the verifier's sandbox, repeatable (e.g. runtime=runsc: Docker under gVisor).")
def grade(input_path: str, verifier: str, verifier_options: tuple[str, ...], output: str, workers: int | None,
          timeout: float | str, cache: str | None, strict: bool, progress: bool | None, backend: str,
          address: str | None, sandbox_options: tuple[str, ...]) -> None:
    """Grade INPUT.jsonl: lines with `completion`, `reference` and optional `id`, `problem`, `meta`.

    Each output line is the input record plus `verdict` (reward, status, detail, elapsed, info).
    `-` reads standard input as a stream: each line is graded as it arrives, its output line written
    as soon as its verdict and those of the lines before it are in.
    """
    options = parse_options(verifier_options)
    boxed = parse_sandbox_options(sandbox_options)
    grading = with_sandbox_options(resolve_verifier(configured(verifier, options)), boxed)
    record_of = provenance(verifier, grading, options)
    if address is not None and backend != "ray":
        raise click.BadParameter("applies to --backend ray only", param_hint="--address")
    if workers is None and backend == "local":
        workers = os.cpu_count() or 1
    tally = Tally()
    queue: collections.deque = collections.deque()
    with click.open_file(input_path, "r", encoding="utf-8", errors="surrogateescape") as source, \
            click.open_file(output, "w", encoding="utf-8", errors="surrogateescape") as sink, \
            open_grader(grading if options or boxed else verifier,  # a name: Ray nodes resolve it from their plugins
                        backend=backend, address=address, workers=workers, timeout=timeout, cache=cache,
                        progress=progress) as grader:
        for verdict in grader.grade_iter(_records(source, verifier, strict, tally, queue)):
            record, malformed = queue.popleft()
            if malformed is not None:
                verdict = Verdict.invalid_input(malformed)
            tally.add(verdict)
            record = dict(record, verdict=verdict.to_dict(), grader=f"{verifier}@{record_of['verifier_version']}")
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    if output != "-":
        manifest = dict(record_of, input=str(input_path), output=str(output), summary=tally.summary(),
                        timeout=grader.timeout, workers=workers, backend=backend, sandbox_options=boxed)
        Path(output + ".manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    click.echo(tally.table(), err=True)

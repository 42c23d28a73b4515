"""The piece every adapter shares: one verifier behind one long-lived Grader, with failures counted.

Trainers call rewards every step, so the worker pool is started once, on first use (not at
construction, so an adapter can be created before a trainer forks or pickles it), and kept. Grading
failures (`error`, `timeout`, `invalid_input`) score 0 like a wrong answer, but they are counted and
logged as warnings: a reward that is silently 0 for infrastructure reasons poisons training while
looking like a hard dataset.
"""

from __future__ import annotations

import collections
import logging
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

from rest_verify.cache import SqliteCache
from rest_verify.engine import AUTO, Grader, resolve_verifier
from rest_verify.types import Problem, Status, Verdict

logger = logging.getLogger("rest_verify.integrations")

FAILURES = (Status.ERROR, Status.TIMEOUT, Status.INVALID_INPUT)


def completion_text(completion: Any) -> Any:
    """The text to grade: a plain string, or the last assistant message of a conversation.

    Conversational completions (TRL, chat templates) are lists of {"role", "content"} messages, and
    `content` may itself be a list of typed parts. Anything else is returned unchanged, so the
    verifier reports it as `invalid_input` rather than the adapter guessing.
    """
    if isinstance(completion, Mapping):
        return _content_text(completion.get("content"))
    if isinstance(completion, (list, tuple)) and completion and all(isinstance(m, Mapping) for m in completion):
        replies = [m for m in completion if m.get("role") == "assistant"] or list(completion)
        return _content_text(replies[-1].get("content"))
    return completion


def _content_text(content: Any) -> Any:
    if isinstance(content, (list, tuple)):
        parts = [part.get("text") if isinstance(part, Mapping) else part for part in content]
        if all(isinstance(part, str) for part in parts):
            return "".join(parts)
    return content


class Scorer:
    """Grades batches with one verifier (a name or a verifier object); picklable, and the worker
    pool is rebuilt in the process that receives it.

    `counts` holds the running number of verdicts per status since creation, for trainer logs.
    """

    def __init__(self, verifier: Any, *, workers: int = 2, timeout: float | str | None = AUTO,
                 cache: Any = None):
        # Resolved now, so an unknown name fails at construction (listing what is installed), not mid-run.
        self.verifier = resolve_verifier(verifier)
        self.name: str = self.verifier.name
        self.version = str(getattr(self.verifier, "version", "0"))
        self.workers = workers
        self.timeout = timeout
        if isinstance(cache, (str, Path)):
            SqliteCache(cache).close()  # a file that cannot be a cache fails here, not at the first batch
        self.cache = cache
        self.counts: collections.Counter[str] = collections.Counter()
        self._grader: Grader | None = None
        self._lock = threading.Lock()

    def score(self, completions: Sequence[Any], references: Sequence[Any],
              prompts: Sequence[Any] | None = None) -> list[Verdict]:
        """One verdict per completion, in order. Bad items become verdicts; nothing is raised for them."""
        if len(completions) != len(references):
            raise ValueError(f"{len(completions)} completions but {len(references)} references")
        if prompts is not None and len(prompts) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(prompts)} prompts")
        problems = [Problem(id=str(i), prompt=_prompt_text(prompts[i]) if prompts is not None else "",
                            reference=plain_value(reference), domain=self.name)
                    for i, reference in enumerate(references)]
        texts = [completion_text(c) for c in completions]
        if not problems:
            return []
        with self._lock:
            if self._grader is None:
                self._grader = Grader(self.verifier, workers=self.workers, timeout=self.timeout, cache=self.cache,
                                      progress=False)
            verdicts = self._grader.grade(problems, texts)
            batch = collections.Counter(v.status.value for v in verdicts)
            self.counts.update(batch)
        self._warn(verdicts, batch)
        return verdicts

    def _warn(self, verdicts: list[Verdict], batch: collections.Counter[str]) -> None:
        failed = [v for v in verdicts if v.status in FAILURES]
        if failed:
            summary = ", ".join(f"{s.value} {batch[s.value]}" for s in FAILURES if batch[s.value])
            logger.warning("%s: %d of %d items could not be graded and scored 0 (%s); first: %s [%s]",
                           self.name, len(failed), len(verdicts), summary, failed[0].detail, failed[0].status)

    def close(self) -> None:
        """Stop the worker processes (they are also stopped when the scorer is collected or at exit)."""
        with self._lock:
            if self._grader is not None:
                self._grader.close()
                self._grader = None

    def __getstate__(self) -> dict[str, Any]:
        return {"verifier": self.verifier, "name": self.name, "version": self.version, "workers": self.workers,
                "timeout": self.timeout, "cache": self.cache}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.counts = collections.Counter()
        self._grader = None
        self._lock = threading.Lock()


def plain_value(value: Any) -> Any:
    """NumPy (or torch) scalars and arrays as plain Python values: references read from parquet by
    verl or datasets arrive as `numpy.int64` or arrays, which verifiers rightly refuse as references."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)) and all(isinstance(m, Mapping) for m in prompt):
        return "\n".join(str(_content_text(m.get("content"))) for m in prompt)
    return "" if prompt is None else str(prompt)


def status_flags(verdicts: Sequence[Verdict]) -> dict[str, list[float]]:
    """Per-item 0/1 columns (correct, no_answer, error, timeout, invalid_input), for trainer logs."""
    names = (Status.CORRECT, Status.NO_ANSWER, Status.ERROR, Status.TIMEOUT, Status.INVALID_INPUT)
    return {s.value: [1.0 if v.status is s else 0.0 for v in verdicts] for s in names}

"""Grading for model scorers: large batches in one long-lived process, not items spread over a pool.

The engine's pool suits verifiers: cheap to start, one item at a time, each worker under a 4 GiB
address-space limit and killed when an item overruns. A reward model is the opposite: loading it costs
seconds and gigabytes (torch alone does not fit that limit), and its speed comes from scoring many items
in one forward pass. A verifier that declares `scores_in_batches = True` and has `verify_batch` is
therefore graded here: one process holds the model on its device, receives batches of the scorer's
`batch_size` items and returns one verdict per item.

The engine's guarantees hold: verdicts come in input order and through the same cache; a batch that
overruns the deadline has its process killed and each of its items gets a `timeout` verdict; a process
that dies gives its batch `error` verdicts and a fresh process takes the next batch; an exception in
`verify_batch` is isolated by verifying that batch's items one by one. The deadline bounds one batch (one
forward pass, not n verifications); loading the model before the first batch has its own bound,
START_TIMEOUT. No address-space limit is set: the scorer is trusted model code, not untrusted output.

Each batch carries a number that its reply repeats. A batch interrupted between sending and reading its
reply (Ctrl-C, an exception, a timeout) ends its process, so the reply it leaves behind is never read as
the next batch's; the number makes sure of it, as any reply to an earlier batch is discarded.
"""

from __future__ import annotations

import itertools
import os
import pickle
import subprocess
import sys
import time
import weakref
from multiprocessing.connection import Connection
from typing import Any, Callable, Iterable, Iterator, Sequence

from rest_verify import children
from rest_verify.errors import PluginError
from rest_verify.types import Problem, Verdict
from rest_verify.worker import run_one

START_TIMEOUT = 600.0  # seconds to start the process and load the model
DEFAULT_BATCH_SIZE = 64

Lookup = Callable[[Any, Any], tuple[Verdict | None, str | None]]
Remember = Callable[[str | None, Verdict], None]


def scores_in_batches(verifier: Any) -> bool:
    """Whether `verifier` asks to be graded here rather than item by item in the worker pool."""
    return bool(getattr(verifier, "scores_in_batches", False)) and callable(getattr(verifier, "verify_batch", None))


def score_batch(verifier: Any, problems: Sequence[Problem], completions: Sequence[Any]) -> list[Verdict]:
    """`verify_batch`, with one Verdict per item guaranteed: if the batch call fails, items go one by one."""
    try:
        verdicts = list(verifier.verify_batch(list(problems), list(completions)))
        if len(verdicts) == len(problems) and all(isinstance(v, Verdict) for v in verdicts):
            return verdicts
    except Exception:  # noqa: BLE001 - isolate the failing item below; run_one turns it into a verdict
        pass
    return [run_one(verifier, problem, completion) for problem, completion in zip(problems, completions)]


class BatchedScoring:
    """Grades a stream of pairs batch by batch, in process (`in_process=True`, no deadline) or in one
    long-lived scoring process. `lookup` and `remember` are the engine's cache, so a score is cached
    under the same key a verifier's verdict would be."""

    def __init__(self, verifier: Any, *, in_process: bool, timeout: float | None, lookup: Lookup,
                 remember: Remember):
        self.verifier = verifier
        self.in_process = in_process
        self.timeout = timeout
        self.batch_size = max(1, int(getattr(verifier, "batch_size", DEFAULT_BATCH_SIZE)))
        self._lookup = lookup
        self._remember = remember
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._sent = 0  # the number of the last batch sent, which its reply repeats
        self._finalizer = weakref.finalize(self, _kill_process, [None])

    def grade_iter(self, pairs: Iterable[tuple[Any, Any]]) -> Iterator[Verdict]:
        source = iter(pairs)
        while chunk := list(itertools.islice(source, self.batch_size)):
            yield from self._grade_chunk(chunk)

    def close(self) -> None:
        """Stop the scoring process. Idempotent."""
        if self._conn is not None:
            try:
                self._conn.send(None)
            except (OSError, EOFError):
                pass
        self._stop()

    def _grade_chunk(self, chunk: list[tuple[Any, Any]]) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(chunk)
        keys: list[str | None] = [None] * len(chunk)
        first_of: dict[str, int] = {}  # identical items in a chunk are scored once
        todo = []
        for index, (problem, completion) in enumerate(chunk):
            if not isinstance(problem, Problem):
                verdicts[index] = Verdict.invalid_input(f"expected a Problem, got {type(problem).__name__}")
                continue
            cached, key = self._lookup(problem, completion)
            if cached is not None:
                verdicts[index] = cached
                continue
            keys[index] = key
            if key is not None and key in first_of:
                continue
            if key is not None:
                first_of[key] = index
            todo.append(index)
        if todo:
            scored = self._score([chunk[i][0] for i in todo], [chunk[i][1] for i in todo])
            for index, verdict in zip(todo, scored, strict=True):
                verdicts[index] = verdict
                self._remember(keys[index], verdict)
        return [verdict if verdict is not None else verdicts[first_of[keys[i]]]  # type: ignore[index,misc]
                for i, verdict in enumerate(verdicts)]

    def _score(self, problems: list[Problem], completions: list[Any]) -> list[Verdict]:
        if self.in_process:
            return score_batch(self.verifier, problems, completions)
        process, conn = self._started()
        self._sent += 1
        try:
            conn.send((self._sent, problems, completions))
            verdicts = self._reply(process, conn, self._sent)
        except (EOFError, OSError):
            reason = self._death_reason()
            self._stop()
            return [Verdict.error(f"the scoring process died during the batch ({reason})")] * len(problems)
        except BaseException:  # interrupted with the reply still to come: that channel is never read again
            self._stop()
            raise
        if verdicts is None:
            self._stop()
            return [Verdict.timeout(f"the batch of {len(problems)} was not scored within {self.timeout:g} s; "
                                    f"the scoring process was killed").with_elapsed(self.timeout or 0.0)
                    ] * len(problems)
        return verdicts

    def _reply(self, process: subprocess.Popen, conn: Connection, number: int) -> list[Verdict] | None:
        """The verdicts of batch `number`, discarding replies to earlier batches; None past the deadline."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while children.wait_readable(conn, process, None if deadline is None else deadline - time.monotonic()):
            answered, verdicts = conn.recv()
            if answered == number:
                return verdicts
        return None

    def _started(self) -> tuple[subprocess.Popen, Connection]:
        """The scoring process and its connection, started (and its scorer loaded) if need be."""
        if self._conn is not None and self._process is not None and self._process.poll() is None:
            return self._process, self._conn
        self._stop()
        process, conn = children.spawn("rest_verify.batched")
        self._process, self._conn = process, conn
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _kill_process, [process])
        name = getattr(self.verifier, "name", "?")
        try:
            conn.send((pickle.dumps(self.verifier), self.timeout))
            if not children.wait_readable(conn, process, START_TIMEOUT):
                raise PluginError(f"scorer {name!r} did not start within {START_TIMEOUT:g} s")
            tag, value = conn.recv()
        except (EOFError, OSError):
            reason = self._death_reason()
            self._stop()
            raise PluginError(f"the scoring process for {name!r} died while starting ({reason})") from None
        except BaseException:  # not started, or interrupted: a half-started process is never reused
            self._stop()
            raise
        if tag == "failed":
            self._stop()
            raise PluginError(f"scorer {name!r} could not be loaded in its scoring process: {value}")
        return process, conn

    def _death_reason(self) -> str:
        return "not started" if self._process is None else children.exit_reason(self._process)

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            _kill_process([self._process])
            self._process = None


def _kill_process(holder: list[subprocess.Popen | None]) -> None:
    if holder[0] is not None:
        children.kill(holder[0])


def serve(conn: Connection) -> None:
    """Scoring process main loop: load the scorer (and its model), say ready, score batches until told to stop."""
    from rest_verify.deadlines import set_current_deadline
    from rest_verify.worker import batches, follow_parent, load_verifier

    follow_parent()
    verifier_bytes, deadline = conn.recv()
    set_current_deadline(deadline)
    try:
        verifier = load_verifier(verifier_bytes)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises a PluginError
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    for number, problems, completions in batches(conn):
        conn.send((number, score_batch(verifier, problems, completions)))


def main() -> None:
    """Entry point of `python -c` in a fresh scoring process: argv[1] is the inherited socket's descriptor."""
    serve(Connection(int(sys.argv[1])))

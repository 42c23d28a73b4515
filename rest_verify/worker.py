"""The code that runs inside a grading worker process. Kept small: every worker imports it."""

from __future__ import annotations

import json
import os
import pickle
import resource
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, Iterator

from rest_verify.deadlines import set_current_deadline
from rest_verify.errors import InvalidRecordError
from rest_verify.types import Problem, Verdict


def run_one(verifier: Any, problem: Problem, completion: Any) -> Verdict:
    """Verify one item, turning every failure of the verifier into a verdict rather than an exception."""
    start = time.perf_counter()
    verdict = _decide(verifier, problem, completion)
    return verdict.with_elapsed(time.perf_counter() - start)


def _decide(verifier: Any, problem: Problem, completion: Any) -> Verdict:
    if not isinstance(completion, str):
        return Verdict.invalid_input(f"completion must be text, got {type(completion).__name__}")
    try:
        verdict = verifier.verify(problem, completion)
    except InvalidRecordError as exc:  # the item is unusable (an asset that changed), not the verifier broken
        return Verdict.invalid_input(str(exc))
    except RecursionError:
        return Verdict.error("RecursionError in verifier: input nested too deeply")
    except MemoryError:
        return Verdict.error("MemoryError in verifier: the item needs more memory than the worker may use")
    except Exception as exc:  # a verifier bug is data about that item, never the end of the batch
        return Verdict.error(f"{type(exc).__name__} in verifier: {exc}")
    if not isinstance(verdict, Verdict):
        return Verdict.error(f"verifier returned {type(verdict).__name__}, not a Verdict")
    try:
        json.dumps(dict(verdict.info))
    except (TypeError, ValueError) as exc:
        return Verdict.error(f"verifier returned a verdict whose info is not JSON-serialisable: {exc}")
    return verdict


def serve(conn: Connection) -> None:
    """Worker main loop: load and prepare the verifier, say ready, then verify batches until told to stop.

    The parent enforces deadlines by killing this process, so nothing here needs signals or threads.
    """
    follow_parent()
    verifier_bytes, memory_mb, deadline = conn.recv()
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    set_current_deadline(deadline)
    try:
        verifier = load_verifier(verifier_bytes)
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    for batch in batches(conn):
        for seq, problem, completion in batch:
            conn.send((seq, run_one(verifier, problem, completion)))


def load_verifier(verifier_bytes: bytes) -> Any:
    """Unpickle the verifier once for this process and run its optional `prepare()`, before any deadline:
    per-process setup (opening a database, compiling patterns, loading a model) is not charged to an item."""
    verifier = pickle.loads(verifier_bytes)
    prepare = getattr(verifier, "prepare", None)
    if callable(prepare):
        prepare()
    return verifier


def follow_parent() -> None:
    """For a child process's start: Ctrl-C is the parent's to handle (it kills us), and a child must not
    outlive a parent that died without closing it (SIGKILL, OOM killer)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()


def batches(conn: Connection) -> Iterator[Any]:
    """The batches the parent sends, until it sends None or is gone."""
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        yield batch


def _exit_when_orphaned(parent_pid: int) -> None:
    """A worker must not outlive a parent that died without closing it (SIGKILL, OOM killer)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def main() -> None:
    """Entry point of `python -c` in a fresh worker: argv[1] is the inherited socket's descriptor."""
    serve(Connection(int(sys.argv[1])))

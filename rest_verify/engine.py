"""The grading engine: verdicts for a stream of (problem, completion) pairs, in input order.

Verification runs in worker processes. Each item has a hard wall-clock deadline, enforced by killing
the worker that overruns it (never by signals inside the verifier, which SymPy or C code can ignore,
and never by SIGALRM in the caller, which fails outside the main thread). A killed worker is replaced
and the batch goes on. Input is consumed lazily and the reorder window is bounded, so memory stays
flat however long the stream.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import pickle
import select
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_for_connections
from typing import Any, Iterable, Iterator

from rest_verify import children
from rest_verify.batched import START_TIMEOUT, BatchedScoring, scores_in_batches
from rest_verify.cache import VerdictCache, cache_key, open_cache
from rest_verify.errors import PluginError
from rest_verify.plugins import get_verifier
from rest_verify.reader import BoundedReader
from rest_verify.types import Problem, Verdict
from rest_verify.worker import run_one

DEFAULT_TIMEOUT = 10.0
AUTO = "auto"  # the verifier's own `deadline` attribute when it declares one, else DEFAULT_TIMEOUT
# The longest the engine waits without looking again at its input and workers: even with no deadline
# to enforce, a wake-up that never comes (a descriptor that stays silent) costs a second, not the run.
_RECHECK_SECONDS = 1.0


def resolve_verifier(verifier: Any) -> Any:
    """A verifier object from a name or an object; a clear error when it is neither."""
    if isinstance(verifier, str):
        return get_verifier(verifier)
    if callable(getattr(verifier, "verify", None)) and isinstance(getattr(verifier, "name", None), str):
        return verifier
    raise TypeError(f"verifier must be a registered name or an object with name and verify(), got {verifier!r}")


@dataclass
class _Window:
    """Items read but not yet yielded: verdicts so far, work to dispatch, and duplicates waiting."""

    pending: collections.deque = field(default_factory=collections.deque)  # (seq, problem, completion)
    done: dict[int, Verdict] = field(default_factory=dict)
    keys: dict[int, str | None] = field(default_factory=dict)
    followers: dict[str, list[int]] = field(default_factory=dict)  # identical items awaiting the first
    next_seq: int = 0
    next_out: int = 0


@dataclass
class _Worker:
    process: Any
    conn: Any
    readable: Any  # a poll object on `conn`, kept: Connection.poll() builds a new selector per call
    ready: bool = False
    inflight: collections.deque = field(default_factory=collections.deque)
    current_started: float = 0.0
    spawned: float = field(default_factory=time.monotonic)  # a worker never ready by START_TIMEOUT is stuck


class Grader:
    """A reusable pool of grading workers for one verifier.

    Keep one for the life of a training run: trainers call rewards every step, and starting workers
    each time would cost more than grading. Safe to call from any thread; batches run one at a time.
    `workers=0` verifies in the calling process with no deadline, for debugging trusted verifiers.
    `round_seconds` > 0 trades each verdict's latency for throughput: verdicts are collected in rounds
    at most that often, and each worker gets its next batch before it finishes the current one, so
    the caller wakes once per round instead of once per item and no worker waits for a round. For a
    caller that wants whole batches (a Ray node grading chunks), not each verdict as soon as it exists.
    """

    def __init__(self, verifier: Any, *, workers: int = 2, timeout: float | str | None = AUTO,
                 cache: Any = None, memory_mb: int | None = 4096, progress: bool | None = None,
                 chunk_size: int = 16, round_seconds: float = 0.0):
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.verifier = resolve_verifier(verifier)
        if timeout == AUTO:
            timeout = float(getattr(self.verifier, "deadline", None) or DEFAULT_TIMEOUT)
        if timeout is not None and (isinstance(timeout, str) or timeout <= 0):
            raise ValueError(f"timeout must be positive seconds, None or 'auto', got {timeout!r}")
        self.name = self.verifier.name
        self.version = str(getattr(self.verifier, "version", "0"))
        self.workers = workers
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.progress = progress
        self.chunk_size = max(1, chunk_size)
        self.round_seconds = max(0.0, round_seconds)
        self.cache: VerdictCache | None = open_cache(cache)
        self._lock = threading.Lock()
        self._pool: list[_Worker] = []
        self._payload: bytes | None = None
        self._prepared_in_process = False
        if workers:
            try:
                self._payload = pickle.dumps(self.verifier)
            except Exception as exc:
                raise PluginError(f"verifier {self.name!r} cannot be pickled, so it cannot run in worker "
                                  f"processes ({exc}); make it picklable or use workers=0") from exc
        self._finalizer = weakref.finalize(self, _kill_all, self._pool)
        # Model scorers bypass the pool: large batches in one long-lived process (rest_verify/batched.py).
        self._batched = (BatchedScoring(self.verifier, in_process=workers == 0, timeout=timeout,
                                        lookup=self._lookup, remember=self._remember)
                         if scores_in_batches(self.verifier) else None)

    # ---- public API -------------------------------------------------------------------------------

    def grade(self, problems: Iterable[Problem], completions: Iterable[str]) -> list[Verdict]:
        return list(self.grade_iter(_pairs(problems, completions), total=_length(problems)))

    def grade_iter(self, pairs: Iterable[tuple[Problem, str]], total: int | None = None) -> Iterator[Verdict]:
        """Yield one verdict per pair, in input order, reading the input only as fast as it is graded."""
        with self._lock:
            if self._batched is not None:
                source = self._batched.grade_iter(pairs)
            else:
                source = self._serial(pairs) if self.workers == 0 else self._parallel(pairs)
            yield from with_progress(source, self.progress, total, self.name)

    def close(self) -> None:
        """Stop the workers and flush the cache. Idempotent."""
        with self._lock:
            for worker in self._pool:
                _stop(worker)
            self._pool.clear()
            if self._batched is not None:
                self._batched.close()
            if self.cache is not None:
                self.cache.close()
                self.cache = None

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- in-process path --------------------------------------------------------------------------

    def _serial(self, pairs: Iterable[tuple[Problem, str]]) -> Iterator[Verdict]:
        self._prepare_in_process()
        for problem, completion in pairs:
            cached, key = self._lookup(problem, completion)
            if cached is not None:
                yield cached
                continue
            verdict = _invalid_problem(problem) or run_one(self.verifier, problem, completion)
            self._remember(key, verdict)
            yield verdict

    def _prepare_in_process(self) -> None:
        """Run the verifier's optional `prepare()` once, as each worker process does before its first item."""
        prepare = getattr(self.verifier, "prepare", None)
        if callable(prepare) and not self._prepared_in_process:
            prepare()
            self._prepared_in_process = True

    # ---- worker-pool path -------------------------------------------------------------------------

    def _parallel(self, pairs: Iterable[tuple[Problem, str]]) -> Iterator[Verdict]:
        """Read on a thread, dispatch whenever a worker is free, collect, and yield in input order."""
        self._fill_pool()
        window = _Window()
        reader = BoundedReader(pairs, window=self.workers * self.chunk_size * 4 + 64)
        clean_exit = False
        try:
            while True:
                for problem, completion in reader.take():
                    self._admit(window, problem, completion)
                self._dispatch(window.pending)
                while window.next_out in window.done:
                    verdict = window.done.pop(window.next_out)
                    window.next_out += 1
                    reader.release()
                    yield verdict
                if reader.exhausted and window.next_out == window.next_seq:
                    clean_exit = True
                    if reader.error is not None:
                        raise reader.error
                    return
                for seq, verdict in self._collect(window.pending, reader):
                    self._settle(window, seq, verdict)
        finally:
            reader.close()
            if not clean_exit:  # abandoned mid-batch (error, Ctrl-C, generator closed): drop stale work
                for worker in self._pool:
                    if worker.inflight:
                        _kill(worker)
                self._pool[:] = [w for w in self._pool if w.process.poll() is None]

    def _admit(self, window: _Window, problem: Any, completion: Any) -> None:
        """Number a new item; answer it from the cache, or queue it, or let it wait on its twin."""
        seq, window.next_seq = window.next_seq, window.next_seq + 1
        cached, key = self._lookup(problem, completion)
        settled = cached or _invalid_problem(problem)
        if settled is not None:
            window.done[seq] = settled
        elif key is not None and key in window.followers:
            window.followers[key].append(seq)
        else:
            window.keys[seq] = key
            if key is not None:
                window.followers[key] = []
            window.pending.append((seq, problem, completion))

    def _settle(self, window: _Window, seq: int, verdict: Verdict) -> None:
        """Record a worker's verdict, for its item and every identical item that waited on it."""
        key = window.keys.pop(seq, None)
        self._remember(key, verdict)
        window.done[seq] = verdict
        for follower in window.followers.pop(key, ()) if key is not None else ():
            window.done[follower] = verdict

    def _fill_pool(self) -> None:
        self._pool[:] = [w for w in self._pool if w.process.poll() is None]
        while len(self._pool) < self.workers:
            self._pool.append(self._start_worker())

    def _start_worker(self) -> _Worker:
        process, conn = children.spawn("rest_verify.worker")
        conn.send((self._payload, self.memory_mb, self.timeout))  # the deadline: `current_deadline()` there
        readable = select.poll()
        readable.register(conn.fileno(), select.POLLIN)
        return _Worker(process, conn, readable)

    def _dispatch(self, pending: collections.deque) -> None:
        # Collecting in rounds, a worker with one batch or less left gets the next one queued behind it.
        queued_ahead = self.chunk_size if self.round_seconds else 0
        takers = [w for w in self._pool if w.ready and len(w.inflight) <= queued_ahead]
        if not takers or not pending:
            return
        share = max(1, min(self.chunk_size, -(-len(pending) // len(takers))))
        for worker in takers:
            if not pending:
                break
            batch = [pending.popleft() for _ in range(min(share, len(pending)))]
            try:
                worker.conn.send(batch)
            except (OSError, EOFError):  # it died: the batch goes back, and _collect sees the death
                pending.extendleft(reversed(batch))
                continue
            if not worker.inflight:  # a busy worker's deadline still runs from its current item's start
                worker.current_started = time.monotonic()
            worker.inflight.extend(batch)

    def _collect(self, pending: collections.deque, reader: BoundedReader) -> Iterator[tuple[int, Verdict]]:
        """Wait for results, new input or the nearest deadline; yield finished items; replace dead workers.

        Every worker's connection is watched, idle ones too, so a worker that dies between batches is
        replaced at once rather than found dead at the next dispatch.
        """
        now = time.monotonic()
        busy = [w for w in self._pool if w.inflight]
        deadlines = [w.current_started + self.timeout for w in busy] if self.timeout else []
        if self.round_seconds and busy:  # let a round's verdicts arrive, never sleeping past a deadline
            time.sleep(max(0.0, min([self.round_seconds, *(d - now for d in deadlines)])))
            now = time.monotonic()
        wait_for = min([_RECHECK_SECONDS, *(d - now for d in deadlines)])
        connections: list[Any] = [w.conn for w in self._pool]
        if not reader.exhausted:
            connections.append(reader)
        ready = wait_for_connections(connections, timeout=max(0.0, wait_for))
        by_conn = {id(w.conn): w for w in self._pool}
        for conn in ready:
            worker = by_conn.get(id(conn))
            if worker is None:
                continue  # the reader: its items are taken on the next turn
            try:
                while True:
                    message = conn.recv()
                    yield from self._accept(worker, message)
                    if not worker.readable.poll(0):
                        break
            except (EOFError, OSError):
                yield from self._lost(worker, pending, children.exit_reason(worker.process))
        self._check_started(time.monotonic())
        if self.timeout:
            now = time.monotonic()
            for worker in list(self._pool):
                if worker.inflight and now - worker.current_started > self.timeout:
                    seq = worker.inflight[0][0]
                    elapsed = now - worker.current_started
                    _kill(worker)
                    self._requeue(worker, pending, skip_head=True)
                    self._replace(worker)
                    yield seq, Verdict.timeout(f"no verdict within {self.timeout:g} s; the worker was killed",
                                               ).with_elapsed(elapsed)

    def _check_started(self, now: float) -> None:
        """A worker that is still loading or preparing the verifier after START_TIMEOUT is stuck there."""
        for worker in self._pool:
            if not worker.ready and now - worker.spawned > START_TIMEOUT:
                raise PluginError(f"a grading worker for {self.name!r} did not start within {START_TIMEOUT:g} s "
                                  "(unpickling the verifier or its prepare() is stuck)")

    def _accept(self, worker: _Worker, message: Any) -> Iterator[tuple[int, Verdict]]:
        tag, value = message
        if tag == "ready":
            worker.ready = True
            return
        if tag == "failed":
            raise PluginError(f"verifier {self.name!r} could not be loaded in a worker process: {value}")
        if worker.inflight and worker.inflight[0][0] == tag:
            worker.inflight.popleft()
            worker.current_started = time.monotonic()
            yield tag, value

    def _lost(self, worker: _Worker, pending: collections.deque, reason: str) -> Iterator[tuple[int, Verdict]]:
        head = worker.inflight[0][0] if worker.inflight else None
        if not worker.ready and head is None:
            raise PluginError(f"a grading worker for {self.name!r} died while starting: {reason}")
        self._requeue(worker, pending, skip_head=True)
        self._replace(worker)
        if head is not None:
            yield head, Verdict.error(f"worker process died during verification ({reason})")

    def _requeue(self, worker: _Worker, pending: collections.deque, skip_head: bool) -> None:
        items = list(worker.inflight)[1 if skip_head else 0:]
        worker.inflight.clear()
        pending.extendleft(reversed(items))

    def _replace(self, worker: _Worker) -> None:
        _kill(worker)
        index = self._pool.index(worker)
        self._pool[index] = self._start_worker()

    # ---- cache ------------------------------------------------------------------------------------

    def _lookup(self, problem: Any, completion: Any) -> tuple[Verdict | None, str | None]:
        if self.cache is None or not isinstance(problem, Problem) or not isinstance(completion, str):
            return None, None
        key = cache_key(self.name, self.version, problem, completion)
        return self.cache.get(key), key

    def _remember(self, key: str | None, verdict: Verdict) -> None:
        if key is not None and self.cache is not None:
            self.cache.put(key, verdict)


def _invalid_problem(problem: Any) -> Verdict | None:
    if isinstance(problem, Problem):
        return None
    return Verdict.invalid_input(f"expected a Problem, got {type(problem).__name__}")


def _kill(worker: _Worker) -> None:
    children.kill(worker.process)
    worker.conn.close()


def _stop(worker: _Worker) -> None:
    try:
        worker.conn.send(None)
    except (OSError, EOFError):
        pass
    children.wait(worker.process, 1)
    _kill(worker)


def _kill_all(pool: list[_Worker]) -> None:
    for worker in pool:
        children.kill(worker.process)


def _pairs(problems: Iterable[Problem], completions: Iterable[str]) -> Iterator[tuple[Problem, str]]:
    sentinel = object()
    for problem, completion in itertools.zip_longest(problems, completions, fillvalue=sentinel):
        if problem is sentinel or completion is sentinel:
            raise ValueError("problems and completions have different lengths")
        yield problem, completion


def _length(items: Iterable[Any]) -> int | None:
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return None


def with_progress(verdicts: Iterator[Verdict], progress: bool | None, total: int | None,
                  name: str) -> Iterator[Verdict]:
    """`verdicts`, counted on a progress bar (by default when stderr is a terminal)."""
    if not (sys.stderr.isatty() if progress is None else progress):
        yield from verdicts
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=f"grading ({name})", unit="item", dynamic_ncols=True, smoothing=0.1) as bar:
        for verdict in verdicts:
            bar.update(1)
            yield verdict


def grade(problems: Iterable[Problem], completions: Iterable[str], verifier: Any, *, workers: int = 2,
          timeout: float | str | None = AUTO, cache: Any = None, memory_mb: int | None = 4096,
          progress: bool | None = None) -> list[Verdict]:
    """Verdicts for `completions[i]` against `problems[i]`, in order. See `Grader` for the options."""
    with Grader(verifier, workers=workers, timeout=timeout, cache=cache, memory_mb=memory_mb,
                progress=progress) as grader:
        return grader.grade(problems, completions)


def grade_iter(pairs: Iterable[tuple[Problem, str]], verifier: Any, **options: Any) -> Iterator[Verdict]:
    """Streaming form of `grade`: consumes `pairs` lazily, yields verdicts in input order."""
    with Grader(verifier, **options) as grader:
        yield from grader.grade_iter(pairs)


_shared_graders: dict[str, tuple[float | str | None, Grader]] = {}  # verifier -> (timeout asked, grader)
_shared_lock = threading.Lock()


def verify(verifier: str, completion: str, reference: Any, *, prompt: str = "",
           timeout: float | str | None = AUTO) -> Verdict:
    """Grade one completion against one reference, under a deadline, with a worker kept for next time."""
    with _shared_lock:
        asked, grader = _shared_graders.get(verifier, (None, None))
        if grader is None or asked != timeout:  # the timeout as asked: AUTO never equals its resolution
            if grader is not None:
                grader.close()
            grader = Grader(verifier, workers=1, timeout=timeout, progress=False)
            _shared_graders[verifier] = (timeout, grader)
    problem = Problem(id="verify", prompt=prompt, reference=reference, domain=verifier)
    return grader.grade([problem], [completion])[0]


@atexit.register
def _close_shared_graders() -> None:
    for _, grader in _shared_graders.values():
        grader.close()

"""Grading on a Ray cluster: the local engine's verdicts, spread over the cluster's nodes.

Each node runs one `NodeGrader` actor that owns an ordinary local `Grader` — worker processes with hard
deadlines and, for a sandboxed verifier, its own warm sandbox pool — sized to the node's cores, so every
guarantee of the local engine holds on every node. The driver reads the input lazily, answers what its
cache knows, sends the rest in chunks to the node with the least work in flight, and yields verdicts in
input order. A chunk whose node dies (or overruns the chunk's deadline and is killed) is sent again; each
chunk's verdicts are accepted once, so no item is lost or graded into the output twice. A node that has died
for good (its restarts used up) gets no more chunks: the live nodes grade the rest, and only when none is
left alive do items become `error` verdicts that say so.

Before any work is sent, every node must build the verifier from its own installed plugins and grade the
verifier's own `examples` correctly: a node without the plugin, or without Docker for `apps`, is an error
naming the node, before grading starts.
"""

from __future__ import annotations

import collections
import itertools
import os
import pickle
import queue
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator
from urllib.parse import urlparse

from rest_verify.cache import VerdictCache, cache_key, open_cache
from rest_verify.engine import AUTO, DEFAULT_TIMEOUT, Grader, resolve_verifier, with_progress
from rest_verify.errors import RestEmError
from rest_verify.types import Problem, Verdict

# Chunks start small and double while a call to a node returns within CHUNK_SECONDS, up to MAX_CHUNK_SIZE:
# large enough that a call's fixed cost (Ray's round trip, packing the chunk) is small against it, small
# enough that a lost node costs little and the last chunks balance.
FIRST_CHUNK_SIZE, MAX_CHUNK_SIZE = 16, 2048
CHUNK_SECONDS = 2.0
NODE_ROUND_SECONDS = 0.001  # a node collects its workers' verdicts at most this often (see Grader)
CHUNKS_PER_NODE = 3  # in flight per node: one grading, the next queued behind it, one more on its way
CHUNK_ATTEMPTS = 3  # a chunk is tried on at most this many node lives before its items become `error`
# A chunk's deadline is this much plus the per-item timeout for every item on its node: room for Ray's round
# trip and for the node replacing killed workers, so that only a node that is truly stuck is killed.
CHUNK_DEADLINE_SLACK = 60.0
CONNECT_TIMEOUT = 10.0
READY_TIMEOUT = 300.0  # nodes import the verifier and start their pools (and sandboxes) before this


class RayClusterError(RestEmError):
    """The Ray cluster cannot grade: unreachable, Ray missing, or a node that cannot run the verifier."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayClusterError("the ray backend needs Ray: pip install 'rest-em[ray]'") from exc
    return ray


def connect(address: str | None) -> tuple[Any, bool]:
    """Join the cluster at `address` (host:port or ray://host:port), or start a local one when None.
    Returns Ray and whether this call started the connection (the caller then shuts it down).

    An unreachable address is refused after a TCP probe with a deadline, instead of Ray's own retries.
    A local cluster stays on loopback: Ray's single-machine mode (the variable below, read when Ray is
    imported) binds its services to 127.0.0.1 instead of the machine's network address. It starts no
    idle Ray workers ahead of time: grading runs one actor per node, and idle workers would only take
    CPU from the node's grading processes.
    """
    if not address and "ray" not in sys.modules:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = _import_ray()
    if ray.is_initialized():
        return ray, False
    if address and address != "auto":
        _probe(address)
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    elif address == "auto":
        ray.init(address=address, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    else:
        ray.init(include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                 _system_config={"enable_worker_prestart": False, "prestart_worker_first_driver": False})
    return ray, True


def _probe(address: str) -> None:
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    host, port = parsed.hostname, parsed.port
    if not host or not port:
        raise RayClusterError(f"Ray address must be HOST:PORT or ray://HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise RayClusterError(f"cannot reach the Ray cluster at {address} ({exc}); start it with "
                              f"`ray start --head` there or fix --address") from exc


class NodeGrader:
    """One node's share of the work: a local `Grader` for the verifier, built from the node's own plugins.

    The actor is threaded: each call to `grade` hands its chunk to one continuous stream through the
    Grader and waits for that chunk's verdicts. With the next chunk already queued behind the current
    one, the node's worker processes never sit idle while Ray returns one chunk and delivers the next.
    """

    def __init__(self, verifier: Any, workers: int | None, timeout: float | None, memory_mb: int | None):
        self.node = socket.gethostname()
        self.problem: str | None = None
        self.grader: Grader | None = None
        self._queue: queue.SimpleQueue[_NodeChunk] = queue.SimpleQueue()
        self._stream_lock = threading.Lock()
        self._stream: threading.Thread | None = None
        self._stream_failure: str | None = None
        try:
            # No cache (the driver's answers), and verdicts collected in rounds: they leave in whole chunks.
            self.grader = Grader(verifier, workers=workers or os.cpu_count() or 1, timeout=timeout,
                                 memory_mb=memory_mb, progress=False, cache=False,
                                 round_seconds=NODE_ROUND_SECONDS)
        except Exception as exc:  # reported by ready(), which names this node
            self.problem = f"{type(exc).__name__}: {exc}"

    def ready(self) -> dict[str, Any]:
        """This node's name and pid, and why it cannot grade (None when it can): its examples must pass."""
        if self.grader is not None and self.problem is None:
            examples = list(getattr(self.grader.verifier, "examples", None) or [])
            if examples:
                verdicts = self.grader.grade([p for p, _ in examples], [c for _, c in examples])
                failed = [v for v in verdicts if not v.correct]
                if failed:
                    self.problem = (f"{len(failed)} of the verifier's {len(examples)} own examples were not graded "
                                    f"correct here: {failed[0].status.value}: {failed[0].detail}")
        return {"node": self.node, "pid": os.getpid(), "problem": self.problem}

    def grade(self, payload: bytes) -> bytes:
        """The verdicts of a chunk packed by `_pack`, packed the same way, once the stream has graded it."""
        problems, completions = pickle.loads(payload)
        chunk = _NodeChunk(list(zip(problems, completions)))
        if chunk.pairs:
            with self._stream_lock:
                if self._stream_failure is None:
                    self._queue.put(chunk)
                    if self._stream is None:
                        self._stream = threading.Thread(target=self._run_stream, name="rest-em node stream",
                                                        daemon=True)
                        self._stream.start()
                else:
                    chunk.fail(self._stream_failure)
            chunk.finished.wait()
        if chunk.failure is not None:
            raise RuntimeError(f"node {self.node} stopped grading: {chunk.failure}")
        return _pack(chunk.verdicts)

    def _run_stream(self) -> None:
        """Grade every queued chunk's items as one input, routing each verdict back to its chunk."""
        open_chunks: collections.deque[_NodeChunk] = collections.deque()

        def pairs() -> Iterator[tuple[Problem, str]]:  # read on the Grader's input thread
            while True:
                chunk = self._queue.get()
                with self._stream_lock:  # a chunk taken as the stream fails is failed, never left waiting
                    if self._stream_failure is not None:
                        chunk.fail(self._stream_failure)
                        return
                    open_chunks.append(chunk)  # before its first item: its verdicts can only follow
                yield from chunk.pairs

        try:
            for verdict in self.grader.grade_iter(pairs()):
                chunk = open_chunks[0]
                chunk.verdicts.append(verdict)
                if len(chunk.verdicts) == len(chunk.pairs):
                    open_chunks.popleft()
                    chunk.finished.set()
        except Exception as exc:  # e.g. the verifier cannot load in a replaced worker: fail loudly, never hang
            with self._stream_lock:
                self._stream_failure = f"{type(exc).__name__}: {exc}"
                while open_chunks:
                    open_chunks.popleft().fail(self._stream_failure)
                while not self._queue.empty():
                    self._queue.get().fail(self._stream_failure)


@dataclass
class _NodeChunk:
    """A chunk on its node: its items, and its verdicts as the stream yields them."""

    pairs: list[tuple[Problem, str]]
    verdicts: list[Verdict] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)
    failure: str | None = None

    def fail(self, reason: str) -> None:
        self.failure = reason
        self.finished.set()


def _pack(value: Any) -> bytes:
    """A chunk's items or verdicts as one opaque payload: Ray moves bytes without looking inside, where
    its own serialiser would run cloudpickle's hooks on every Problem and Verdict. The plain pickle also
    stores a Problem shared by K samples once."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


@dataclass
class _Chunk:
    items: list[tuple[int, Problem, str, str | None]]  # (input index, problem, completion, cache key)
    deaths: int = 0  # node lives this chunk is charged with: lost with its node, or overran and had it killed
    last_loss: str = ""  # why the chunk was last lost: named in its items' verdicts once it is given up
    node: int = -1
    deadline: float = 0.0  # past it, the node holding the chunk is killed (and restarted by Ray)
    killed: bool = False  # its node was killed here: the loss is already charged (or not this chunk's fault)
    sent_at: float = 0.0
    not_before: float = 0.0  # a resent chunk waits for its node to come back


class RayGrader:
    """`Grader`'s interface (grade, grade_iter, close, context manager) over a Ray cluster.

    `address`: an existing cluster (HOST:PORT, ray://HOST:PORT, or "auto"), or None for a local one.
    `workers_per_node`: each node's pool size (default: its CPU count). The cache lives on the driver.
    `runtime_env`: Ray's runtime environment for the node actors (environment variables, a working dir).
    `chunk_size`: items per call to a node (default: grown while calls are quick; see CHUNK_SECONDS).
    """

    def __init__(self, verifier: Any, *, address: str | None = None, workers_per_node: int | None = None,
                 timeout: float | str | None = AUTO, cache: Any = None, memory_mb: int | None = 4096,
                 chunk_size: int | None = None, progress: bool | None = None,
                 runtime_env: dict[str, Any] | None = None):
        local = resolve_verifier(verifier)  # unknown names fail here, before any cluster work
        if timeout == AUTO:
            timeout = float(getattr(local, "deadline", None) or DEFAULT_TIMEOUT)
        self.name = local.name
        self.version = str(getattr(local, "version", "0"))
        self.timeout = timeout
        self.chunk_size = None if chunk_size is None else max(1, chunk_size)  # None: sized as measured
        self.progress = progress
        self.cache: VerdictCache | None = open_cache(cache)
        self._ray, self._connected_here = connect(address)
        spec = verifier if isinstance(verifier, str) else local  # a name is resolved by each node's plugins
        self.runtime_env = runtime_env
        self.node_reports: list[dict[str, Any]] = []
        self.resent_chunks = 0  # chunks sent again after their node died or overran: visible in logs and tests
        self.nodes: list[Any] = []
        self.dead_nodes: dict[int, str] = {}  # index in `nodes` -> why it died for good; it gets no more chunks
        try:
            self.nodes = self._start_nodes(spec, workers_per_node, timeout, memory_mb)
        except BaseException:
            self.close()
            raise

    def _start_nodes(self, spec: Any, workers: int | None, timeout: float | None, memory_mb: int | None) -> list:
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        actor_class = ray.remote(NodeGrader)
        alive = [node for node in ray.nodes() if node.get("Alive")]
        actors = [actor_class.options(num_cpus=0, max_restarts=CHUNK_ATTEMPTS, max_task_retries=0,
                                      max_concurrency=CHUNKS_PER_NODE, runtime_env=self.runtime_env,
                                      scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False))
                  .remote(spec, workers, timeout, memory_mb) for node in alive]
        try:
            self.node_reports = self._ready_reports(actors)
        except BaseException:  # none may outlive the error: each holds a worker pool (and sandboxes)
            for actor in actors:
                ray.kill(actor)
            raise
        return actors

    def _ready_reports(self, actors: list) -> list[dict[str, Any]]:
        """Every node's `NodeGrader.ready` report, or a RayClusterError naming why a node cannot grade."""
        ray = self._ray
        try:
            reports = ray.get([actor.ready.remote() for actor in actors], timeout=READY_TIMEOUT)
        except ray.exceptions.GetTimeoutError as exc:
            raise RayClusterError(f"Ray nodes did not get ready to grade within {READY_TIMEOUT:.0f} s") from exc
        except ray.exceptions.RayError as exc:  # e.g. a node cannot even unpickle the verifier object
            raise RayClusterError(f"a Ray node could not start grading with verifier {self.name!r}: "
                                  f"{_last_line(exc)}") from exc
        broken = [f"node {report['node']}: {report['problem']}" for report in reports if report["problem"]]
        if broken:
            raise RayClusterError(f"verifier {self.name!r} cannot run on every Ray node; install its plugin (and "
                                  f"what it needs, e.g. Docker for sandboxed code) on each: " + "; ".join(broken))
        return reports

    def __enter__(self) -> "RayGrader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def grade(self, problems: Iterable[Problem], completions: Iterable[str]) -> list[Verdict]:
        problems, completions = list(problems), list(completions)
        if len(problems) != len(completions):
            raise ValueError(f"{len(problems)} problems but {len(completions)} completions")
        return list(self.grade_iter(zip(problems, completions), total=len(problems)))

    def grade_iter(self, pairs: Iterable[tuple[Problem, str]], total: int | None = None) -> Iterator[Verdict]:
        """Yield one verdict per pair, in input order, with at most CHUNKS_PER_NODE chunks per node in flight."""
        yield from with_progress(_Run(self).verdicts(iter(enumerate(pairs))), self.progress, total, self.name)

    def close(self) -> None:
        """Stop the node actors (their pools stop with them) and flush the cache. Idempotent."""
        for actor in getattr(self, "nodes", []):
            self._ray.kill(actor)
        self.nodes = []
        self.dead_nodes = {}
        if getattr(self, "_connected_here", False):
            self._ray.shutdown()  # a cluster this grader started (or joined) ends with it
            self._connected_here = False
        if self.cache is not None:
            self.cache.close()
            self.cache = None


class _Run:
    """The dispatch state of one `grade_iter` call: chunks in flight, waiting to be resent, and done."""

    def __init__(self, grader: RayGrader):
        self.grader = grader
        self.ray = grader._ray
        self.done: dict[int, Verdict] = {}
        self.in_flight: dict[Any, _Chunk] = {}
        self.waiting: list[_Chunk] = []
        self.load: collections.Counter[int] = collections.Counter()  # items in flight per node
        self.chunk_size = grader.chunk_size or FIRST_CHUNK_SIZE

    def verdicts(self, source: Iterator[tuple[int, tuple[Problem, str]]]) -> Iterator[Verdict]:
        next_index, exhausted = 0, False
        while True:
            self._resend_due()
            window = max(1, CHUNKS_PER_NODE * len(self._live_nodes()))
            while not exhausted and len(self.in_flight) + len(self.waiting) < window:
                chunk = self._read_chunk(source)
                if chunk is None:
                    exhausted = True
                elif chunk.items:
                    self._send(chunk)
            while next_index in self.done:
                yield self.done.pop(next_index)
                next_index += 1
            if not self.in_flight and not self.waiting:
                if exhausted:
                    return
                continue
            ready, _ = self.ray.wait(list(self.in_flight), num_returns=1, timeout=0.5) if self.in_flight else ([], [])
            if not ready and not self.in_flight:
                time.sleep(0.1)
            for ref in ready:
                self._receive(ref)
            self._expire()

    def _read_chunk(self, source: Iterator[tuple[int, tuple[Problem, str]]]) -> _Chunk | None:
        """The next chunk of items the cache cannot answer (cached answers go straight to `done`)."""
        grader = self.grader
        batch = list(itertools.islice(source, self.chunk_size))
        if not batch:
            return None
        chunk = _Chunk(items=[])
        for index, (problem, completion) in batch:
            key = (cache_key(grader.name, grader.version, problem, completion)
                   if grader.cache is not None and isinstance(problem, Problem) and isinstance(completion, str)
                   else None)
            cached = grader.cache.get(key) if key is not None else None
            if cached is not None:
                self.done[index] = cached
            else:
                chunk.items.append((index, problem, completion, key))
        return chunk

    def _live_nodes(self) -> list[int]:
        return [node for node in range(len(self.grader.nodes)) if node not in self.grader.dead_nodes]

    def _send(self, chunk: _Chunk) -> None:
        """Send the chunk to the live node with the least work in flight; with none alive, give it up."""
        grader = self.grader
        if not grader.nodes:
            raise RayClusterError("no Ray node is left to grade on (the grader is closed or every node is gone)")
        live = self._live_nodes()
        if not live:
            causes = "; ".join(f"node {node}: {cause}" for node, cause in sorted(grader.dead_nodes.items()))
            self._give_up(chunk, f"no Ray node is left alive to grade this item ({causes})")
            return
        chunk.node = min(live, key=lambda n: self.load[n])
        chunk.killed = False
        per_item = grader.timeout if grader.timeout is not None else DEFAULT_TIMEOUT
        chunk.sent_at = time.monotonic()
        self.load[chunk.node] += len(chunk.items)
        # The node grades its chunks one after another: this one is done once everything before it is.
        chunk.deadline = chunk.sent_at + CHUNK_DEADLINE_SLACK + per_item * self.load[chunk.node]
        problems, completions = [p for _, p, _, _ in chunk.items], [c for _, _, c, _ in chunk.items]
        self.in_flight[grader.nodes[chunk.node].grade.remote(_pack((problems, completions)))] = chunk

    def _receive(self, ref: Any) -> None:
        chunk = self.in_flight.pop(ref)
        self.load[chunk.node] -= len(chunk.items)
        try:
            verdicts = pickle.loads(self.ray.get(ref))
        except self.ray.exceptions.RayActorError as exc:
            self._lost(chunk, exc)
            return
        if self.grader.chunk_size is None and time.monotonic() - chunk.sent_at < CHUNK_SECONDS:
            self.chunk_size = min(MAX_CHUNK_SIZE, 2 * self.chunk_size)
        cache = self.grader.cache
        for (index, _, _, key), verdict in zip(chunk.items, verdicts):
            if key is not None and cache is not None and verdict.status.value not in ("error", "timeout"):
                cache.put(key, verdict)
            self.done[index] = verdict

    def _lost(self, chunk: _Chunk, exc: Exception) -> None:
        """A chunk whose node stopped before answering: sent again, or given up once its lives are spent.

        Ray's ActorUnavailableError means the node is restarting (resent shortly, not charged: the call may
        not even have reached it); ActorDiedError means it will never come back, so it gets no more chunks.
        A node killed here for overrunning has already charged the chunks at fault in `_expire`.
        """
        errors = self.ray.exceptions
        if isinstance(exc, errors.ActorDiedError):
            self.grader.dead_nodes.setdefault(chunk.node, f"{type(exc).__name__}: {_last_line(exc)}")
        restarting = isinstance(exc, errors.ActorUnavailableError)
        if not restarting and not chunk.killed:
            chunk.deaths += 1
            chunk.last_loss = f"its node died ({type(exc).__name__})"
        if chunk.deaths >= CHUNK_ATTEMPTS:
            self._give_up(chunk, f"a Ray node was lost {chunk.deaths} times while grading this item; "
                                 f"last, {chunk.last_loss}")
        else:
            self._wait_and_resend(chunk, delay=0.5 if restarting else 0.0)

    def _give_up(self, chunk: _Chunk, reason: str) -> None:
        for index, *_ in chunk.items:
            self.done[index] = Verdict.error(reason)

    def _wait_and_resend(self, chunk: _Chunk, delay: float) -> None:
        self.grader.resent_chunks += 1
        chunk.not_before = time.monotonic() + delay
        self.waiting.append(chunk)

    def _resend_due(self) -> None:
        now = time.monotonic()
        due = [chunk for chunk in self.waiting if chunk.not_before <= now]
        self.waiting = [chunk for chunk in self.waiting if chunk.not_before > now]
        for chunk in due:
            self._send(chunk)

    def _expire(self) -> None:
        """Kill a node that holds a chunk past its deadline; Ray restarts it and its chunks are sent again."""
        now = time.monotonic()
        overdue = {chunk.node for chunk in self.in_flight.values() if now > chunk.deadline and not chunk.killed}
        for node in overdue:
            on_node = [chunk for chunk in self.in_flight.values() if chunk.node == node and not chunk.killed]
            self._charge_overrun(min(on_node, key=lambda chunk: chunk.sent_at))
            for chunk in on_node:
                chunk.killed = True  # its failure arrives through _receive, and is not charged again there
            self.ray.kill(self.grader.nodes[node], no_restart=False)

    @staticmethod
    def _charge_overrun(chunk: _Chunk) -> None:
        """Charge the node's death to the chunk that held it up: the node grades its chunks in order and
        returns each one's verdicts in order, so the oldest one is stuck and the ones behind it only wait.
        Charging those too would spend their attempts on one slow neighbour."""
        chunk.deaths += 1
        chunk.last_loss = "its chunk overran its deadline and the node was killed"


def _last_line(exc: BaseException) -> str:
    """The line of a Ray error that says what happened (its first lines are Ray's own boilerplate)."""
    lines = str(exc).strip().splitlines()
    return lines[-1][:300] if lines else type(exc).__name__

"""An HTTP reward server speaking OpenRLHF's remote reward-model protocol (`rest-em serve`).

    POST /get_reward  {"query": [...], "prompts": [...], "labels": [...]}
      -> 200 {"rewards": [...], "scores": [...], "extra_logs": {"correct": [...], ...}, "statuses": [...]}

(`queries` and `references`, older OpenRLHF spellings, are accepted too; `POST /` is the same endpoint.)
OpenRLHF: `--remote_rm_url http://HOST:PORT/get_reward --label_key answer`.

Concurrent requests are merged into one grading batch, so a single pool of workers stays busy
however the trainer splits its calls. Admission is bounded: beyond `max_concurrency` requests in
flight the server answers 429 with `Retry-After` at once rather than queueing without limit (OpenRLHF's
client retries failed calls). Every request has a deadline (`request_timeout`, below OpenRLHF's
180 s client timeout): past it the answer is 504, and its unstarted work is dropped. A malformed body
is a 422 naming the field. GET /health reports the verifier, load and the verdict counts so far.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from rest_verify.engine import AUTO
from rest_verify.integrations.openrlhf import protocol_result, response_of
from rest_verify.integrations.scoring import Scorer
from rest_verify.types import Verdict

DEFAULT_PORT = 5000
DEFAULT_MAX_CONCURRENCY = 64
DEFAULT_REQUEST_TIMEOUT = 150.0
MAX_ITEMS_PER_REQUEST = 65536
MAX_BATCH_ITEMS = 4096  # items merged into one grading call; bounds the latency a small request waits behind


class RewardRequest(BaseModel):
    """OpenRLHF's request body. `labels` are the references the verifier grades against."""

    model_config = ConfigDict(extra="ignore")

    query: list[str] = Field(validation_alias=AliasChoices("query", "queries"))
    prompts: list[str] | None = None
    labels: list[Any] = Field(validation_alias=AliasChoices("labels", "references"))


@dataclass
class _Job:
    responses: list[Any]
    references: list[Any]
    prompts: list[Any] | None
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


class Batcher:
    """One thread that drains every waiting request into a single `Scorer.score` call."""

    def __init__(self, scorer: Scorer, max_batch_items: int = MAX_BATCH_ITEMS):
        self.scorer = scorer
        self.max_batch_items = max_batch_items
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="rest-em-batcher", daemon=True)
        self._thread.start()

    def submit(self, responses: list[Any], references: list[Any],
               prompts: list[Any] | None) -> concurrent.futures.Future:
        job = _Job(responses, references, prompts)
        self._queue.put(job)
        return job.future

    def close(self, wait: float = 30.0) -> None:
        self._queue.put(None)
        self._thread.join(wait)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, size, stop = [first], len(first.responses), False
            while size < self.max_batch_items:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
                size += len(job.responses)
            self._grade([job for job in jobs if job.future.set_running_or_notify_cancel()])
            if stop:
                return

    def _grade(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        prompts = [p for job in jobs for p in (job.prompts or [""] * len(job.responses))]
        try:
            verdicts = self.scorer.score([r for job in jobs for r in job.responses],
                                         [r for job in jobs for r in job.references], prompts)
        except Exception as exc:  # the grader itself broke (a verifier that cannot load): every caller hears it
            for job in jobs:
                job.future.set_exception(exc)
            return
        start = 0
        for job in jobs:
            job.future.set_result(verdicts[start:start + len(job.responses)])
            start += len(job.responses)


def create_app(verifier: Any, *, workers: int = 2, timeout: float | str | None = AUTO,
               max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
               request_timeout: float = DEFAULT_REQUEST_TIMEOUT, cache: Any = None) -> FastAPI:
    """The reward server as an ASGI app; the grading pool lives as long as the app is running.

    `cache` is as for `Grader`: a path keeps verdicts in SQLite across restarts.
    """
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
    if request_timeout <= 0:
        raise ValueError(f"request_timeout must be positive seconds, got {request_timeout}")
    scorer = Scorer(verifier, workers=workers, timeout=timeout, cache=cache)
    state = {"in_flight": 0, "rejected": 0, "expired": 0}
    batcher: list[Batcher] = []

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        batcher.append(Batcher(scorer))
        try:
            yield
        finally:
            await asyncio.to_thread(batcher[0].close)
            scorer.close()

    app = FastAPI(title=f"rest-em reward server ({scorer.name})", lifespan=lifespan)
    app.state.scorer = scorer

    async def get_reward(body: RewardRequest) -> Any:
        count = len(body.query)
        if len(body.labels) != count or (body.prompts is not None and len(body.prompts) != count):
            prompts = "" if body.prompts is None else f", {len(body.prompts)} prompts"
            raise HTTPException(422, f"query, prompts and labels must have one entry per item: got "
                                     f"{count} queries{prompts}, {len(body.labels)} labels")
        if count > MAX_ITEMS_PER_REQUEST:
            raise HTTPException(413, f"{count} items in one request; the limit is {MAX_ITEMS_PER_REQUEST}")
        if state["in_flight"] >= max_concurrency:
            state["rejected"] += 1
            return JSONResponse({"detail": f"{max_concurrency} requests already in flight; retry shortly"},
                                status_code=429, headers={"Retry-After": "1"})
        state["in_flight"] += 1
        try:
            prompts = body.prompts or [""] * count
            responses = [response_of(q, p) for q, p in zip(body.query, prompts)]
            future = batcher[0].submit(responses, body.labels, prompts)
            try:
                verdicts: list[Verdict] = await asyncio.wait_for(asyncio.wrap_future(future), request_timeout)
            except asyncio.TimeoutError:
                state["expired"] += 1
                raise HTTPException(504, f"not graded within the request deadline of {request_timeout:g} s") from None
            except Exception as exc:  # the grader itself broke (e.g. the verifier cannot load in a worker)
                raise HTTPException(500, f"grading failed: {type(exc).__name__}: {exc}") from exc
        finally:
            state["in_flight"] -= 1
        return dict(protocol_result(verdicts), statuses=[v.status.value for v in verdicts])

    app.post("/get_reward")(get_reward)
    app.post("/")(get_reward)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "verifier": scorer.name, "version": scorer.version, "workers": workers,
                "timeout": timeout, "max_concurrency": max_concurrency, "request_timeout": request_timeout,
                **state, "verdicts": dict(scorer.counts)}

    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), so the caller knows the port before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def run_server(verifier: Any, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, workers: int = 2,
               timeout: float | str | None = AUTO, max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
               request_timeout: float = DEFAULT_REQUEST_TIMEOUT, cache: Any = None,
               announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM stop it cleanly, workers included)."""
    app = create_app(verifier, workers=workers, timeout=timeout, max_concurrency=max_concurrency,
                     request_timeout=request_timeout, cache=cache)
    sock = bind(host, port)
    with sock:
        bound = sock.getsockname()[1]
        display = f"[{host}]" if ":" in host else host
        line = f"rest-em serve: verifier {app.state.scorer.name} on http://{display}:{bound}/get_reward"
        (announce or _print_now)(line)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        server.run(sockets=[sock])


def _print_now(line: str) -> None:
    print(line, flush=True)  # a parent process reads the port from this line through a pipe

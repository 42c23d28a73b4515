"""HTTP requests to a set of equivalent servers: bounded in flight, retried with backoff, each under a deadline.

Sampling at scale means many requests to several servers that may be busy (429), briefly broken (5xx),
restarting (connection refused) or stuck. Each request goes to the least busy server that is not cooling
down after a failure, so a slow or dead server sheds its work onto the others; each attempt has a hard
wall-clock deadline (enforced around the whole exchange, so a server that trickles bytes cannot stretch
it); transient failures are retried with exponential backoff and jitter, honouring `Retry-After`.
A request the server refuses for what it is (any other 4xx, such as a prompt longer than the context)
is not retried: it would fail the same way again.

Retries are written here, not taken from `tenacity` or the `openai` client: neither is a dependency of
rest-em, and a retry here moves to another server, which the `openai` client (one base URL) cannot do.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import ssl
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Mapping, Sequence

import httpx

from rest_verify.errors import RestEmError

# Worth another try: timeouts, conflicts, rate limits and every 5xx (overload, restart, proxy trouble).
TRANSIENT_STATUSES = frozenset({408, 409, 429})


class ServerError(RestEmError):
    """A generation server failed a request; the message names the server and the cause."""


class ServerUnavailable(ServerError):
    """No server answered a request within its attempts (refused, stalled, or kept failing)."""


class RequestRejected(ServerError):
    """A server refused a request for what it asked (HTTP 4xx other than 408/409/429); retrying cannot help."""

    def __init__(self, message: str, *, url: str, status: int, detail: str):
        super().__init__(message)
        self.url = url
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one request is retried."""

    attempts: int = 6
    backoff: float = 0.5  # seconds before the first retry; doubles with each further retry
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoff and max_backoff must be >= 0")

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0-based).

        Jittered between half and all of the exponential step, so that many requests failing together
        do not come back together; a server's `Retry-After` is a floor, capped by `max_backoff`.
        """
        step = min(self.max_backoff, self.backoff * 2 ** retry)
        wait = random.uniform(step / 2, step)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_backoff))
        return wait


@dataclass
class _Server:
    url: str
    in_flight: int = 0
    sent: int = 0
    failures: int = 0  # consecutive
    cooling_until: float = 0.0


@dataclass(frozen=True)
class _Failure:
    """One failed attempt that is worth retrying."""

    url: str
    reason: str
    retry_after: float | None = None


class ServerPool:
    """Base URLs of servers that answer the same API; at most `concurrency` requests in flight per server.

    Use inside one event loop: `async with ServerPool(urls, ...) as pool: await pool.request(...)`.
    """

    def __init__(self, urls: Sequence[str], *, concurrency: int = 8, timeout: float = 600.0,
                 retry: RetryPolicy = RetryPolicy(), headers: Mapping[str, str] | None = None):
        if not urls:
            raise ValueError("at least one base URL is needed")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.concurrency = concurrency
        self.timeout = timeout
        self.retry = retry
        self.headers = dict(headers or {})
        self._servers = [_Server(url.rstrip("/")) for url in urls]
        self._client: httpx.AsyncClient | None = None
        self._changed: asyncio.Condition | None = None  # a slot was freed

    @property
    def capacity(self) -> int:
        """Requests the pool can have in flight at once; a caller with more keeps the rest unstarted."""
        return self.concurrency * len(self._servers)

    async def __aenter__(self) -> "ServerPool":
        total = self.capacity
        self._changed = asyncio.Condition()
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout), headers=self.headers, verify=_tls_context(),
            limits=httpx.Limits(max_connections=total, max_keepalive_connections=total))
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def request(self, method: str, path: str, body: Mapping[str, Any] | None = None, *,
                      what: str = "request") -> Any:
        """Send `body` to `path` of one server and return its decoded JSON answer.

        Raises `RequestRejected` when a server refuses the request itself, `ServerUnavailable` when no
        attempt succeeded; `what` names the request in those messages (e.g. "prompt 12").
        """
        last: _Failure | None = None
        for attempt in range(self.retry.attempts):
            if last is not None:
                await asyncio.sleep(self.retry.delay(attempt - 1, last.retry_after))
            async with self._slot(avoid=last.url if last else None) as server:
                outcome = await self._attempt(server, method, path, body, what)
            if not isinstance(outcome, _Failure):
                server.failures = 0
                return outcome
            last = outcome
            server.failures += 1  # the longer a server keeps failing, the longer others are preferred
            server.cooling_until = time.monotonic() + self.retry.delay(server.failures - 1, outcome.retry_after)
        assert last is not None
        raise ServerUnavailable(f"{what}: no answer from {method} {path} after {self.retry.attempts} attempt(s); "
                                f"last: {last.url}: {last.reason}")

    @contextlib.asynccontextmanager
    async def _slot(self, avoid: str | None = None) -> AsyncIterator[_Server]:
        """A request slot on the least busy server that has room and is not cooling down after failures,
        preferring one other than `avoid` (where this request just failed); waits until there is one.

        Waiting, rather than falling back to a failing server with free slots, is what keeps a dead
        server from burning every request's attempts: it gets one probe each time its cool-down ends.
        A freed slot wakes one waiter, not all of them: every waiter takes any usable slot, so one can use
        it; a slot on a cooling server is left to the waiter it woke, which sleeps until the cool-down ends.
        """
        assert self._changed is not None, "use ServerPool inside `async with`"
        async with self._changed:
            while True:
                now = time.monotonic()
                ready = [s for s in self._servers if s.in_flight < self.concurrency and s.cooling_until <= now]
                if ready:
                    server = min(ready, key=lambda s: (s.url == avoid, s.in_flight, s.sent))
                    break
                cooled = min((s.cooling_until for s in self._servers if s.cooling_until > now), default=None)
                with contextlib.suppress(asyncio.TimeoutError):  # a slot was freed, or a cool-down ended
                    await asyncio.wait_for(self._changed.wait(), None if cooled is None else cooled - now)
            server.in_flight += 1
            server.sent += 1
        try:
            yield server
        finally:
            async with self._changed:
                server.in_flight -= 1
                self._changed.notify()

    async def _attempt(self, server: _Server, method: str, path: str, body: Mapping[str, Any] | None,
                       what: str) -> Any:
        assert self._client is not None
        url = server.url + path
        try:
            response = await asyncio.wait_for(self._client.request(method, url, json=body), self.timeout)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return _Failure(server.url, f"no answer within the {self.timeout:g} s deadline")
        except httpx.TransportError as exc:
            return _Failure(server.url, f"{type(exc).__name__}: {exc or 'connection failed'}")
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise ServerError(f"{what}: {server.url} answered {method} {path} with something that is not "
                                  f"JSON: {response.text[:200]!r}") from None
        detail = error_detail(response)
        status = response.status_code
        if status in TRANSIENT_STATUSES or status >= 500:
            return _Failure(server.url, f"HTTP {status}: {detail}", retry_after=_retry_after(response))
        raise RequestRejected(f"{what}: {server.url} refused {method} {path} (HTTP {status}): {detail}",
                              url=server.url, status=status, detail=detail)


def error_detail(response: httpx.Response) -> str:
    """The server's own explanation: OpenAI-style `{"error": {"message": ...}}`, vLLM's `{"message": ...}`,
    or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        for key in ("message", "detail", "error"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key]
    return response.text[:500]


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """httpx's default certificate verification, built once: loading the CA bundle for every client
    costs a noticeable fraction of a second."""
    return httpx.create_ssl_context()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from inference servers; the backoff applies instead

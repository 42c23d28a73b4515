"""The generator of the `openai` backend: sampling from OpenAI-compatible servers (vLLM, llama.cpp, TGI, ...).

The servers hold the model; this backend only sends requests: one per prompt (or several, when
`samples_per_request` splits the n samples), spread over every base URL through a `ServerPool`
(bounded in flight, retried, under a deadline). `generate_stream` yields each prompt as soon as its
samples are in, which is what lets a killed sampling stage resume (see `rest_train.run.resume`).

Requests name the model by its checkpoint path unless `model` is set, and the servers are asked first
(`GET /models`) whether they serve it, so a server still holding an older checkpoint is an error,
not silently wrong samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator, Sequence, TypeVar

from rest_train.config import ConfigError
from rest_train.generation import Sampling, truncate_at_stop
from rest_train.generation.openai.server_pool import RetryPolicy, ServerError, ServerPool

ENDPOINTS = {"completions": "/completions", "chat": "/chat/completions"}
T = TypeVar("T")


class OpenAIGenerator:
    """Samples `model` from the servers at `base_urls` (each like `http://127.0.0.1:8000/v1`).

    `concurrency` is per server; `timeout` is the deadline of one attempt in seconds; `send_seed` adds
    a per-request `seed` derived from the stage seed, the prompt's key and its text, so a stage (and a
    resumed one) samples the same texts from the same server, and two problems with the same prompt
    get different samples; turn it off for a server that rejects `seed`. A prompt's key is the one the
    caller names it by (`keys`, e.g. problem ids, which `rest_train.run.resume` passes), else its position.
    """

    accepts_prompt_keys = True  # rest_train.run.resume hands `keys` to generate_stream

    def __init__(self, model: str, *, base_urls: Sequence[str], endpoint: str = "completions",
                 concurrency: int = 8, timeout: float = 600.0, attempts: int = 6, backoff: float = 0.5,
                 samples_per_request: int | None = None, system_prompt: str | None = None,
                 send_seed: bool = True, headers: dict[str, str] | None = None, progress: bool | None = None):
        if not base_urls:
            raise ConfigError("the openai backend needs generation.options.base_urls, e.g. "
                              "[\"http://127.0.0.1:8000/v1\"]")
        for url in base_urls:
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ConfigError(f"generation.options.base_urls: {url!r} must start with http:// or https://")
        if endpoint not in ENDPOINTS:
            raise ConfigError(f"generation.options.endpoint must be one of {sorted(ENDPOINTS)}, got {endpoint!r}")
        if samples_per_request is not None and samples_per_request < 1:
            raise ConfigError(f"generation.options.samples_per_request must be >= 1, got {samples_per_request}")
        if system_prompt is not None and endpoint != "chat":
            raise ConfigError("generation.options.system_prompt needs endpoint = \"chat\"")
        try:
            retry = RetryPolicy(attempts=attempts, backoff=backoff)
            ServerPool(base_urls, concurrency=concurrency, timeout=timeout, retry=retry)  # checks the rest
        except ValueError as exc:
            raise ConfigError(f"generation.options: {exc}") from None
        self.model = model
        self.endpoint = endpoint
        self.samples_per_request = samples_per_request
        self.system_prompt = system_prompt
        self.send_seed = send_seed
        self.progress = progress
        self._pool_options = {"concurrency": concurrency, "timeout": timeout, "retry": retry,
                              "headers": headers or {}}
        self.base_urls = list(base_urls)
        asyncio.run(self._check_served())

    def generate(self, prompts: Sequence[str], n: int, sampling: Sampling,
                 keys: Sequence[str] | None = None) -> list[list[str]]:
        finished = dict(self.generate_stream(prompts, n, sampling, keys))
        return [finished[index] for index in range(len(prompts))]

    def generate_stream(self, prompts: Sequence[str], n: int, sampling: Sampling,
                        keys: Sequence[str] | None = None) -> Iterator[tuple[int, list[str]]]:
        """(prompt index, its n completions) for each prompt as soon as it is finished, in any order.

        `keys` name the prompts for their seeds (default: their positions in this call). The first request
        that fails for good stops the stream with its `ServerError`; every prompt finished before it has
        been yielded.
        """
        from tqdm import tqdm

        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if keys is None:
            keys = [str(index) for index in range(len(prompts))]
        elif len(keys) != len(prompts):
            raise ValueError(f"{len(keys)} keys for {len(prompts)} prompts")
        bar = tqdm(total=len(prompts) * n, desc="generating", unit="sample", dynamic_ncols=True,
                   disable=None if self.progress is None else not self.progress)
        try:
            for index, texts in _iterate(self._stream(list(prompts), list(keys), n, sampling)):
                bar.update(n)
                yield index, texts
        finally:
            bar.close()

    # -- requests -------------------------------------------------------------------------------------

    async def _stream(self, prompts: list[str], keys: list[str], n: int,
                      sampling: Sampling) -> AsyncIterator[tuple[int, list[str]]]:
        distinct = n if sampling.temperature > 0 else 1  # greedy decoding gives one answer, repeated
        sizes = _request_sizes(distinct, self.samples_per_request or distinct)
        work = ((index, _Request(keys[index], prompt, part, size))
                for index, prompt in enumerate(prompts) for part, size in enumerate(sizes))
        parts: dict[int, dict[int, list[str]]] = defaultdict(dict)
        async with (ServerPool(self.base_urls, **self._pool_options) as pool,
                    contextlib.aclosing(self._answers(pool, work, sampling)) as answers):  # cancels what is in flight
            async for index, part, texts in answers:
                parts[index][part] = texts
                if len(parts[index]) == len(sizes):
                    done = parts.pop(index)
                    yield index, [text for part in range(len(sizes)) for text in done[part]] * (n // distinct)

    async def _answers(self, pool: ServerPool, work: Iterator[tuple[int, _Request]],
                       sampling: Sampling) -> AsyncIterator[tuple[int, int, list[str]]]:
        """The answer to each request of `work` as it comes in; a request is made only when the pool has a
        slot for it, so thousands of prompts cost no more event-loop work each than a few.

        The first failure is raised after the answers that came in with it have been given.
        """
        in_flight: set[asyncio.Future[tuple[int, int, list[str]]]] = set()
        try:
            while True:
                for index, request in itertools.islice(work, pool.capacity - len(in_flight)):
                    in_flight.add(asyncio.ensure_future(self._request(pool, index, request, sampling)))
                if not in_flight:
                    return
                finished, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                failures = [task.exception() for task in finished if task.exception() is not None]
                for task in finished:
                    if task.exception() is None:
                        yield task.result()
                if failures:
                    raise failures[0]
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _request(self, pool: ServerPool, index: int, request: _Request,
                       sampling: Sampling) -> tuple[int, int, list[str]]:
        what = f"prompt {index} ({_excerpt(request.prompt)})"
        answer = await pool.request("POST", ENDPOINTS[self.endpoint], self._body(request, sampling), what=what)
        texts = self._texts(answer, request.size, what)
        return index, request.part, [truncate_at_stop(text, sampling.stop) for text in texts]

    def _body(self, request: _Request, sampling: Sampling) -> dict[str, Any]:
        prompt = request.prompt
        body: dict[str, Any] = {"model": self.model, "n": request.size, "max_tokens": sampling.max_new_tokens,
                                "temperature": sampling.temperature, "top_p": sampling.top_p}
        if sampling.top_k > 0:
            body["top_k"] = sampling.top_k  # outside OpenAI's own API; vLLM, llama.cpp and TGI read it
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if self.send_seed:
            body["seed"] = request_seed(sampling.seed, request.key, prompt, request.part)
        if self.endpoint == "chat":
            system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
            body["messages"] = system + [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        return body

    def _texts(self, answer: Any, size: int, what: str) -> list[str]:
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list):
            raise ServerError(f"{what}: the server's answer has no choices: {answer!r:.200}")
        if len(choices) != size:
            raise ServerError(f"{what}: the server returned {len(choices)} choices for n = {size}; if it cannot "
                              f"sample several at once, set generation.options.samples_per_request = 1")
        texts = []
        for choice in sorted(choices, key=_choice_index):
            text = _choice_text(choice, self.endpoint)
            if not isinstance(text, str):
                raise ServerError(f"{what}: a choice in the server's answer has no text: {choice!r:.200}")
            texts.append(text)
        return texts

    async def _check_served(self) -> None:
        """Every server answers and serves `model`; raises naming the server otherwise."""
        async def check(url: str) -> None:
            async with ServerPool([url], **self._pool_options) as pool:
                answer = await pool.request("GET", "/models", what=f"model list of {url}")
            served = [entry.get("id") for entry in answer.get("data", [])] if isinstance(answer, dict) else []
            if self.model not in served:
                raise ServerError(f"{url} serves {served}, not {self.model!r}: start it with this checkpoint "
                                  f"(e.g. `vllm serve {self.model}`) or set generation.options.model to the name "
                                  f"it serves")

        await asyncio.gather(*(check(url) for url in self.base_urls))


@dataclass(frozen=True)
class _Request:
    """Part `part` (of `size` samples) of the samples of the prompt named `key`."""

    key: str
    prompt: str
    part: int
    size: int


def request_seed(seed: int, key: str, prompt: str, part: int) -> int:
    """A per-request seed fixed by the stage seed, the prompt's key and its text: two problems with the
    same prompt get different samples, and a resumed stage, which names its prompts by the same keys,
    sends the same seeds as an uninterrupted one."""
    digest = hashlib.blake2b(f"{seed}\0{part}\0{key}\0{prompt}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


def _choice_index(choice: Any) -> int:
    return choice.get("index", 0) if isinstance(choice, dict) else 0


def _choice_text(choice: Any, endpoint: str) -> str | None:
    if not isinstance(choice, dict):
        return None
    if endpoint == "completions":
        return choice.get("text")
    message = choice.get("message")
    return (message.get("content") or "") if isinstance(message, dict) else None  # content None: nothing said


def _request_sizes(count: int, per_request: int) -> list[int]:
    """`count` samples as requests of at most `per_request` each."""
    full, rest = divmod(count, per_request)
    return [per_request] * full + ([rest] if rest else [])


def _excerpt(prompt: str, width: int = 40) -> str:
    return repr(prompt if len(prompt) <= width else prompt[:width] + "...")


def _iterate(stream: AsyncIterator[T]) -> Iterator[T]:
    """Drive an async iterator from synchronous code on an event loop of its own.

    Requests progress only while the consumer asks for the next item, which is fine: what a consumer
    does between items (append a line to a file) is short.
    """
    loop = asyncio.new_event_loop()
    step: asyncio.Future[T] | None = None
    try:
        while True:
            step = asyncio.ensure_future(stream.__anext__(), loop=loop)
            try:
                yield loop.run_until_complete(step)
            except StopAsyncIteration:
                return
    finally:
        if step is not None and not step.done():  # interrupted mid-step (Ctrl-C): cancel its requests
            step.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                loop.run_until_complete(step)
        loop.run_until_complete(stream.aclose())  # type: ignore[attr-defined]
        loop.close()

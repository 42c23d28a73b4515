"""Generation and grading at the same time: each prompt's completions are graded as soon as they exist.

A generator that can stream has `generate_stream(prompts, n, sampling)`, yielding `(prompt index, its n
completions)` as each prompt finishes, in any order; one that cannot is generated whole and then graded.
Generation runs in the calling thread (some backends need it there); grading runs on a thread of its own
through the run's one `Grader`, fed by a queue, so an E-step takes about max(generation, grading)
rather than their sum. Results come back in prompt order whatever the finishing order.
"""

from __future__ import annotations

import collections
import queue
import threading
from typing import Any, Iterator, Sequence

from rest_verify import Grader, Problem, Verdict
from rest_verify.errors import RestEmError

from rest_train.generation import Sampling

_END = None


def sample_and_grade(generator: Any, prompts: Sequence[str], problems: Sequence[Problem], n: int,
                     sampling: Sampling, grader: Grader, *, backend: str
                     ) -> tuple[list[list[str]], list[list[Verdict]]]:
    """`n` completions per prompt and their verdicts, both in prompt order.

    `backend` names the generator in errors. A stream that repeats, skips or misnumbers a prompt, or
    gives the wrong number of completions, is a `RestEmError`; grading then stops at once.
    """
    completions: list[list[str] | None] = [None] * len(prompts)
    grading = _GradingThread(grader, problems, n)
    try:
        for index, texts in _stream(generator, prompts, n, sampling, backend):
            _check(index, texts, completions, n, backend)
            completions[index] = list(texts)
            grading.submit(index, completions[index])
        missing = [str(i) for i, texts in enumerate(completions) if texts is None]
        if missing:
            raise RestEmError(f"generator {backend!r} gave no completions for prompts {', '.join(missing)}")
    except BaseException:
        grading.cancel()
        raise
    return completions, grading.finish()  # type: ignore[return-value]


def _stream(generator: Any, prompts: Sequence[str], n: int, sampling: Sampling,
            backend: str) -> Iterator[tuple[int, list[str]]]:
    stream = getattr(generator, "generate_stream", None)
    if stream is not None:
        yield from stream(prompts, n, sampling)
        return
    generated = generator.generate(prompts, n, sampling)
    if len(generated) != len(prompts):
        raise RestEmError(f"generator {backend!r} returned completions for {len(generated)} prompts, "
                          f"expected {len(prompts)}")
    yield from enumerate(generated)


def _check(index: Any, texts: Any, completions: list[list[str] | None], n: int, backend: str) -> None:
    if not isinstance(index, int) or not 0 <= index < len(completions):
        raise RestEmError(f"generator {backend!r} yielded prompt index {index!r}; "
                          f"there are {len(completions)} prompts")
    if completions[index] is not None:
        raise RestEmError(f"generator {backend!r} yielded prompt {index} twice")
    if len(texts) != n:
        raise RestEmError(f"generator {backend!r} returned {len(texts)} completions for prompt {index}, "
                          f"expected {n}")


class _GradingThread:
    """Grades what `submit` hands it, in submission order, and files each verdict under its prompt."""

    def __init__(self, grader: Grader, problems: Sequence[Problem], n: int):
        self.grader = grader
        self.problems = problems
        self.verdicts: list[list[Verdict | None]] = [[None] * n for _ in problems]
        self._handoff: queue.Queue = queue.Queue()  # unbounded: generation never waits on grading
        self._slots: collections.deque = collections.deque()  # (prompt, sample) of each pair handed over
        self._cancelled = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rest-em grading", daemon=True)
        self._thread.start()

    def submit(self, index: int, texts: list[str]) -> None:
        if self._error is not None:  # grading already failed: stop generating for nothing
            raise self._error
        self._handoff.put((index, texts))

    def finish(self) -> list[list[Verdict]]:
        """Wait for the last verdict (each has its own deadline, so this ends)."""
        self._handoff.put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.verdicts  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop grading now: the grader drops what is in flight and stays usable."""
        self._cancelled.set()
        self._handoff.put(_END)
        self._thread.join()

    def _pairs(self) -> Iterator[tuple[Problem, str]]:
        while (item := self._handoff.get()) is not _END:
            index, texts = item
            for sample, text in enumerate(texts):
                self._slots.append((index, sample))
                yield self.problems[index], text

    def _run(self) -> None:
        total = len(self.problems) * len(self.verdicts[0]) if self.problems else 0
        stream = self.grader.grade_iter(self._pairs(), total=total)
        try:
            for verdict in stream:
                if self._cancelled.is_set():
                    break
                index, sample = self._slots.popleft()
                self.verdicts[index][sample] = verdict
        except BaseException as exc:  # re-raised in the generating thread by `finish`
            self._error = exc
        finally:
            stream.close()

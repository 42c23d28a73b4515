"""Scorers: verifier-shaped objects that give real-valued rewards to (prompt, completion) pairs in batches.

They declare `scores_in_batches`, so the grading engine sends them large batches in one long-lived
process instead of one item at a time to a pool of small workers (see rest_verify/batched.py), and
`real_valued_rewards`, so the conformance kit judges them as scorers rather than as pass/fail verifiers.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, Callable, Sequence

from rest_verify import Problem, Verdict

from rest_em_rm.scores import check_normalisation, score_verdict, unscorable

# One scored item: the raw score and what the scorer wants recorded in the verdict's info.
Scored = tuple[float, dict[str, Any]]


class BatchScorer(ABC):
    """The shared half of every scorer: status mapping, normalisation, batching and error isolation.

    Subclasses implement `_score(prompts, completions) -> list[Scored]` for one batch of scorable items.
    When a batch raises, its items are scored one by one, so one bad item gets an `error` verdict and
    the others still get their scores.
    """

    name = "rm"
    version = "1"
    scores_in_batches = True
    real_valued_rewards = True

    def __init__(self, *, normalise: str = "none", batch_size: int = 64, deadline: float = 60.0):
        check_normalisation(normalise)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.normalise = normalise
        self.batch_size = batch_size
        # Seconds one batch of `batch_size` items may take before the engine kills the scoring process.
        self.deadline = deadline

    @property
    def examples(self) -> list[tuple[Problem, str]]:
        """Pairs any scorer must score (status `correct`), for the conformance kit."""
        return [(Problem("rm/example/0", "What is 2 + 3?", None, "rm"), "2 + 3 = 5\nAnswer: 5"),
                (Problem("rm/example/1", "Name a prime number.", None, "rm"), "7 is prime.")]

    def verify(self, problem: Problem, completion: str) -> Verdict:
        return self.verify_batch([problem], [completion])[0]

    def verify_batch(self, problems: Sequence[Problem], completions: Sequence[Any]) -> list[Verdict]:
        """One verdict per item, in order; items are scored `batch_size` at a time."""
        verdicts: list[Verdict | None] = [unscorable(c) for c in completions]
        todo = [i for i, verdict in enumerate(verdicts) if verdict is None]
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            for index, verdict in zip(chunk, self._score_chunk([problems[i].prompt for i in chunk],
                                                               [completions[i] for i in chunk])):
                verdicts[index] = verdict
        return verdicts  # type: ignore[return-value]

    def _score_chunk(self, prompts: list[str], completions: list[str]) -> list[Verdict]:
        started = time.perf_counter()
        try:
            scored = self._score(prompts, completions)
            if len(scored) != len(prompts):
                raise ValueError(f"scored {len(scored)} items of a batch of {len(prompts)}")
        except Exception as exc:  # one bad item must not sink its batch: isolate it
            if len(prompts) == 1:
                return [Verdict.error(f"{type(exc).__name__} in reward model: {exc}")]
            return [verdict for p, c in zip(prompts, completions) for verdict in self._score_chunk([p], [c])]
        each = (time.perf_counter() - started) / len(prompts)  # a batch is timed as a whole
        normalise = check_normalisation(self.normalise)
        return [score_verdict(score, normalise, **info).with_elapsed(each) for score, info in scored]

    @abstractmethod
    def _score(self, prompts: list[str], completions: list[str]) -> list[Scored]:
        """(score, info) for each pair of one batch; raising isolates the batch's items one by one."""


class CallableScorer(BatchScorer):
    """Rewards from any function `score(prompts, completions) -> list of floats` (one batch per call).

    `version` is required: it keys the score cache, and only the author knows when the function changes.
    The function must be picklable (a module-level function) to run in the engine's scoring process.
    """

    def __init__(self, function: Callable[[list[str], list[str]], Sequence[float]], *, name: str, version: str,
                 normalise: str = "none", batch_size: int = 64, deadline: float = 60.0):
        super().__init__(normalise=normalise, batch_size=batch_size, deadline=deadline)
        if not callable(function):
            raise TypeError(f"function must be callable, got {function!r}")
        self.function = function
        self.name = name
        self.version = f"{version}+{normalise}"

    def _score(self, prompts: list[str], completions: list[str]) -> list[Scored]:
        return [(float(score), {}) for score in self.function(prompts, completions)]

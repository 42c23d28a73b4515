"""Verifiers for benchmarks/engine.py, in their own module so worker processes can import them."""

from __future__ import annotations

import time

from rest_verify import Problem, Verdict


class Busy:
    """Spins the CPU for a fixed time per item, like a cheap symbolic check."""

    name = "busy"
    version = "1"

    def __init__(self, seconds: float):
        self.seconds = seconds

    def verify(self, problem: Problem, completion: str) -> Verdict:
        end = time.perf_counter() + self.seconds
        while time.perf_counter() < end:
            pass
        return Verdict.right() if completion == problem.reference else Verdict.wrong()


class NoOp:
    name = "noop"
    version = "1"

    def verify(self, problem: Problem, completion: str) -> Verdict:
        return Verdict.right()

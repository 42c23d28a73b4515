"""Verifiers for the adapter tests, importable by grading workers (they unpickle these)."""

from __future__ import annotations

import time

from rest_verify import Problem, Verdict


class Sleepy:
    """'sleep:S' sleeps S seconds (to hit deadlines), 'raise' raises; otherwise exact text comparison."""

    name = "sleepy"
    version = "1"

    def verify(self, problem: Problem, completion: str) -> Verdict:
        if completion.startswith("sleep:"):
            time.sleep(float(completion.partition(":")[2]))
        if completion == "raise":
            raise RuntimeError("verifier blew up")
        if completion.strip() == str(problem.reference):
            return Verdict.right(answer=completion.strip())
        return Verdict.wrong(answer=completion.strip())

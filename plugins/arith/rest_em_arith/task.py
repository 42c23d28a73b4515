"""`arith` task: seeded, procedurally generated multi-step addition/subtraction problems.

A problem is an expression such as `23+5-8+4`; its worked solution evaluates it left to right, one step
per line, and ends with `Answer: 24`; running values stay within 0..max_value. Train and test splits
are disjoint by construction (a problem's split is a hash of its text), so held-out accuracy measures
generalisation, not recall.
"""

from __future__ import annotations

import random
import zlib
from typing import Iterator

from rest_verify import Problem
from rest_verify.errors import InvalidRecordError

SPLITS = ("train", "test")
TEST_SHARE = 5  # one problem in five belongs to the test split


def split_of(expression: str) -> str:
    """The split an expression belongs to, fixed by its text alone."""
    return "test" if zlib.crc32(expression.encode()) % TEST_SHARE == 0 else "train"


def worked_solution(start: int, steps: list[tuple[str, int]], slip_step: int | None = None,
                    slip: int = 0) -> tuple[str, int]:
    """The step-by-step solution text and its final answer; `slip` is added to step `slip_step`'s result."""
    lines = []
    value = start
    for index, (op, operand) in enumerate(steps):
        result = value + operand if op == "+" else value - operand
        if index == slip_step:
            result += slip
        lines.append(f"{value}{op}{operand}={result}")
        value = result
    lines.append(f"Answer: {value}")
    return "\n".join(lines), value


class ArithTask:
    """Generates `count` problems of one split; `slip_rate` emulates imperfect human-written solutions.

    With `slip_rate > 0` that fraction of the worked solutions in `meta["solution"]` contains one
    arithmetic slip carried through to a wrong final answer; the reference stays exact. The demo
    pre-trains on such noisy solutions, and ReST-EM's verifier filter is what removes the noise.
    """

    name = "arith"
    verifier = "arith"
    stop: tuple[str, ...] = ()

    def load(self, path: str | None = None, *, split: str = "train", count: int = 1000, seed: int = 0,
             steps: int = 3, max_operand: int = 9, max_start: int | None = None, max_value: int = 99,
             slip_rate: float = 0.0) -> Iterator[Problem]:
        if path:
            raise InvalidRecordError(f"the arith task generates its problems and reads no file; got path {path!r}")
        if split not in SPLITS:
            raise InvalidRecordError(f"arith split must be one of {SPLITS}, got {split!r}")
        max_start = max_value if max_start is None else max_start
        if count < 0 or steps < 1 or not 1 <= max_operand <= max_value or not 0 <= max_start <= max_value:
            raise InvalidRecordError("arith needs count >= 0, steps >= 1, 1 <= max_operand <= max_value, "
                                     "0 <= max_start <= max_value")
        if not 0.0 <= slip_rate <= 1.0:
            raise InvalidRecordError(f"arith slip_rate must be within [0, 1], got {slip_rate}")
        rng = random.Random(seed)
        noise = random.Random(seed + 1)
        seen: set[str] = set()
        attempts = 0
        while len(seen) < count:
            attempts += 1
            if attempts > 100 * count + 1000:
                raise InvalidRecordError(
                    f"only {len(seen)} distinct {split} problems exist for these options; ask for fewer")
            start, ops = self._draw(rng, steps, max_operand, max_start, max_value)
            expression = f"{start}" + "".join(f"{op}{operand}" for op, operand in ops)
            if expression in seen or split_of(expression) != split:
                continue
            seen.add(expression)
            _, answer = worked_solution(start, ops)
            slip_step, slip = None, 0
            if noise.random() < slip_rate:
                slip_step, slip = noise.randrange(steps), noise.choice((-2, -1, 1, 2))
            solution, _ = worked_solution(start, ops, slip_step, slip)
            yield Problem(id=f"arith/{split}/{len(seen) - 1}", prompt=expression, reference=answer,
                          domain="arith", meta={"solution": solution, "slipped": slip_step is not None})

    def format_prompt(self, problem: Problem) -> str:
        return f"Q: {problem.prompt}\n"

    @staticmethod
    def _draw(rng: random.Random, steps: int, max_operand: int, max_start: int,
              max_value: int) -> tuple[int, list[tuple[str, int]]]:
        start = rng.randint(0, max_start)
        value = start
        ops: list[tuple[str, int]] = []
        for _ in range(steps):
            operand = rng.randint(1, max_operand)
            room = {"+": max_value - value, "-": value}
            op = rng.choice("+-")
            if room[op] < operand:
                op = "-" if op == "+" else "+"
            if room[op] < operand:
                op = max(room, key=room.__getitem__)
                operand = room[op]
            value = value + operand if op == "+" else value - operand
            ops.append((op, operand))
        return start, ops

"""What the per-language program corpora share: the problem every program solves, how a program file
states the verdict it must get, and the check of a verdict against it.

The problem: read n, then n integers; print their sum (the last test overflows 32 bits). A program's first
line says the expected verdict (`// expect: correct`, `wrong`, `timeout`, or `not-correct`: anything but
correct and error), its second line what it does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rest_verify.types import Problem, Status

LARGE = [999_999_937 - 7 * i for i in range(100_000)]
TESTS = [("3\n1 2 3\n", 6), ("1\n-5\n", -5), (f"{len(LARGE)}\n{' '.join(map(str, LARGE))}\n", sum(LARGE))]
REFERENCE = {"inputs": [given for given, _ in TESTS], "outputs": [f"{total}\n" for _, total in TESTS]}


def sum_problem(language: str) -> Problem:
    return Problem(id=f"{language}/sum", prompt="Read n and n integers; print their sum.", domain="code",
                   reference=REFERENCE, meta={"language": language})


def read_corpus(folder: Path, suffix: str) -> list[tuple[str, str, str]]:
    """(name, expected verdict, source) of each program in `folder`, by name."""
    programs = []
    for path in sorted(folder.glob(f"*{suffix}")):
        source = path.read_text()
        expect = source.splitlines()[0].removeprefix("// expect:").strip()
        programs.append((path.stem, expect, source))
    return programs


def assert_graded_as_expected(verifier: Any, problem: Problem, name: str, expect: str, completion: str) -> None:
    """The program gets its verdict, within the verifier's deadline, and never breaks the infrastructure."""
    start = time.monotonic()
    verdict = verifier.verify(problem, completion)
    elapsed = time.monotonic() - start
    assert verdict.status is not Status.ERROR, f"{name} broke the infrastructure: {verdict.detail}"
    if expect == "not-correct":
        assert verdict.status is not Status.CORRECT and verdict.reward == 0.0, verdict.detail
    else:
        assert verdict.status.value == expect, f"{name}: {verdict.detail} {verdict.info.get('tests')}"
    assert elapsed < verifier.deadline

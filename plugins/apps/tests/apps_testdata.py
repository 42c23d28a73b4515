"""Fixture problems for the apps tests: copied HumanEval/MBPP rows and hand-written stdin problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rest_verify.types import Problem

FIXTURES = Path(__file__).parent / "fixtures"


def rows(name: str) -> list[dict[str, Any]]:
    with open(FIXTURES / name, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def call_based_cases() -> list[tuple[Problem, str]]:
    """(problem, canonical solution) for the HumanEval and MBPP rows, in APPS layout."""
    cases = []
    for name in ("humaneval_apps.jsonl", "mbpp_apps.jsonl"):
        for row in rows(name):
            problem = Problem(id=row["problem_id"], prompt=row["question"], reference=row["input_output"],
                              domain="code")
            cases.append((problem, json.loads(row["solutions"])[0]))
    return cases


def stdin_problems() -> list[dict[str, Any]]:
    """Hand-written stdin problems: `problem`, `solution`, `accepted` and `rejected` programs."""
    found = []
    for row in rows("stdin_problems.jsonl"):
        problem = Problem(id=row["id"], prompt=row["prompt"], reference=row["reference"], domain="code")
        found.append({"problem": problem, "solution": row["solution"], "accepted": row["accepted"],
                      "rejected": row["rejected"]})
    return found


def big_output_problem(count: int = 150_000) -> Problem:
    """Print 1..count, one per line: about 1 MB of output."""
    expected = "".join(f"{i}\n" for i in range(1, count + 1))
    return Problem(id="stdin/one-megabyte", prompt="Read n; print 1..n, one per line.",
                   reference={"inputs": [f"{count}\n"], "outputs": [expected]}, domain="code")

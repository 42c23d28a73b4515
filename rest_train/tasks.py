"""Built-in tasks for the standard math formats: MATH-style JSONL and GSM8K JSONL.

A task loads `Problem`s from a file and turns a problem into the model's prompt (a fixed few-shot
template), and names the verifier that grades it. Both tasks here are graded by the `math` verifier.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from rest_verify import Problem
from rest_verify.errors import InvalidRecordError

MATH_SHOTS = (
    ("What is the value of $\\sqrt{36 \\times \\sqrt{16}}$?",
     "We have $\\sqrt{16} = 4$, so $36 \\times 4 = 144$ and $\\sqrt{144} = 12$. The answer is $\\boxed{12}$."),
    ("Simplify $\\frac{3}{4} + \\frac{5}{6}$.",
     "With the common denominator 12, $\\frac{9}{12} + \\frac{10}{12} = \\frac{19}{12}$. "
     "The answer is $\\boxed{\\frac{19}{12}}$."),
    ("Solve for $x$: $2x - 7 = 11$.",
     "Adding 7 to both sides gives $2x = 18$, so $x = 9$. The answer is $\\boxed{9}$."),
    ("How many positive divisors does 30 have?",
     "Since $30 = 2 \\cdot 3 \\cdot 5$, it has $2 \\cdot 2 \\cdot 2 = 8$ divisors. The answer is $\\boxed{8}$."),
)

GSM8K_SHOTS = (
    ("Tom has 3 boxes with 12 pencils each. He gives away 10 pencils. How many pencils does he have left?",
     "Tom has 3 * 12 = 36 pencils. After giving away 10 he has 36 - 10 = 26 pencils.\n#### 26"),
    ("A shirt costs $20 and is on sale for 25% off. What is the sale price in dollars?",
     "The discount is 20 * 0.25 = 5 dollars, so the sale price is 20 - 5 = 15 dollars.\n#### 15"),
    ("Mia reads 15 pages a day. How many days does she need for a 120-page book?",
     "She needs 120 / 15 = 8 days.\n#### 8"),
    ("There are 5 rows of 8 chairs, and 7 chairs are taken. How many chairs are free?",
     "There are 5 * 8 = 40 chairs, so 40 - 7 = 33 are free.\n#### 33"),
)

CALCULATOR_NOTE = re.compile(r"<<[^<>]*>>")


def last_boxed(text: str) -> str | None:
    """The contents of the last `\\boxed{...}` or `\\fbox{...}` in `text`, braces balanced; None if absent."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        return None
    depth = 0
    for index in range(brace, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1:index]
    return None


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a clear error naming the line otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InvalidRecordError(f"problem file {path} does not exist")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidRecordError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, Mapping):
                raise InvalidRecordError(f"{path}:{number}: expected a JSON object")
            yield number, dict(row)


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _few_shot(shots: tuple[tuple[str, str], ...], question_label: str, answer_label: str, question: str) -> str:
    blocks = [f"{question_label}:\n{q}\n\n{answer_label}:\n{a}" for q, a in shots]
    blocks.append(f"{question_label}:\n{question}\n\n{answer_label}:\n")
    return "\n\n".join(blocks)


class MathJsonlTask:
    """MATH-format JSONL (`problem`, `solution`, optional `answer`): the MATH test set, MATH-500, PRM800K.

    The reference is `answer` when present, else the last `\\boxed{}` of `solution`. Option `exclude`
    names another MATH file (relative paths resolve against the loaded file's folder) whose problems are
    skipped: the PRM800K practice of training on MATH test minus MATH-500.
    """

    name = "math_jsonl"
    verifier = "math"
    stop = ("\n\nProblem:",)

    def load(self, path: str | Path, *, exclude: str | None = None) -> Iterator[Problem]:
        path = Path(path)
        skipped: set[str] = set()
        if exclude:
            excluded = Path(exclude) if Path(exclude).is_absolute() else path.parent / exclude
            skipped = {_normalised(str(row.get("problem", ""))) for _, row in read_rows(excluded)}
        for number, row in read_rows(path):
            if not isinstance(row.get("problem"), str):
                raise InvalidRecordError(f"{path}:{number}: a MATH row needs a 'problem' string")
            if _normalised(row["problem"]) in skipped:
                continue
            solution = str(row.get("solution") or "")
            reference = row.get("answer")
            if reference is None:
                reference = last_boxed(solution)
            if reference is None:
                raise InvalidRecordError(f"{path}:{number}: no 'answer' and no \\boxed{{}} in 'solution'")
            problem_id = row.get("unique_id") or row.get("idx")
            yield Problem(
                id=str(problem_id) if problem_id is not None else f"{path.stem}/{number}",
                prompt=row["problem"], reference=str(reference), domain="math",
                meta={"solution": solution, "level": row.get("level"),
                      "subject": row.get("subject") or row.get("type")})

    def format_prompt(self, problem: Problem) -> str:
        return _few_shot(MATH_SHOTS, "Problem", "Solution", problem.prompt)


class Gsm8kJsonlTask:
    """GSM8K JSONL (`question`, `answer` ending in `#### N`); the reference is N without thousands commas."""

    name = "gsm8k_jsonl"
    verifier = "math"
    stop = ("\n\nQuestion:",)

    def load(self, path: str | Path) -> Iterator[Problem]:
        path = Path(path)
        for number, row in read_rows(path):
            question, answer = row.get("question"), row.get("answer")
            if not isinstance(question, str) or not isinstance(answer, str) or "####" not in answer:
                raise InvalidRecordError(f"{path}:{number}: a GSM8K row needs 'question' and an 'answer' "
                                         f"ending in '#### N'")
            worked, final = answer.rsplit("####", 1)
            yield Problem(id=f"{path.stem}/{number}", prompt=question,
                          reference=final.strip().replace(",", ""), domain="math",
                          meta={"solution": CALCULATOR_NOTE.sub("", worked).strip()})

    def format_prompt(self, problem: Problem) -> str:
        return _few_shot(GSM8K_SHOTS, "Question", "Answer", problem.prompt)

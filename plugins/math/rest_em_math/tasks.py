"""The MATH and GSM8K tasks: loaders for the standard files and the few-shot prompts that go with them.

Rows are read by the core's `read_records` (JSONL, JSON, parquet, MATH's folder tree, or a data set by name,
`hf://HuggingFaceH4/MATH-500`, whose columns are the files' own), so a bad row is
reported by file and line as everywhere in rest-em. Each data set is graded by one verifier:

- MATH by `math`: its answers are LaTeX (fractions, radicals, intervals, matrices) and need symbolic
  equivalence.
- GSM8K by `gsm8k`: every GSM8K answer is one integer. `gsm8k` reads the `#### N` line first, which is
  what the few-shot prompt below teaches, falls back to the last number written, and compares exact
  rationals, so `$1,000`, `1000.00` and `18 dollars` all read as the numbers they are. `math` would look
  for a `\\boxed{}` first and judge LaTeX equivalence, rules a GSM8K answer never needs; and `gsm8k` is
  the verifier every other path uses for this data set (the verl adapter maps `openai/gsm8k` to it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from rest_verify import Problem
from rest_verify.errors import InvalidRecordError
from rest_verify.records import HUB_SCHEME, read_records

from rest_em_math.extract import extract_math_answer

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


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _few_shot(shots: tuple[tuple[str, str], ...], question_label: str, answer_label: str, question: str) -> str:
    blocks = [f"{question_label}:\n{q}\n\n{answer_label}:\n{a}" for q, a in shots]
    blocks.append(f"{question_label}:\n{question}\n\n{answer_label}:\n")
    return "\n\n".join(blocks)


class MathJsonlTask:
    """MATH-format problems (`problem`, `solution`, optional `answer`): the MATH test set, MATH-500, PRM800K.

    Reads JSONL, JSON, parquet, or the original release's folder of `<split>/<subject>/<n>.json` files
    (point it at one split; such a problem's id is that relative path, as MATH-500's `unique_id`). The
    reference is `answer` when present, else the final answer of `solution` as the `math` verifier reads
    it from a completion (its `info["answer"]`: the last `\\boxed{}` in MATH's solutions). Option `exclude`
    names another MATH file or folder (relative paths resolve against the loaded path's parent folder) whose
    problems are skipped: the PRM800K practice of training on MATH test minus MATH-500.
    """

    name = "math_jsonl"
    verifier = "math"
    stop = ("\n\nProblem:",)

    def load(self, path: str | Path, *, exclude: str | None = None) -> Iterator[Problem]:
        skipped: set[str] = set()
        if exclude:
            skipped = {_normalised(str(record.row.get("problem", "")))
                       for record in read_records(_beside(path, exclude))}
        for record in read_records(path):
            row = record.row
            if not isinstance(row.get("problem"), str):
                raise InvalidRecordError(f"{record.where}: a MATH row needs a 'problem' string")
            if _normalised(row["problem"]) in skipped:
                continue
            solution = str(row.get("solution") or "")
            reference = row.get("answer")
            if reference is None:
                reference = extract_math_answer(solution)
            if reference is None:
                raise InvalidRecordError(f"{record.where}: no 'answer' and no final answer in 'solution'")
            problem_id = row.get("unique_id") or row.get("idx")
            yield Problem(
                id=str(problem_id) if problem_id is not None else record.default_id,
                prompt=row["problem"], reference=str(reference), domain="math",
                meta={"solution": solution, "level": row.get("level"),
                      "subject": row.get("subject") or row.get("type")})

    def format_prompt(self, problem: Problem) -> str:
        return _few_shot(MATH_SHOTS, "Problem", "Solution", problem.prompt)


def _beside(path: str | Path, other: str) -> str | Path:
    """`other` as given when absolute or a data set by name (`hf://...`), else relative to `path`'s folder."""
    if other.startswith(HUB_SCHEME) or Path(other).is_absolute():
        return other
    if str(path).startswith(HUB_SCHEME):
        raise InvalidRecordError(f"exclude {other!r}: a relative path has no folder to resolve against "
                                 f"when the problems are {path}; give an absolute path or an hf:// data set")
    return Path(path).parent / other


class Gsm8kJsonlTask:
    """GSM8K (`question`, `answer` ending in `#### N`) as JSONL, JSON or parquet; the reference is N, no commas."""

    name = "gsm8k_jsonl"
    verifier = "gsm8k"
    stop = ("\n\nQuestion:",)

    def load(self, path: str | Path) -> Iterator[Problem]:
        for record in read_records(path):
            question, answer = record.row.get("question"), record.row.get("answer")
            if not isinstance(question, str) or not isinstance(answer, str) or "####" not in answer:
                raise InvalidRecordError(f"{record.where}: a GSM8K row needs 'question' and an 'answer' "
                                         f"ending in '#### N'")
            worked, final = answer.rsplit("####", 1)
            yield Problem(id=record.default_id, prompt=question,
                          reference=final.strip().replace(",", ""), domain="math",
                          meta={"solution": CALCULATOR_NOTE.sub("", worked).strip()})

    def format_prompt(self, problem: Problem) -> str:
        return _few_shot(GSM8K_SHOTS, "Question", "Answer", problem.prompt)

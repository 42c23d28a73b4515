"""Built-in tasks for the standard math formats: MATH (JSONL, JSON, parquet or its folder tree) and GSM8K.

A task loads `Problem`s from a file and turns a problem into the model's prompt (a fixed few-shot
template), and names the verifier that grades it. Both tasks here are graded by the `math` verifier.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from rest_verify import Problem
from rest_verify.errors import InvalidRecordError, RestEmError

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


@dataclass(frozen=True)
class Record:
    """One row of a problem file and where it came from, so an error can point at it."""

    source: Path
    index: int  # 1-based: the line of a JSONL file, the row of a JSON array or parquet file; 0: a whole file
    row: dict[str, Any]
    table: bool = False  # counted in rows (JSON array, parquet) rather than lines

    @property
    def where(self) -> str:
        """`file:line` for JSONL (what editors jump to), `file:row N` for tables, the file for a JSON tree."""
        if self.index == 0:
            return str(self.source)
        return f"{self.source}:{'row ' if self.table else ''}{self.index}"

    @property
    def default_id(self) -> str:
        """A stable id for rows that carry none; a JSON-tree file keeps MATH's `<split>/<subject>/<n>.json`."""
        if self.index == 0:
            return "/".join(self.source.parts[-3:])
        return f"{self.source.stem}/{self.index}"


def read_records(path: str | Path) -> Iterator[Record]:
    """Every row of a problem file or folder, whatever the layout, or an error naming file and row.

    A folder is a tree of one-object JSON files (the original MATH release, `<split>/<subject>/<n>.json`);
    `.json` is one object, an array of them or JSON Lines; `.parquet` (Hugging Face exports) is read with
    `datasets`; anything else is JSONL. JSON is parsed with the standard library on purpose: `datasets`'
    JSON reader rounds some floats (0.3 became 0.30000000000000004) and reports bad rows without their line.
    """
    path = Path(path)
    if path.is_dir():
        yield from _json_tree(path)
    elif not path.is_file():
        raise InvalidRecordError(f"problem file {path} does not exist")
    elif path.suffix == ".parquet":
        yield from _parquet(path)
    elif path.suffix == ".json":
        yield from _json_file(path)
    else:
        yield from _jsonl(path)


def _jsonl(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield Record(path, number, _object(_parse(line, f"{path}:{number}"), f"{path}:{number}"))


def _json_file(path: Path) -> Iterator[Record]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON Lines saved as .json, which Hugging Face's loader accepts too
            yield from _jsonl(path)
            return
        data = _parse(text, str(path))
    if isinstance(data, list):
        for number, row in enumerate(data, start=1):
            yield Record(path, number, _object(row, f"{path}:row {number}"), table=True)
    else:
        yield Record(path, 0, _object(data, str(path)))


def _json_tree(root: Path) -> Iterator[Record]:
    splits = sorted(child.name for child in root.iterdir() if child.is_dir() and child.name in ("train", "test"))
    if len(splits) > 1:
        raise InvalidRecordError(f"{root} holds the splits {', '.join(splits)}: load one of them, not both")
    files = sorted(root.rglob("*.json"), key=lambda file: (file.parent, _number_first(file.stem)))
    if not files:
        raise InvalidRecordError(f"folder {root} has no .json problem files")
    for file in files:
        data = _parse(file.read_text(encoding="utf-8"), str(file))
        yield Record(file, 0, _object(data, str(file)))


def _parquet(path: Path) -> Iterator[Record]:
    try:
        import datasets  # heavy: imported only when a parquet file is actually read
    except ImportError:
        raise RestEmError(f"reading {path} needs the `datasets` package: pip install 'rest-em[train]'") from None

    # Streaming reads the file in place; the builder's lock file goes to a scratch folder, not ~/.cache.
    try:
        with tempfile.TemporaryDirectory(prefix="rest-em-parquet-") as scratch:
            rows = iter(datasets.load_dataset("parquet", data_files=str(path), split="train",
                                              streaming=True, cache_dir=scratch))
    except Exception as exc:  # pyarrow and datasets raise many types for an unreadable file
        raise InvalidRecordError(f"{path}: not a readable parquet file ({exc})") from None
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a corrupt row group surfaces only while iterating
            raise InvalidRecordError(f"{path}:row {number + 1}: unreadable ({exc})") from None
        number += 1
        yield Record(path, number, _object(row, f"{path}:row {number}"), table=True)


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecordError(f"{where}: not JSON ({exc.msg})") from None
    except RecursionError:
        raise InvalidRecordError(f"{where}: not JSON (nested too deeply)") from None


def _object(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        raise InvalidRecordError(f"{where}: expected a JSON object, got {type(row).__name__}")
    return dict(row)


def _number_first(stem: str) -> tuple[int, str]:
    """Sort `2.json` before `10.json`, as MATH numbers its files."""
    return (int(stem), "") if stem.isdigit() else (1 << 62, stem)


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
    reference is `answer` when present, else the last `\\boxed{}` of `solution`. Option `exclude` names
    another MATH file or folder (relative paths resolve against the loaded path's parent folder) whose
    problems are skipped: the PRM800K practice of training on MATH test minus MATH-500.
    """

    name = "math_jsonl"
    verifier = "math"
    stop = ("\n\nProblem:",)

    def load(self, path: str | Path, *, exclude: str | None = None) -> Iterator[Problem]:
        path = Path(path)
        skipped: set[str] = set()
        if exclude:
            excluded = Path(exclude) if Path(exclude).is_absolute() else path.parent / exclude
            skipped = {_normalised(str(record.row.get("problem", ""))) for record in read_records(excluded)}
        for record in read_records(path):
            row = record.row
            if not isinstance(row.get("problem"), str):
                raise InvalidRecordError(f"{record.where}: a MATH row needs a 'problem' string")
            if _normalised(row["problem"]) in skipped:
                continue
            solution = str(row.get("solution") or "")
            reference = row.get("answer")
            if reference is None:
                reference = last_boxed(solution)
            if reference is None:
                raise InvalidRecordError(f"{record.where}: no 'answer' and no \\boxed{{}} in 'solution'")
            problem_id = row.get("unique_id") or row.get("idx")
            yield Problem(
                id=str(problem_id) if problem_id is not None else record.default_id,
                prompt=row["problem"], reference=str(reference), domain="math",
                meta={"solution": solution, "level": row.get("level"),
                      "subject": row.get("subject") or row.get("type")})

    def format_prompt(self, problem: Problem) -> str:
        return _few_shot(MATH_SHOTS, "Problem", "Solution", problem.prompt)


class Gsm8kJsonlTask:
    """GSM8K (`question`, `answer` ending in `#### N`) as JSONL, JSON or parquet; the reference is N, no commas."""

    name = "gsm8k_jsonl"
    verifier = "math"
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

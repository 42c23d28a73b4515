"""The `apps`, `codecontests` and `apps-cpp` tasks: code problems in the Hugging Face APPS / CodeContests
layouts, graded by `apps`, answered in any registered language (`language=`: Python by default, C++ for
`apps-cpp`; Java, JavaScript, Go, Rust or a plugin's own).

Rows come from local JSONL, JSON or parquet files, read by the core's `rest_verify.records.read_records`.
Their tests go through `parse_reference`, the verifier's own parser, so a problem that loads is one it can
grade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping

from rest_em_apps.reference import InvalidReference, TestSuite, parse_reference
from rest_verify import Problem
from rest_verify.errors import InvalidRecordError
from rest_verify.languages import Language, find_language, registered_languages
from rest_verify.records import Record, read_records

_TEST_FIELDS = ("input_output", "public_tests", "private_tests", "generated_tests")
# CodeContests' codes in `solutions.language` (0 is unknown, 1 is Python 2, which no language here runs).
CONTEST_LANGUAGE_CODES = {"cpp": 2, "python": 3, "java": 4}
KEPT_SOLUTIONS = 3  # reference solutions kept per problem in meta, to check a verifier on real data


class AppsTask:
    """APPS rows (`problem_id`, `question`, `input_output`, optional `starter_code`, `difficulty`) and
    CodeContests rows (`name`, `description`, `public_tests`/`private_tests`/`generated_tests`, and
    `time_limit`/`memory_limit_bytes`, kept in `meta`).

    The reference is the parsed test suite as a plain JSON object, `{"inputs", "outputs", "fn_name"?}`:
    `input_output` given as JSON text is decoded, CodeContests splits are merged, lists of lines joined.
    `language` (a registered language's name) goes into every problem's `meta["language"]`, so the verifier runs
    that language (`load(path, language=...)` picks another for one load); the prompt ends inside an
    opened code block of it, so the completion is the program itself and the closing fence stops
    generation. A CodeContests row's own solutions in that language (its `solutions` field, for C++,
    Python 3 and Java) are kept, the first few, in `meta["solutions"]`.
    """

    verifier = "apps"
    stop = ("\n```", "\nQUESTION:")

    def __init__(self, name: str = "apps", language: str = "python"):
        if not isinstance(language, str) or not language.strip():
            raise ValueError(f"language must be a language's name, got {language!r}")
        self.name = name
        self.language = language

    def load(self, path: str | Path, language: str | None = None) -> Iterator[Problem]:
        language = self._language(language)
        for record in read_records(path):
            yield _problem(record, language)

    def format_prompt(self, problem: Problem) -> str:
        starter = str(problem.meta.get("starter_code") or "")
        parts = [f"QUESTION:\n{problem.prompt.rstrip()}"]
        language = self._language(problem.meta.get("language"))
        fence = language.fences[0] if language.fences else language.name
        if starter.strip() and starter.strip() not in problem.prompt:
            parts.append(f"Starter code:\n```{fence}\n{starter.rstrip()}\n```")
        fn_name = problem.meta.get("fn_name")
        if fn_name:
            task = (f"Complete the function `{fn_name}` so that it returns the answer "
                    "(keep its signature; include every import it needs).")
        else:
            task = "Write a complete program that reads from standard input and writes to standard output."
        parts.append(f"{task} Answer with a single ```{fence} code block.")
        return "\n\n".join(parts) + f"\n\nANSWER:\n```{fence}\n"


    def _language(self, name: str | None = None) -> Language:
        """The language `name` (default: the task's), looked up when used: the task is built while
        plugins load."""
        name = name or self.language
        language = find_language(name)
        if language is None:
            known = ", ".join(sorted(registered_languages())) or "none"
            raise ValueError(f"task {self.name!r}: unknown language {name!r}; known: {known}")
        return language


def _problem(record: Record, language: Language) -> Problem:
    row = record.row
    question = row.get("question", row.get("description"))
    if not isinstance(question, str) or not question.strip():
        raise InvalidRecordError(f"{record.where}: an APPS row needs a 'question' string "
                                 "(CodeContests: 'description')")
    starter = row.get("starter_code")
    if starter is not None and not isinstance(starter, str):
        raise InvalidRecordError(f"{record.where}: 'starter_code' must be text, got {type(starter).__name__}")
    tests = {field: row[field] for field in _TEST_FIELDS if field in row}
    try:
        suite = parse_reference(tests)
    except InvalidReference as exc:
        raise InvalidRecordError(f"{record.where}: {exc}") from None
    if suite.call_based and not language.call_based:
        raise InvalidRecordError(f"{record.where}: a call-based problem (fn_name) cannot be answered in "
                                 f"{language.name}")
    problem_id = row.get("problem_id", row.get("name"))
    return Problem(
        id=str(problem_id) if problem_id not in (None, "") else record.default_id,
        prompt=question, reference=_reference(suite), domain="code",
        meta={"starter_code": starter or "", "fn_name": suite.fn_name, "difficulty": row.get("difficulty"),
              "language": language.name, **_contest_limits(row), **_contest_solutions(row, language)})


def _contest_limits(row: Mapping[str, Any]) -> dict[str, Any]:
    """CodeContests' own limits (`time_limit` as seconds + nanos, `memory_limit_bytes`), for reference:
    the verifier applies its own configured limits."""
    limits: dict[str, Any] = {}
    time_limit = row.get("time_limit")
    if isinstance(time_limit, Mapping) and isinstance(time_limit.get("seconds"), (int, float)):
        limits["time_limit_seconds"] = time_limit["seconds"] + (time_limit.get("nanos") or 0) / 1e9
    if isinstance(row.get("memory_limit_bytes"), int) and row["memory_limit_bytes"] > 0:
        limits["memory_limit_mb"] = row["memory_limit_bytes"] >> 20
    return limits


def _contest_solutions(row: Mapping[str, Any], language: Language) -> dict[str, Any]:
    """`{"solutions": [...]}`: the first few of the row's CodeContests solutions in `language`, if any."""
    solutions = row.get("solutions")
    code = CONTEST_LANGUAGE_CODES.get(language.name)
    if code is None or not isinstance(solutions, Mapping):
        return {}
    pairs = zip(solutions.get("language") or (), solutions.get("solution") or ())
    kept = [source for kind, source in pairs if kind == code and isinstance(source, str)][:KEPT_SOLUTIONS]
    return {"solutions": kept} if kept else {}


def _reference(suite: TestSuite) -> Mapping[str, Any]:
    """The suite in the APPS `input_output` shape, which `parse_reference` reads back unchanged."""
    reference: dict[str, Any] = {"inputs": list(suite.inputs), "outputs": list(suite.outputs)}
    if suite.fn_name is not None:
        reference["fn_name"] = suite.fn_name
    return reference

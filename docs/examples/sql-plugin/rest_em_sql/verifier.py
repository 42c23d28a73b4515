"""`sql_exec`: a completion is right when its query returns the same rows as the reference's gold query.

A reference is a JSON object:
  schema    SQL script creating the tables (CREATE TABLE ...; may hold INSERTs too)
  rows      optional {table: [[value, ...], ...]}, inserted after the schema
  gold      the gold query, or
  expected  the expected rows ([[value, ...], ...]) when there is no gold query
  ordered   optional bool (default false): compare rows in order; otherwise as a multiset
The model's query runs read-only (an authorizer allows SELECT, reads, functions and recursive CTEs only),
within a step limit, a row limit and a wall-clock budget sized from the deadline in force.
"""

from __future__ import annotations

import collections
import hashlib
import json
import sqlite3
from typing import Any

from rest_verify import InvalidRecordError, Problem, Verdict, current_deadline

from rest_em_sql.database import Limits, OutOfTime, QueryFailed, database, run_query
from rest_em_sql.extract import extract_query

SCHEMA = "CREATE TABLE people (name TEXT, age INTEGER, city TEXT);"
ROWS = {"people": [["Ada", 36, "London"], ["Alan", 41, "Wilmslow"], ["Grace", 85, "Arlington"],
                   ["Edsger", 72, "Nuenen"]]}


def _reference(gold: str, ordered: bool = False) -> dict[str, Any]:
    return {"schema": SCHEMA, "rows": ROWS, "gold": gold, "ordered": ordered}


OLDER = _reference("SELECT name FROM people WHERE age > 40")
BY_AGE = _reference("SELECT name FROM people ORDER BY age", ordered=True)


class SqlExecVerifier:
    """Execution match on an in-memory SQLite database. Options: max_steps, max_rows (integers)."""

    name = "sql_exec"
    deadline = 10.0  # the default --timeout; the wall-clock budget is a share of the deadline in force
    budget_share = 0.5  # of the deadline, leaving the rest for building the database and the reply

    examples = [
        (Problem(id="sql-older", prompt="Who is older than 40?", reference=OLDER),
         "```sql\nSELECT name FROM people WHERE age > 40;\n```"),
        (Problem(id="sql-by-age", prompt="Everyone, youngest first.", reference=BY_AGE),
         "Sort by age: SELECT name FROM people ORDER BY age ASC;"),
    ]
    bad_examples = [
        (Problem(id="sql-write", prompt="Who is older than 40?", reference=OLDER), "DELETE FROM people; SELECT 1"),
        (Problem(id="sql-drop", prompt="Who is older than 40?", reference=OLDER), "```sql\nDROP TABLE people\n```"),
        (Problem(id="sql-constant", prompt="Who is older than 40?", reference=OLDER), "SELECT 'Alan'"),
        (Problem(id="sql-everyone", prompt="Who is older than 40?", reference=OLDER), "SELECT name FROM people"),
        (Problem(id="sql-unordered", prompt="Everyone, youngest first.", reference=BY_AGE),
         "SELECT name FROM people"),
        (Problem(id="sql-attach", prompt="Who is older than 40?", reference=OLDER),
         "```sql\nATTACH DATABASE '/tmp/rest-em-sql-attach.db' AS other\n```"),
        (Problem(id="sql-endless", prompt="Who is older than 40?", reference=OLDER),
         "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"),
    ]

    def __init__(self, max_steps: int = 20_000_000, max_rows: int = 10_000) -> None:
        self.max_steps, self.max_rows = max_steps, max_rows
        defaults = (max_steps, max_rows) == (20_000_000, 10_000)
        self.version = "1" if defaults else f"1+steps={max_steps},rows={max_rows}"

    def configure(self, **options: str) -> SqlExecVerifier:
        """A copy with other limits (`--verifier-option max_steps=N`, `max_rows=N`)."""
        unknown = set(options) - {"max_steps", "max_rows"}
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)}; sql_exec takes max_steps, max_rows")
        try:
            values = {key: int(value) for key, value in options.items()}
        except ValueError:
            raise ValueError(f"max_steps and max_rows must be integers, got {options}") from None
        if any(value < 1 for value in values.values()):
            raise ValueError(f"max_steps and max_rows must be positive, got {options}")
        return SqlExecVerifier(**{"max_steps": self.max_steps, "max_rows": self.max_rows, **values})

    def verify(self, problem: Problem, completion: str) -> Verdict:
        reference = _checked(problem.reference)
        query = extract_query(completion) if isinstance(completion, str) else None
        if query is None:
            return Verdict.no_answer("no SQL query found")
        limits = self._limits()
        try:
            expected = self._expected(reference, limits)
            found = self._run(reference, query, limits)
        except OutOfTime as exc:
            return Verdict.timeout(f"query {exc}")
        except QueryFailed as exc:
            return Verdict.wrong(f"query {exc}")
        ordered = reference["ordered"]
        answer = _digest(found, ordered)
        if answer == _digest(expected, ordered):
            return Verdict.right(answer=answer, rows=len(found))
        return Verdict.wrong(f"expected {len(expected)} rows, got {len(found)}; they differ "
                             f"{'in order' if ordered else 'as a multiset'}", answer=answer, rows=len(found))

    def _limits(self) -> Limits:
        deadline = current_deadline()
        return Limits(self.max_steps, self.max_rows, None if deadline is None else self.budget_share * deadline)

    def _expected(self, reference: dict[str, Any], limits: Limits) -> list[tuple]:
        """The reference's rows: given, or the gold query's (a gold query that fails makes the item unusable)."""
        if "expected" in reference:
            return [tuple(row) for row in reference["expected"]]
        try:
            return self._run(reference, reference["gold"], limits)
        except OutOfTime:
            raise
        except QueryFailed as exc:
            raise InvalidRecordError(f"the reference's gold query {exc}") from None

    @staticmethod
    def _run(reference: dict[str, Any], query: str, limits: Limits) -> list[tuple]:
        """The query's rows on a fresh copy of the reference's database, so no query sees another's effects."""
        try:
            with database(reference["schema"], reference.get("rows", {})) as connection:
                return run_query(connection, query, limits)
        except sqlite3.Error as exc:
            raise InvalidRecordError(f"the reference's schema or rows do not load: {exc}") from None


def _checked(reference: Any) -> dict[str, Any]:
    """The reference with `ordered` filled in; InvalidRecordError naming what is wrong with it."""
    if not isinstance(reference, dict) or not isinstance(reference.get("schema"), str):
        raise InvalidRecordError("an sql_exec reference is an object with a `schema` string")
    if not isinstance(reference.get("gold"), str) and not isinstance(reference.get("expected"), list):
        raise InvalidRecordError("an sql_exec reference needs a `gold` query or `expected` rows")
    if not isinstance(reference.get("rows", {}), dict) or not isinstance(reference.get("ordered", False), bool):
        raise InvalidRecordError("an sql_exec reference's `rows` is an object of lists, `ordered` a boolean")
    return {**reference, "ordered": reference.get("ordered", False)}


def _digest(rows: list[tuple], ordered: bool) -> str:
    """A short, canonical name for a result: equal results (in order, or as multisets) get equal digests,
    so maj@k counts them as one answer."""
    canonical = [json.dumps([_value(value) for value in row], default=repr) for row in rows]
    if not ordered:
        canonical = sorted(collections.Counter(canonical).elements())
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()[:16]


def _value(value: Any) -> Any:
    """A cell as compared: 2.0 is 2 and floats agree to 9 decimal places, as an integer average and a
    REAL column holding the same number are the same answer."""
    if isinstance(value, float):
        rounded = round(value, 9)
        return int(rounded) if rounded.is_integer() else rounded
    return value

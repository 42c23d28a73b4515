"""sql_exec's decisions: extraction, ordered and unordered comparison, the read-only authorizer, the
limits, and unusable references."""

import pytest

from rest_verify import InvalidRecordError, Problem, Status

from rest_em_sql import SqlExecVerifier
from rest_em_sql.database import Limits, OutOfTime, database, run_query
from rest_em_sql.extract import extract_query
from rest_em_sql.verifier import BY_AGE, OLDER


def status(reference, completion, verifier=SqlExecVerifier()):
    return verifier.verify(Problem(id="t", reference=reference), completion).status


@pytest.mark.parametrize("completion, query", [
    ("```sql\nSELECT 1;\n```", "SELECT 1"),
    ("```\nDROP TABLE t\n```", "DROP TABLE t"),
    ("First I think. The query is SELECT a FROM t; that is all.", "SELECT a FROM t"),
    ("with x as (select 1) select * from x", "with x as (select 1) select * from x"),
    ("I do not know.", None),
])
def test_the_query_comes_from_the_last_fence_or_the_last_select(completion, query):
    assert extract_query(completion) == query


def test_unordered_results_compare_as_multisets_and_ordered_ones_in_order():
    reversed_order = "SELECT name FROM people ORDER BY age DESC"
    assert status(dict(BY_AGE, ordered=False), reversed_order) is Status.CORRECT
    assert status(BY_AGE, reversed_order) is Status.WRONG
    assert status(OLDER, "SELECT name FROM people WHERE age > 40 UNION ALL SELECT 'Alan'") is Status.WRONG


def test_expected_rows_stand_in_for_a_gold_query():
    reference = {"schema": OLDER["schema"], "rows": OLDER["rows"], "expected": [[4.0]]}
    assert status(reference, "SELECT count(*) FROM people") is Status.CORRECT


@pytest.mark.parametrize("statement", [
    "DELETE FROM people", "UPDATE people SET age = 0", "CREATE TABLE x (a)", "ATTACH DATABASE ':memory:' AS x",
    "PRAGMA writable_schema = 1", "WITH x AS (SELECT 1) INSERT INTO people SELECT 'M', 1, 'N' FROM x",
])
def test_anything_but_reading_is_refused(statement):
    with database(OLDER["schema"], OLDER["rows"]) as connection:
        with pytest.raises(Exception, match="not authorized"):
            run_query(connection, statement, Limits(10**6, 10, None))
        assert run_query(connection, "SELECT count(*) FROM people", Limits(10**6, 10, None)) == [(4,)]


def test_a_query_past_its_wall_clock_budget_ends_as_out_of_time():
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
    with database("", {}) as connection, pytest.raises(OutOfTime, match="ran past 0.2 s"):
        run_query(connection, endless, Limits(10**15, 10, 0.2))


def test_options_change_the_limits_and_the_version():
    strict = SqlExecVerifier().configure(max_rows="2")
    assert strict.version != SqlExecVerifier().version
    one_row = {"schema": OLDER["schema"], "rows": OLDER["rows"], "expected": [["Ada"]]}
    assert strict.verify(Problem(id="t", reference=one_row), "SELECT name FROM people").detail == \
        "query returned more than 2 rows"
    with pytest.raises(ValueError, match="unknown option"):
        SqlExecVerifier().configure(rows="2")


@pytest.mark.parametrize("reference", [
    "SELECT 1", {"schema": "CREATE TABLE t (a)"}, {"schema": "CREATE TABLE", "gold": "SELECT 1"},
    {"schema": "CREATE TABLE t (a)", "gold": "SELECT b FROM t"},
])
def test_an_unusable_reference_is_invalid_input(reference):
    with pytest.raises(InvalidRecordError):
        SqlExecVerifier().verify(Problem(id="t", reference=reference), "SELECT 1")

"""The worked third-party plugin of docs/plugin-authors.md (docs/examples/sql-plugin), as its users get it:
its wheel built, installed beside rest-em's wheel from .envs/wheels into a fresh venv, then found, checked,
and grading hostile queries through `rest-em grade` with the verdicts they must get."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "sql-plugin"

pytestmark = [pytest.mark.slow, pytest.mark.isolated_env("wheels")]

SCHEMA = "CREATE TABLE people (name TEXT, age INTEGER);"
ROWS = {"people": [["Ada", 36], ["Alan", 41], ["Grace", 85]]}
OLDER = {"schema": SCHEMA, "rows": ROWS, "gold": "SELECT name FROM people WHERE age > 40"}
BY_AGE = {"schema": SCHEMA, "rows": ROWS, "gold": "SELECT name FROM people ORDER BY age"}
ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
CROSS_JOIN = "SELECT count(*) FROM " + ", ".join(f"people p{i}" for i in range(16))


def run(argv: list[str], cwd: Path, timeout: float = 240) -> str:
    """Run with none of this process's PYTHONPATH or REST_EM_PLUGINS; fails the test unless it succeeds."""
    keep = {name: os.environ[name] for name in ("HOME", "TMPDIR") if name in os.environ}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                            env={**keep, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert result.returncode == 0, f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding rest-em's wheel and the example's wheel (built here from a copy of its folder,
    so nothing is written into the checkout), with only third-party dependencies from the index."""
    wheels = ROOT / ".envs" / "wheels"
    work = tmp_path_factory.mktemp("sql-plugin")
    source = shutil.copytree(EXAMPLE, work / "source")
    run([str(wheels / "tools" / "bin" / "python"), "-m", "build", "--no-isolation", "--wheel",
         "--outdir", str(work / "dist"), str(source)], cwd=work)
    run([str(wheels / "tools" / "bin" / "python"), "-m", "venv", str(work / "venv")], cwd=work)
    built, = (work / "dist").glob("rest_em_sql_exec-*.whl")
    core, = (wheels / "dist").glob("rest_em-*.whl")
    run([str(work / "venv" / "bin" / "pip"), "install", "-q", "--no-compile", str(core), f"{built}[test]"], cwd=work)
    return work / "venv"


def grade(environment: Path, items: dict[str, tuple[dict, str]], cwd: Path, *options: str) -> dict[str, dict]:
    """Each item's verdict from `rest-em grade`, by id."""
    lines = [json.dumps({"id": key, "reference": reference, "completion": completion})
             for key, (reference, completion) in items.items()]
    (cwd / "input.jsonl").write_text("\n".join(lines) + "\n")
    run([str(environment / "bin" / "rest-em"), "grade", "input.jsonl", "--verifier", "sql_exec", "-o", "out.jsonl",
         "--workers", "2", *options], cwd=cwd)
    return {row["id"]: row["verdict"] for row in map(json.loads, (cwd / "out.jsonl").read_text().splitlines())}


def test_the_installed_example_is_listed_and_passes_the_kit_and_its_own_tests(environment: Path,
                                                                              tmp_path: Path) -> None:
    rows = json.loads(run([str(environment / "bin" / "rest-em"), "plugins", "--json", "--kind", "verifiers"],
                          cwd=tmp_path))
    assert {row["name"]: row["distribution"] for row in rows} == {"exact": "rest-em", "sql_exec": "rest-em-sql-exec"}
    assert " 0 failed" in run([str(environment / "bin" / "rest-em"), "check", "sql_exec"], cwd=tmp_path)
    shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")  # the tests alone: the package is the installed wheel
    assert " passed" in run([str(environment / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests"], cwd=tmp_path)


def test_rest_em_grade_gives_each_query_its_verdict(environment: Path, tmp_path: Path) -> None:
    attached = tmp_path / "x.db"
    items = {
        "correct": (OLDER, "```sql\nSELECT name FROM people WHERE age > 40;\n```"),
        "correct after prose": (OLDER, "People over 40: SELECT name FROM people WHERE age > 40"),
        "wrong": (OLDER, "SELECT name FROM people WHERE age > 30"),
        "unordered equal, unordered": (dict(BY_AGE, ordered=False), "SELECT name FROM people ORDER BY age DESC"),
        "unordered equal, ordered": (dict(BY_AGE, ordered=True), "SELECT name FROM people ORDER BY age DESC"),
        "insert": (OLDER, "```sql\nINSERT INTO people VALUES ('Mallory', 99)\n```"),
        "drop": (OLDER, "```sql\nDROP TABLE people\n```"),
        "attach": (OLDER, f"```sql\nATTACH DATABASE '{attached}' AS other\n```"),
        "endless recursive CTE": (OLDER, ENDLESS),
        "huge cross join": (OLDER, CROSS_JOIN),
        "no query": (OLDER, "I would need to see the data."),
    }
    verdicts = grade(environment, items, tmp_path, "--timeout", "10")
    assert {key: verdict["status"] for key, verdict in verdicts.items()} == {
        "correct": "correct", "correct after prose": "correct", "wrong": "wrong",
        "unordered equal, unordered": "correct", "unordered equal, ordered": "wrong",
        "insert": "wrong", "drop": "wrong", "attach": "wrong", "endless recursive CTE": "wrong",
        "huge cross join": "wrong", "no query": "no_answer"}
    for key in ("insert", "drop", "attach"):
        assert "not authorized" in verdicts[key]["detail"], verdicts[key]
    for key in ("endless recursive CTE", "huge cross join"):
        assert "ran past 20000000 steps" in verdicts[key]["detail"], verdicts[key]
    assert not attached.exists()


def test_a_query_past_its_time_budget_is_a_clean_timeout_before_the_kill(environment: Path, tmp_path: Path) -> None:
    items = {"endless": (OLDER, ENDLESS), "correct": (OLDER, "SELECT name FROM people WHERE age > 40")}
    verdicts = grade(environment, items, tmp_path, "--timeout", "3", "--verifier-option", "max_steps=1000000000000")
    assert verdicts["correct"]["status"] == "correct"
    assert verdicts["endless"]["status"] == "timeout"
    assert verdicts["endless"]["detail"] == "query ran past 1.5 s", verdicts["endless"]  # the verifier's, not the kill's

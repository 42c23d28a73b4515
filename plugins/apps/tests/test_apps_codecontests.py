"""The `codecontests` task in any registered language: CodeContests rows loaded for Java, their own Java
solutions (language code 4 in `solutions`) kept in meta. Their grading in the sandbox under each runtime
is tests/sandboxes/test_codecontests_java.py (it needs the repository's Docker fixtures)."""

from __future__ import annotations

import pytest

from apps_testdata import FIXTURES, rows
from rest_verify.plugins import get_task

DATA = FIXTURES / "codecontests_java.jsonl"


def test_a_load_picks_its_language_and_keeps_the_rows_solutions_in_it():
    task = get_task("codecontests")
    java = list(task.load(DATA, language="java"))
    assert [p.meta["language"] for p in java] == ["java", "java"]
    assert [len(p.meta["solutions"]) for p in java] == [1, 1]
    assert "public class Main" in java[0].meta["solutions"][0]
    python = list(task.load(DATA))  # the task's default: Python 3 (code 3; Python 2, code 1, is left out)
    assert python[0].meta["language"] == "python" and python[0].meta["solutions"] == [rows("codecontests_java.jsonl")[0]["solutions"]["solution"][2]]
    assert "solutions" not in python[1].meta
    assert "solutions" not in next(iter(task.load(DATA, language="go"))).meta
    assert task.format_prompt(java[0]).endswith("ANSWER:\n```java\n")


def test_an_unknown_language_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown language 'cobol'; known: .*java"):
        list(get_task("codecontests").load(DATA, language="cobol"))

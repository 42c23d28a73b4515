"""CodeContests rows loaded for Java by the `codecontests` task: each row's own Java solutions graded
correct in the Docker sandbox and its incorrect ones not, under runc and gVisor."""

from __future__ import annotations

from pathlib import Path

import pytest

from rest_em_apps import AppsVerifier
from rest_verify import grade
from rest_verify.plugins import get_task
from rest_verify.records import read_records
from rest_verify.types import Status

pytestmark = pytest.mark.docker

DATA = Path(__file__).resolve().parents[2] / "plugins" / "apps" / "tests" / "fixtures" / "codecontests_java.jsonl"


def test_the_rows_java_solutions_get_their_verdicts(docker_runtime):
    problems = list(get_task("codecontests").load(DATA, language="java"))
    rows = [record.row for record in read_records(DATA)]
    cases = []
    for problem, row in zip(problems, rows, strict=True):
        cases += [(problem, f"```java\n{source}```", True) for source in problem.meta["solutions"]]
        cases += [(problem, f"```java\n{source}```", False) for source in row["incorrect_solutions"]["solution"]]
    verifier = AppsVerifier(sandbox="docker", time_limit=4.0,
                            sandbox_options={"pool_size": 1, "runtime": docker_runtime})
    try:
        verdicts = grade([p for p, _, _ in cases], [c for _, c, _ in cases], verifier, workers=1, timeout=90.0,
                         progress=False)
    finally:
        verifier.close()
    assert [(v.correct, v.status is Status.ERROR) for v in verdicts] == \
        [(correct, False) for _, _, correct in cases], [v.detail for v in verdicts]

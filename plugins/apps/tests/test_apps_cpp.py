"""C++ end to end through the docker backend: CodeContests rows loaded by the `apps-cpp` task, their
reference solutions graded correct and their incorrect ones (wrong, or too slow) not."""

from __future__ import annotations

import pytest

from apps_testdata import FIXTURES, rows
from rest_em_apps import AppsVerifier
from rest_em_apps.task import AppsTask
from rest_verify import grade
from rest_verify.types import Status

pytestmark = pytest.mark.docker


def test_codecontests_solutions_get_their_verdicts():
    problems = list(AppsTask(name="apps-cpp", language="cpp").load(FIXTURES / "codecontests_cpp.jsonl"))
    cases = []
    for problem, row in zip(problems, rows("codecontests_cpp.jsonl")):
        cases += [(problem, f"```cpp\n{source}```", True) for source in row["solutions"]["solution"]]
        cases += [(problem, source, False) for source in row["incorrect_solutions"]["solution"]]
    verifier = AppsVerifier(sandbox="docker", time_limit=2.0, sandbox_options={"pool_size": 1})
    try:
        verdicts = grade([p for p, _, _ in cases], [c for _, c, _ in cases], verifier, workers=1, timeout=60.0,
                         progress=False)
    finally:
        verifier.close()
    assert [(v.correct, v.status is Status.ERROR, "compile_elapsed" in v.info) for v in verdicts] == \
        [(correct, False, True) for _, _, correct in cases], [v.detail for v in verdicts]

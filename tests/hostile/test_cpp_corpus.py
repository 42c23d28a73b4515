"""C++ programs of our own, graded through the docker backend, each with the verdict it must get.

One program per file in cpp/, in the format and for the problem of corpus.py. The ptrace and raw-syscall
programs print the right sum only when every attack they try is refused, so their expected verdict is
`correct`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rest_em_apps import AppsVerifier
from rest_verify.types import Status
from tests.hostile.corpus import assert_graded_as_expected, read_corpus, sum_problem

pytestmark = pytest.mark.docker

CORPUS = Path(__file__).parent / "cpp"
PROBLEM = sum_problem("cpp")
PROGRAMS = read_corpus(CORPUS, ".cpp")

# Constant evaluation that keeps g++ busy for minutes on any machine. Each evaluation stays well inside
# g++'s per-evaluation operation limit (about 15 M of its 33.5 M operations, near a second), so none ends
# in that limit's error; there are 256 of them. (One long evaluation would hit the limit within seconds,
# and on a fast machine that error beats the compile time limit.)
COMPILER_SPIN = """
constexpr long spin(long k) {
    long s = k;
    for (long i = 0; i < 1000; ++i)
        for (long j = 0; j < 1000; ++j) s += i ^ j ^ k;
    return s;
}
""" + "".join(f"constexpr long spun{k} = spin({k});\n" for k in range(256)) + "int main() { return spun0 == 1; }\n"


@pytest.fixture(scope="module")
def verifier(docker_runtime):
    verifier = AppsVerifier(sandbox="docker", time_limit=2.0, total_time_limit=8.0,
                            sandbox_options={"pool_size": 1, "runtime": docker_runtime})
    yield verifier
    verifier.close()


def test_corpus_covers_every_kind():
    names = {name.split("_")[0] for name, _, _ in PROGRAMS}
    assert {"correct", "wrong", "slow", "crash", "hostile", "compile"} <= names
    assert {expect for _, expect, _ in PROGRAMS} == {"correct", "wrong", "timeout", "not-correct"}


@pytest.mark.parametrize("name, expect, source", PROGRAMS, ids=[name for name, _, _ in PROGRAMS])
def test_cpp_program_gets_its_verdict(verifier, name, expect, source):
    assert_graded_as_expected(verifier, PROBLEM, name, expect, f"```cpp\n{source}```")


def test_compile_error_reports_the_compilers_first_lines(verifier):
    source = (CORPUS / "compile_error.cpp").read_text()
    verdict = verifier.verify(PROBLEM, f"```c++\n{source}```")
    assert verdict.status is Status.WRONG
    assert "expected ',' or ';' before 'printf'" in verdict.info["compile_error"].replace("‘", "'").replace("’", "'")
    assert verdict.info["tests"][0]["reason"].startswith("does not compile: g++ failed (exit code 1)")


def test_a_hanging_compiler_is_stopped_within_its_limits():
    verifier = AppsVerifier(sandbox="docker", compile_time_limit=3.0, sandbox_options={"pool_size": 0})
    start = time.monotonic()
    try:
        verdict = verifier.verify(PROBLEM, f"```cpp\n{COMPILER_SPIN}```")
    finally:
        verifier.close()
    assert verdict.status is Status.WRONG, verdict.detail
    assert verdict.info["compile_error"] == "the compiler ran past its 3 s limit", verdict.detail
    assert time.monotonic() - start < 3.0 + 15.0

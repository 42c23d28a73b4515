"""Programs of our own in Java, JavaScript, Go and Rust, graded through the docker backend under runc and
runsc, each with the verdict it must get. The pattern of test_cpp_corpus.py, for every language the apps
plugin registers beyond Python and C++.

One program per file in <language>/, in the format and for the problem of corpus.py. The programs that
read host files, reach for the network or make raw system calls print the right sum only when every
attempt is refused, so their expected verdict is `correct`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rest_em_apps import AppsVerifier
from rest_verify.languages import find_language
from rest_verify.types import Status
from tests.hostile.corpus import assert_graded_as_expected, read_corpus, sum_problem

pytestmark = pytest.mark.docker

HERE = Path(__file__).parent
LANGUAGES = {"java": ".java", "javascript": ".js", "go": ".go", "rust": ".rs"}
KINDS = {"correct", "wrong", "compile", "slow", "crash", "hostile"}
ATTACKS = {"fork_bomb", "memory_bomb", "output_flood", "read_host_files", "network"}

# The first lines a compile error must show (the compiler's own words), per language.
COMPILER_SAYS = {"java": "';' expected", "javascript": "SyntaxError", "go": "declared but not used",
                 "rust": "cannot move out of `words` because it is borrowed"}

PROGRAMS = [(language, *program) for language, suffix in LANGUAGES.items()
            for program in read_corpus(HERE / language, suffix)]


@pytest.fixture(scope="module")
def verifier(docker_runtime):
    # A JVM's or Node's start-up is part of every test's time: 4 s per test leaves room for it under gVisor.
    verifier = AppsVerifier(sandbox="docker", time_limit=4.0, total_time_limit=16.0,
                            sandbox_options={"pool_size": 1, "runtime": docker_runtime})
    yield verifier
    verifier.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_corpus_covers_every_kind_and_attack(language):
    names = [name for lang, name, _, _ in PROGRAMS if lang == language]
    assert KINDS <= {name.split("_")[0] for name in names}
    assert ATTACKS <= {name.removeprefix("hostile_") for name in names}
    assert {expect for lang, _, expect, _ in PROGRAMS if lang == language} == {"correct", "wrong", "timeout",
                                                                               "not-correct"}
    assert find_language(language) is not None and find_language(language).packages


@pytest.mark.parametrize("language, name, expect, source", PROGRAMS,
                         ids=[f"{language}-{name}" for language, name, _, _ in PROGRAMS])
def test_program_gets_its_verdict(verifier, language, name, expect, source):
    fence = find_language(language).fences[0]
    assert_graded_as_expected(verifier, sum_problem(language), name, expect, f"```{fence}\n{source}```")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_compile_error_reports_the_compilers_first_lines(verifier, language):
    suffix = LANGUAGES[language]
    source = (HERE / language / f"compile_error{suffix}").read_text()
    verdict = verifier.verify(sum_problem(language), f"```{find_language(language).fences[0]}\n{source}```")
    assert verdict.status is Status.WRONG, verdict.detail
    assert COMPILER_SAYS[language] in verdict.info["compile_error"], verdict.info["compile_error"]
    assert verdict.info["tests"][0]["reason"].startswith("does not compile: ")

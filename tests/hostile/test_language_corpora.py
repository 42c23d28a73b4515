"""Programs of our own in Java, JavaScript, Go and Rust, graded through the docker backend under runc and
runsc, each with the verdict it must get. The pattern of test_cpp_corpus.py, for every language the apps
plugin registers beyond Python and C++.

One program per file in <language>/; its first line says the expected verdict (`// expect: correct`,
`wrong`, `timeout`, or `not-correct`: anything but correct and error), its second line what it does. The
problem is C++'s: read n, then n integers; print their sum (the last test overflows 32 bits). The
programs that read host files, reach for the network or make raw system calls print the right sum only
when every attempt is refused, so their expected verdict is `correct`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rest_em_apps import AppsVerifier
from rest_verify.languages import find_language
from rest_verify.types import Problem, Status

pytestmark = pytest.mark.docker

HERE = Path(__file__).parent
LANGUAGES = {"java": ".java", "javascript": ".js", "go": ".go", "rust": ".rs"}
KINDS = {"correct", "wrong", "compile", "slow", "crash", "hostile"}
ATTACKS = {"fork_bomb", "memory_bomb", "output_flood", "read_host_files", "network"}
LARGE = [999_999_937 - 7 * i for i in range(100_000)]
TESTS = [("3\n1 2 3\n", 6), ("1\n-5\n", -5), (f"{len(LARGE)}\n{' '.join(map(str, LARGE))}\n", sum(LARGE))]
REFERENCE = {"inputs": [given for given, _ in TESTS], "outputs": [f"{total}\n" for _, total in TESTS]}

# The first lines a compile error must show (the compiler's own words), per language.
COMPILER_SAYS = {"java": "';' expected", "javascript": "SyntaxError", "go": "declared but not used",
                 "rust": "cannot move out of `words` because it is borrowed"}


def _programs() -> list[tuple[str, str, str, str]]:
    programs = []
    for language, suffix in LANGUAGES.items():
        for path in sorted((HERE / language).glob(f"*{suffix}")):
            source = path.read_text()
            expect = source.splitlines()[0].removeprefix("// expect:").strip()
            programs.append((language, path.stem, expect, source))
    return programs


PROGRAMS = _programs()


def problem(language: str) -> Problem:
    return Problem(id=f"{language}/sum", prompt="Read n and n integers; print their sum.", domain="code",
                   reference=REFERENCE, meta={"language": language})


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
    start = time.monotonic()
    fence = find_language(language).fences[0]
    verdict = verifier.verify(problem(language), f"```{fence}\n{source}```")
    elapsed = time.monotonic() - start
    assert verdict.status is not Status.ERROR, f"{name} broke the infrastructure: {verdict.detail}"
    if expect == "not-correct":
        assert verdict.status is not Status.CORRECT and verdict.reward == 0.0, verdict.detail
    else:
        assert verdict.status.value == expect, f"{name}: {verdict.detail} {verdict.info.get('tests')}"
    assert elapsed < verifier.deadline


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_compile_error_reports_the_compilers_first_lines(verifier, language):
    suffix = LANGUAGES[language]
    source = (HERE / language / f"compile_error{suffix}").read_text()
    verdict = verifier.verify(problem(language), f"```{find_language(language).fences[0]}\n{source}```")
    assert verdict.status is Status.WRONG, verdict.detail
    assert COMPILER_SAYS[language] in verdict.info["compile_error"], verdict.info["compile_error"]
    assert verdict.info["tests"][0]["reason"].startswith("does not compile: ")

"""A language added by a plugin of its own (sedscript_plugin.py), installed as a distribution: the apps
verifier grades it without knowing it, in the process backend and in the Docker sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from rest_em_apps import AppsVerifier
from rest_verify.errors import DuplicateNameError
from rest_verify.languages import find_language
from rest_verify.plugins import get_registry, reset_registry
from rest_verify.types import Problem, Status, Verdict
from tests.distributions import write_dist_info

HERE = Path(__file__).parent
SHOUT = Problem(id="sed/shout", prompt="Print each line of the input in capitals.", domain="code",
                reference={"inputs": ["hello\nworld\n", "a b\n"], "outputs": ["HELLO\nWORLD\n", "A B\n"]},
                meta={"language": "sedscript"})


@pytest.fixture
def sed_plugin(tmp_path, monkeypatch):
    write_dist_info(tmp_path, "rest-em-sedscript", {"sedscript": "sedscript_plugin"})
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("REST_EM_PLUGINS", raising=False)
    reset_registry()
    yield
    reset_registry()


def test_the_plugins_language_is_registered_beside_the_built_in_ones(sed_plugin):
    registration = get_registry().registration("languages", "sedscript")
    assert registration.distribution == "rest-em-sedscript"
    assert find_language("sed") is find_language("GNU-sed") is registration.obj
    assert find_language("cpp") is not None


def test_a_language_name_registered_twice_is_an_error_naming_both(tmp_path, monkeypatch):
    (tmp_path / "cpp_again.py").write_text(
        "from rest_verify import hookimpl\nfrom rest_verify.languages import Language\n\n"
        "@hookimpl\ndef register_languages(register):\n"
        "    register(Language('cpp', 'a.cpp', ('./a',)))\n")
    write_dist_info(tmp_path, "rest-em-cpp-again", {"cpp_again": "cpp_again"})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("REST_EM_PLUGINS", raising=False)
    reset_registry()
    try:
        with pytest.raises(DuplicateNameError, match="language 'cpp' is registered twice.*rest-em-cpp-again"):
            get_registry()
    finally:
        reset_registry()


def grade(verifier: AppsVerifier, program: str) -> Verdict:
    try:
        return verifier.verify(SHOUT, f"```sed\n{program}\n```")
    finally:
        verifier.close()


def test_the_verifier_compiles_and_runs_it_in_the_process_backend(sed_plugin):
    assert grade(AppsVerifier(sandbox="process"), r"s/.*/\U&/").status is Status.CORRECT
    assert grade(AppsVerifier(sandbox="process"), r"s/.*/\L&/").status is Status.WRONG


def test_its_compile_errors_are_the_compilers_words(sed_plugin):
    verdict = grade(AppsVerifier(sandbox="process"), "s/unterminated")
    assert verdict.status is Status.WRONG
    assert verdict.info["compile_error"].startswith("sh failed (exit code 1):")
    assert "unterminated `s' command" in verdict.info["compile_error"]


@pytest.mark.docker
def test_it_runs_in_the_hardened_sandbox_under_each_runtime(sed_plugin, docker_runtime):
    verifier = AppsVerifier(sandbox="docker", sandbox_options={"pool_size": 0, "runtime": docker_runtime})
    assert grade(verifier, r"s/.*/\U&/").status is Status.CORRECT

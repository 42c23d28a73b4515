"""The whole third-party path: render a plugin, install it into a fresh venv, see rest-em find and check it
and run the verb it adds."""

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner

from rest_verify.cli import main

ROOT = Path(__file__).resolve().parents[2]


ROOT = Path(__file__).resolve().parents[2]


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=240, **kwargs)


@pytest.mark.slow
def test_rendered_plugin_installs_lists_and_passes_the_kit(tmp_path):
    result = CliRunner().invoke(main, ["new-plugin", "palindrome", "-d", str(tmp_path)])
    assert result.exit_code == 0, result.output
    project = tmp_path / "rest-em-palindrome"
    # As a plugin author would: a fresh venv that sees nothing of this one, rest-em from this checkout, then
    # the plugin with its test extra, both built by pip with build isolation (their own build requirements).
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = str(environment / "bin" / "python")
    for requirement in (str(ROOT), f"{project}[test]"):
        installed = run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "-e", requirement])
        assert installed.returncode == 0, installed.stderr
    cli = [str(environment / "bin" / "rest-em")]
    listed = run(cli + ["plugins", "--json", "--kind", "verifiers"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout) if r["name"] == "palindrome")
    assert row["distribution"] == "rest-em-palindrome" and row["distribution_version"] == "0.1.0"
    checked = run(cli + ["check", "palindrome", "--deadline", "10"], cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 failed" in checked.stdout
    helped = run(cli + ["--help"])
    assert helped.returncode == 0, helped.stderr
    assert "try-palindrome  Grade one completion with the palindrome verifier." in helped.stdout
    tried = run(cli + ["try-palindrome", "so it is\nRacecar", "--reference", "racecar"])
    assert tried.returncode == 0, tried.stderr
    assert json.loads(tried.stdout)["status"] == "correct"
    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project / "tests")], cwd=project)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    # and the pinning variable really hides it, verb included
    hidden = run(cli + ["plugins", "--json"], cwd=tmp_path, env={"REST_EM_PLUGINS": "", "PATH": "/usr/bin:/bin"})
    assert not {"palindrome", "try-palindrome"} & {r["name"] for r in json.loads(hidden.stdout)}


def test_bad_names_are_refused_with_the_rule(tmp_path):
    result = CliRunner().invoke(main, ["new-plugin", "Bad-Name", "-d", str(tmp_path)])
    assert result.exit_code != 0 and "lowercase letters" in result.output


def test_new_plugin_into_an_existing_folder_exits_2_and_keeps_what_is_there(tmp_path):
    existing = tmp_path / "rest-em-palindrome"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["new-plugin", "palindrome", "-d", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert [p.name for p in existing.iterdir()] == ["mine.txt"]


def test_the_scaffolds_try_verb_takes_a_reference_that_is_not_text(tmp_path, monkeypatch):
    assert CliRunner().invoke(main, ["new-plugin", "structured", "-d", str(tmp_path)]).exit_code == 0
    monkeypatch.syspath_prepend(str(tmp_path / "rest-em-structured"))
    from rest_em_structured.cli import try_verifier

    as_json = CliRunner().invoke(try_verifier, ["42", "--reference-json", '{"answer": 42}'])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["status"] == "invalid_input"
    as_text = CliRunner().invoke(try_verifier, ["so\n42", "--reference", "42"])
    assert json.loads(as_text.output)["status"] == "correct"
    neither = CliRunner().invoke(try_verifier, ["42"])
    assert neither.exit_code == 2 and "exactly one of --reference and --reference-json" in neither.output


def test_the_scaffolds_readme_says_how_to_test_pin_and_depend_on_rest_em(tmp_path):
    assert CliRunner().invoke(main, ["new-plugin", "documented", "-d", str(tmp_path)]).exit_code == 0
    readme = (tmp_path / "rest-em-documented" / "README.md").read_text()
    assert "pip install -e '.[test]'" in readme
    assert "REST_EM_PLUGINS=rest-em-documented" in readme
    assert "Until rest-em is on the package index" in readme

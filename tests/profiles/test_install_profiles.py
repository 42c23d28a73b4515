"""Every install profile of docs/install.md, each in a fresh virtual environment built by scripts/envs/profile-*.sh:
every `rest-em` verb answers `--help`, and each profile does a small real job, with no traceback anywhere.

The verbs are read from `rest-em --help` itself, so a verb added or moved is covered without editing this file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The `exact` verifier and the two sandboxes are built into the core; every profile has them.
CORE_VERIFIERS = {"exact"}


@dataclass(frozen=True)
class Profile:
    name: str
    verifiers: frozenset[str]  # what `rest-em plugins` must list, no more, no less
    absent: tuple[str, ...]  # modules the profile must not install


PROFILES = {profile.name: profile for profile in (
    Profile("core", frozenset(CORE_VERIFIERS), ("torch", "pytest", "sympy", "datasets")),
    Profile("grading", frozenset(CORE_VERIFIERS | {"math", "gsm8k"}), ("torch", "pytest", "datasets")),
    Profile("apps", frozenset(CORE_VERIFIERS | {"apps"}), ("torch", "pytest", "sympy")),
    Profile("arith", frozenset(CORE_VERIFIERS | {"arith"}), ("torch", "pytest", "sympy")),
    Profile("train", frozenset(CORE_VERIFIERS | {"math", "gsm8k", "apps", "arith", "rm", "rm-likelihood"}),
            ("pytest",)),
    Profile("test", frozenset(CORE_VERIFIERS | {"math", "gsm8k", "apps", "arith", "rm", "rm-likelihood"}), ()),
)}


def profiles(*names: str, marks: tuple = ()) -> list:
    """Test parameters, each needing the profile's environment."""
    return [pytest.param(PROFILES[name], id=name, marks=(pytest.mark.isolated_env(f"profile-{name}"), *marks))
            for name in names or PROFILES]


def run(environment: Path, *argv: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a program of the environment as a user would, with nothing of this test process's environment
    (no PYTHONPATH, no REST_EM_PLUGINS, no pytest variables); fails the test on any traceback."""
    keep = {name: os.environ[name] for name in ("HOME", "TMPDIR", "DOCKER_HOST") if name in os.environ}
    env = {**keep, "PATH": f"{environment / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    result = subprocess.run([str(environment / "bin" / argv[0]), *argv[1:]], capture_output=True, text=True,
                            timeout=timeout, cwd=cwd, env=env)
    assert "Traceback" not in result.stdout + result.stderr, f"{' '.join(argv)}:\n{result.stdout}{result.stderr}"
    return result


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{' '.join(result.args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    return result.stdout


def subcommands(help_text: str) -> list[str]:
    """The command names listed under `Commands:` in a click help text."""
    if "\nCommands:\n" not in help_text:
        return []
    listing = help_text.split("\nCommands:\n", 1)[1]
    return re.findall(r"^  (\S+)", listing, flags=re.M)


@pytest.mark.parametrize("profile", profiles())
def test_every_verb_answers_help(profile: Profile, isolated_env: Path, tmp_path: Path) -> None:
    top = succeeded(run(isolated_env, "rest-em", "--help", cwd=tmp_path))
    verbs = subcommands(top)
    assert {"grade", "plugins", "check"} <= set(verbs)
    seen: dict[str, str] = {}
    pending = [[verb] for verb in verbs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        while pending:
            helps = pool.map(lambda path: succeeded(run(isolated_env, "rest-em", *path, "--help", cwd=tmp_path)),
                             pending)
            found = list(zip(pending, helps))
            seen.update((" ".join(path), text) for path, text in found)
            pending = [[*path, sub] for path, text in found for sub in subcommands(text)]
    assert all(text.startswith("Usage: rest-em ") for text in seen.values())
    assert succeeded(run(isolated_env, "rest-em", "--version", cwd=tmp_path)).strip().endswith("0.1.0")


@pytest.mark.parametrize("profile", profiles())
def test_plugins_lists_exactly_what_the_profile_installs(profile: Profile, isolated_env: Path, tmp_path: Path):
    listed = json.loads(succeeded(run(isolated_env, "rest-em", "plugins", "--json", "--kind", "verifiers",
                                      cwd=tmp_path)))
    assert {row["name"] for row in listed} == profile.verifiers
    probe = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
    installed = succeeded(run(isolated_env, "python", "-c", probe, *profile.absent, cwd=tmp_path)).split()
    assert installed == [], f"profile {profile.name} should not install {installed}"


@pytest.mark.parametrize("profile", profiles("core", "grading", "arith"))
def test_check_runs_the_conformance_kit_without_pytest(profile: Profile, isolated_env: Path, tmp_path: Path):
    verifier = sorted(profile.verifiers - CORE_VERIFIERS or CORE_VERIFIERS)[0]
    report = succeeded(run(isolated_env, "rest-em", "check", verifier, cwd=tmp_path))
    assert re.search(r"^\d+ passed, 0 failed$", report, flags=re.M)


@pytest.mark.parametrize("profile", profiles("core"))
def test_core_grades_a_file_with_the_builtin_verifier(profile: Profile, isolated_env: Path, tmp_path: Path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"completion": "42", "reference": "42"}\n{"completion": "41", "reference": "42"}\n')
    run(isolated_env, "rest-em", "grade", str(answers), "--verifier", "exact", "-o", "graded.jsonl", cwd=tmp_path)
    graded = [json.loads(line) for line in (tmp_path / "graded.jsonl").read_text().splitlines()]
    assert [row["verdict"]["status"] for row in graded] == ["correct", "wrong"]


@pytest.mark.parametrize("profile", profiles("grading"))
def test_grading_profile_grades_the_readme_example(profile: Profile, isolated_env: Path, tmp_path: Path):
    result = run(isolated_env, "rest-em", "grade", str(ROOT / "examples" / "math_answers.jsonl"),
                 "--verifier", "math", "-o", "graded.jsonl", cwd=tmp_path)
    succeeded(result)
    assert "accuracy 60.00%" in result.stderr
    assert (tmp_path / "graded.jsonl.manifest.json").is_file()


@pytest.mark.parametrize("profile", profiles("grading", "arith"))
def test_training_verbs_without_the_training_stack_say_what_to_install(profile: Profile, isolated_env: Path,
                                                                       tmp_path: Path):
    result = run(isolated_env, "rest-em", "demo", "--quick", "--output", "run", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "needs the training stack, missing: torch" in result.stderr
    assert "requirements-cpu.txt" in result.stderr and not (tmp_path / "run").exists()


@pytest.mark.parametrize("profile", profiles("apps", marks=(pytest.mark.docker,)))
def test_apps_profile_grades_programs_in_the_sandbox(profile: Profile, isolated_env: Path, tmp_path: Path):
    tests = {"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]}
    programs = ["print(int(input()) * 2)", "print(int(input()) + 2)"]
    answers = tmp_path / "programs.jsonl"
    answers.write_text("".join(json.dumps({"completion": p, "reference": tests}) + "\n" for p in programs))
    succeeded(run(isolated_env, "rest-em", "grade", str(answers), "--verifier", "apps", "-o", "graded.jsonl",
                  cwd=tmp_path, timeout=300))
    graded = [json.loads(line) for line in (tmp_path / "graded.jsonl").read_text().splitlines()]
    assert [row["verdict"]["status"] for row in graded] == ["correct", "wrong"]


@pytest.mark.slow
@pytest.mark.parametrize("profile", profiles("train"))
def test_training_profile_runs_the_quick_demo(profile: Profile, isolated_env: Path, tmp_path: Path):
    succeeded(run(isolated_env, "rest-em", "demo", "--quick", "--output", "run", cwd=tmp_path, timeout=600))
    assert (tmp_path / "run" / "report.md").is_file()


@pytest.mark.parametrize("profile", profiles("test"))
def test_test_profile_runs_a_plugin_suite_with_the_conformance_kit(profile: Profile, isolated_env: Path,
                                                                   tmp_path: Path):
    result = run(isolated_env, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 str(ROOT / "plugins" / "arith" / "tests"), cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\d+ passed", result.stdout)


def test_the_install_guide_documents_each_profile_with_the_command_its_script_runs():
    guide = (ROOT / "docs" / "install.md").read_text()
    documented = dict(re.findall(r"^\| `([a-z]+)` \| `pip install ([^`]+)` \|", guide, flags=re.M))
    scripted = {path.stem.removeprefix("profile-"): re.search(r"^build_profile \S+ (.+)$", path.read_text(),
                                                              flags=re.M).group(1)
                for path in (ROOT / "scripts" / "envs").glob("profile-*.sh")}
    assert documented == scripted
    assert set(PROFILES) == set(scripted)

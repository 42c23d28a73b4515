"""Verbs come through `register_commands`: plugins add theirs, lazily, and the core names no package."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rest_verify import Command
from rest_verify.errors import DuplicateNameError, PluginError
from rest_verify.plugins import load_registry
from tests.distributions import write_dist_info

CORE = Path(__file__).resolve().parents[2] / "rest_verify"
HEAVY = ["torch", "transformers", "greet_heavy"]


def install_fake(root: Path, dist_name: str, module_name: str, hooks: str, files: dict[str, str] | None = None) -> None:
    """A distribution on sys.path: a hook module, extra modules, a .dist-info with a rest_em entry point."""
    (root / f"{module_name}.py").write_text("from rest_verify import Command, hookimpl\n\n" + textwrap.dedent(hooks))
    for name, text in (files or {}).items():
        (root / name).write_text(textwrap.dedent(text))
    write_dist_info(root, dist_name, {module_name: module_name}, version="0.2")


def verb_hooks(verb: str, target: str) -> str:
    return f'''
        @hookimpl
        def register_commands(register):
            register(Command({verb!r}, {target!r}, "Greet someone by name."))
    '''


GREET_MODULE = '''
    import click

    @click.command()
    @click.argument("who")
    def greet(who):
        """Greet WHO."""
        click.echo(f"hello, {who}")
'''


@pytest.fixture
def plugins_dir(tmp_path, monkeypatch):
    install_fake(tmp_path, "rest-em-greet", "greet_plugin", verb_hooks("greet", "greet_heavy:greet"),
                 {"greet_heavy.py": GREET_MODULE})
    install_fake(tmp_path, "rest-em-greet-too", "greet_too_plugin", verb_hooks("greet", "greet_heavy:greet"))
    install_fake(tmp_path, "rest-em-shadow", "shadow_plugin", verb_hooks("grade", "greet_heavy:greet"))
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def cli(args: list[str], plugins_dir: Path, pinned: str | None, cwd: Path) -> tuple[subprocess.CompletedProcess, list]:
    """Run `rest-em ARGS` in a fresh interpreter; also return which HEAVY modules it had imported at exit."""
    code = ("import json, sys\nfrom rest_verify.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as exit:\n    status = exit.code\n"
            f"print('HEAVY=' + json.dumps(sorted(set({HEAVY!r}) & set(sys.modules))), file=sys.stderr)\n"
            "sys.exit(status)\n")
    env = {"PYTHONPATH": ":".join([str(plugins_dir), *sys.path]), "PATH": "/usr/bin:/bin"}
    if pinned is not None:
        env["REST_EM_PLUGINS"] = pinned
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)
    heavy = json.loads(done.stderr.rsplit("HEAVY=", 1)[1]) if "HEAVY=" in done.stderr else None
    return done, heavy


def test_a_plugin_verb_is_listed_without_importing_it_and_runs(plugins_dir, tmp_path):
    listed, heavy = cli(["--help"], plugins_dir, "rest-em-greet", tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^\s+greet\s+Greet someone by name\.$", listed.stdout, flags=re.M)
    assert re.search(r"^\s+grade\s", listed.stdout, flags=re.M)
    assert heavy == []
    ran, heavy = cli(["greet", "Ada"], plugins_dir, "rest-em-greet", tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "hello, Ada\n" and heavy == ["greet_heavy"]
    shown, _ = cli(["plugins", "--json", "--kind", "commands"], plugins_dir, "rest-em-greet", tmp_path)
    row = next(r for r in json.loads(shown.stdout) if r["name"] == "greet")
    assert (row["kind"], row["distribution"]) == ("command", "rest-em-greet")


def test_grade_imports_neither_torch_nor_a_plugin_verb(plugins_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"completion": "4", "reference": "4"}) + "\n")
    graded, heavy = cli(["grade", str(source), "-v", "exact", "-w", "0", "-o", str(tmp_path / "out.jsonl")],
                        plugins_dir, "rest-em-greet", tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert heavy == []


def test_pinning_hides_a_pinned_out_plugins_verb(plugins_dir, tmp_path):
    listed, _ = cli(["--help"], plugins_dir, "", tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "greet" not in listed.stdout and "grade" in listed.stdout
    missing, _ = cli(["greet", "Ada"], plugins_dir, "", tmp_path)
    assert missing.returncode == 2 and "No such command 'greet'" in missing.stderr


def test_two_plugins_adding_one_verb_is_an_error_naming_both(plugins_dir):
    with pytest.raises(DuplicateNameError) as caught:
        load_registry(pinned=["rest-em-greet", "rest-em-greet-too"])
    assert "rest-em-greet " in str(caught.value) and "rest-em-greet-too" in str(caught.value)


def test_a_plugin_verb_may_not_shadow_a_core_verb(plugins_dir, tmp_path):
    done, _ = cli(["--help"], plugins_dir, "rest-em-shadow", tmp_path)
    assert done.returncode == 2
    last = done.stderr.split("HEAVY=")[0].strip().splitlines()[-1]
    assert last.startswith("Error: command 'grade' is registered twice")
    assert "by rest-em (" in last and "by rest-em-shadow (" in last


def test_a_verb_whose_target_is_missing_says_which_verb_and_target():
    with pytest.raises(PluginError, match="command 'lost': cannot load no_such_module:cmd"):
        Command("lost", "no_such_module:cmd", "Nothing.").load()
    with pytest.raises(PluginError, match="not 'package.module:attribute'"):
        Command("lost", "no_colon", "Nothing.")


def test_the_core_names_no_other_package_anywhere():
    naming = re.compile(r"\brest_train\b|\bsandboxes[.:]|\bimport sandboxes\b")
    offenders = [f"{path.relative_to(CORE.parent)}:{number}"
                 for path in sorted(CORE.rglob("*")) if path.is_file() and path.suffix != ".pyc"
                 for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
                 if naming.search(line)]
    assert offenders == []

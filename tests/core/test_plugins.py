import json
import subprocess
import sys
import textwrap

import pytest

from rest_verify.errors import DuplicateNameError, PluginError, UnknownNameError
from rest_verify.plugins import BUILTIN_PLUGINS, load_registry
from tests.distributions import write_dist_info


def make_distribution(root, dist_name, module_name, verifier_name):
    """A minimal installed distribution on sys.path: a module and a .dist-info with a rest_em entry point."""
    (root / f"{module_name}.py").write_text(textwrap.dedent(f'''
        from rest_verify import hookimpl, Verdict

        class V:
            name = {verifier_name!r}
            version = "7"
            def verify(self, problem, completion):
                return Verdict.right()

        @hookimpl
        def register_verifiers(register):
            register(V())
    '''))
    write_dist_info(root, dist_name, {module_name: module_name}, version="0.3")


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    make_distribution(tmp_path, "rest-em-alpha", "alpha_plugin", "alpha")
    make_distribution(tmp_path, "rest-em-beta", "beta_plugin", "beta")
    make_distribution(tmp_path, "rest-em-clash", "clash_plugin", "alpha")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_builtins_load_through_the_hooks_even_when_nothing_is_pinned():
    registry = load_registry(pinned=[])
    assert registry.get("verifiers", "exact").name == "exact"
    assert registry.registration("commands", "grade").plugin in BUILTIN_PLUGINS
    assert {r.distribution for r in registry.all()} == {"rest-em"}


def test_pinning_loads_exactly_the_named_distributions(fake_plugins):
    registry = load_registry(pinned=["rest-em-beta"])
    assert "beta" in registry.names("verifiers") and "alpha" not in registry.names("verifiers")
    registration = registry.registration("verifiers", "beta")
    assert (registration.distribution, registration.version) == ("rest-em-beta", "0.3")
    assert {"distribution": "rest-em-beta", "version": "0.3"} in registry.provenance()


def test_two_distributions_registering_one_name_is_an_error_naming_both(fake_plugins):
    with pytest.raises(DuplicateNameError) as caught:
        load_registry(pinned=["rest-em-alpha", "rest-em-clash"])
    assert "rest-em-alpha" in str(caught.value) and "rest-em-clash" in str(caught.value)


def test_unknown_name_lists_what_is_installed(fake_plugins):
    registry = load_registry(pinned=["rest-em-alpha"])
    with pytest.raises(UnknownNameError, match="installed: alpha, exact"):
        registry.get("verifiers", "nope")


def test_environment_variable_pins_plugins_for_the_cli(fake_plugins):
    env_path = str(fake_plugins)
    run = lambda pinned: subprocess.run(
        [sys.executable, "-c", "from rest_verify.cli import main; main()", "plugins", "--json", "--kind", "verifiers"],
        capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": env_path + ":" + ":".join(sys.path), "REST_EM_PLUGINS": pinned, "PATH": "/usr/bin:/bin"})
    shown = {row["name"] for row in json.loads(run("rest-em-alpha").stdout)}
    assert shown == {"alpha", "exact"}
    hidden = {row["name"] for row in json.loads(run("").stdout)}
    assert hidden == {"exact"}


def make_broken_distribution(root, dist_name, module_name, source):
    """A distribution whose plugin module is `source`: one that fails to import, or whose hook raises."""
    (root / f"{module_name}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist_name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[rest_em]\n{module_name.removesuffix('_plugin')} = {module_name}\n")


@pytest.fixture
def broken_plugins(fake_plugins):
    make_broken_distribution(fake_plugins, "rest-em-noimport", "noimport_plugin",
                             "import a_module_nobody_has\n")
    make_broken_distribution(fake_plugins, "rest-em-raises", "raises_plugin", '''
        from rest_verify import hookimpl, Verdict

        class Fine:
            name, version = "fine_but_dropped", "1"
            def verify(self, problem, completion):
                return Verdict.right()

        @hookimpl
        def register_verifiers(register):
            register(Fine())

        @hookimpl
        def register_commands(register):
            raise RuntimeError("the hook is buggy")
    ''')
    return fake_plugins


def test_a_broken_plugin_is_set_aside_by_name_with_the_way_out_and_the_others_load(broken_plugins):
    registry = load_registry(pinned=["rest-em-beta", "rest-em-noimport", "rest-em-raises"])
    assert "beta" in registry.names("verifiers")
    assert "fine_but_dropped" not in registry.names("verifiers")  # a plugin is loaded whole or not at all
    by_dist = {b.distribution: b for b in registry.broken}
    assert set(by_dist) == {"rest-em-noimport", "rest-em-raises"}
    assert "ModuleNotFoundError" in by_dist["rest-em-noimport"].error
    assert "register_commands hook raised RuntimeError: the hook is buggy" in by_dist["rest-em-raises"].error
    way_out = by_dist["rest-em-noimport"].way_out()
    assert "pip uninstall rest-em-noimport" in way_out
    assert "REST_EM_PLUGINS=rest-em-beta,rest-em-raises" in way_out
    with pytest.raises(UnknownNameError, match="rest-em-noimport .* is broken"):
        registry.get("verifiers", "noimport")


def cli_run(args, plugins_path, pinned):
    return subprocess.run(
        [sys.executable, "-c", "from rest_verify.cli import main; main()", *args], capture_output=True, text=True,
        timeout=60, env={"PYTHONPATH": str(plugins_path) + ":" + ":".join(sys.path), "REST_EM_PLUGINS": pinned,
                         "PATH": "/usr/bin:/bin"})


def test_with_a_broken_plugin_installed_every_verb_and_other_plugin_still_works(broken_plugins, tmp_path):
    pinned = "rest-em-beta,rest-em-noimport"
    helped = cli_run(["--help"], broken_plugins, pinned)
    assert helped.returncode == 0, helped.stderr
    listed = cli_run(["plugins", "--json"], broken_plugins, pinned)
    assert listed.returncode == 0, listed.stderr
    broken = [row for row in json.loads(listed.stdout) if row["kind"] == "broken plugin"]
    assert [(row["name"], row["distribution"]) for row in broken] == [("noimport", "rest-em-noimport")]
    assert "a_module_nobody_has" in broken[0]["error"] and "pip uninstall rest-em-noimport" in broken[0]["way_out"]
    table = cli_run(["plugins"], broken_plugins, pinned)
    assert "BROKEN  plugin 'noimport' from rest-em-noimport" in table.stdout
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"completion": "x", "reference": "x"}) + "\n")
    graded = cli_run(["grade", str(source), "--verifier", "beta", "--workers", "0"], broken_plugins, pinned)
    assert graded.returncode == 0, graded.stderr
    assert json.loads(graded.stdout)["verdict"]["status"] == "correct"
    assert "warning: plugin 'noimport' from rest-em-noimport 0.1 is broken" in graded.stderr
    assert "REST_EM_PLUGINS=rest-em-beta" in graded.stderr


def test_pinning_an_unknown_name_is_an_error_listing_what_is_installed(fake_plugins):
    with pytest.raises(PluginError) as caught:
        load_registry(pinned=["rest-em-beta", "rest-em-typo"])
    message = str(caught.value)
    assert "'rest-em-typo'" in message and "rest-em-beta (entry points: beta_plugin)" in message
    assert "rest-em-alpha (entry points: alpha_plugin)" in message


def test_pinning_accepts_entry_point_names_as_well_as_distribution_names(fake_plugins):
    by_entry_point = load_registry(pinned=["beta_plugin"])
    assert "beta" in by_entry_point.names("verifiers") and "alpha" not in by_entry_point.names("verifiers")
    assert by_entry_point.registration("verifiers", "beta").distribution == "rest-em-beta"


def test_an_unknown_pinned_name_ends_the_cli_with_one_line_and_status_2(fake_plugins):
    done = cli_run(["plugins"], fake_plugins, "rest-em-typo")
    assert done.returncode == 2
    assert "REST_EM_PLUGINS names 'rest-em-typo'" in done.stderr and "Traceback" not in done.stderr

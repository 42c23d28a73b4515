import json
import subprocess
import sys
import textwrap

import pytest

from rest_verify.errors import DuplicateNameError, UnknownNameError
from rest_verify.plugins import BUILTIN_PLUGINS, load_registry


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
    info = root / f"{dist_name.replace('-', '_')}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[rest_em]\n{module_name} = {module_name}\n")


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

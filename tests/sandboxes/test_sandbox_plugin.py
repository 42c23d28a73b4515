"""The built-in backends are registered through the plugin hook, and registering them costs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rest_verify.plugins import get_registry, load_registry
from sandboxes.base import SandboxUnavailable
from sandboxes.docker import DockerSandbox
from sandboxes.process import ProcessSandbox


def test_both_backends_registered_as_factories():
    registry = get_registry()
    assert registry.get("sandboxes", "process") is ProcessSandbox
    assert registry.get("sandboxes", "docker") is DockerSandbox
    registration = registry.registration("sandboxes", "docker")
    assert (registration.distribution, registration.plugin) == ("rest-em", "rest-em:sandboxes")


def test_rest_em_own_entry_point_loads_backends_and_verb_even_when_plugins_are_pinned_to_none():
    registry = load_registry(pinned=[])
    assert registry.get("sandboxes", "docker") is DockerSandbox
    verb = registry.registration("commands", "sandbox")
    assert verb.distribution == "rest-em" and verb.obj.target == "sandboxes.cli:sandbox"


def test_registration_neither_imports_the_docker_sdk_nor_connects():
    code = ("import sys\n"
            "from rest_verify.plugins import get_sandbox_factory\n"
            "factory = get_sandbox_factory('docker')\n"
            "assert factory.name == 'docker'\n"
            "print('docker' in sys.modules, 'requests' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={"DOCKER_HOST": "unix:///nonexistent.sock", "PATH": "/usr/bin:/bin",
                               "REST_EM_PLUGINS": ""}, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_unreachable_daemon_says_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(SandboxUnavailable, match="start it"):
        DockerSandbox(pool_size=0)

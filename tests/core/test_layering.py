"""Arrows point one way: a domain plugin works with the training package absent, and no module of the core
imports, even lazily, a module that imports it back.

Each installed plugin (entry point group `rest_em`) is imported, every module of its package with it, and
its hooks are called, in a fresh interpreter where importing `rest_train` fails as it does in an install
without it.
"""

from __future__ import annotations

import ast
import graphlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WITHOUT_REST_TRAIN = r"""
import importlib, importlib.metadata, json, pkgutil, sys

class Absent:
    def find_spec(self, name, path=None, target=None):
        if name == "rest_train" or name.startswith("rest_train."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Absent())
found = {}
for entry_point in importlib.metadata.entry_points(group="rest_em"):
    if entry_point.dist is not None and entry_point.dist.metadata["Name"] == "rest-em":
        continue  # rest-em's own entry points include the training package itself
    plugin = entry_point.load()
    package = importlib.import_module(plugin.__name__.split(".")[0])
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
    registered = []
    for hook in ("register_verifiers", "register_sandboxes", "register_tasks", "register_generators",
                 "register_languages"):
        if hasattr(plugin, hook):
            getattr(plugin, hook)(register=lambda thing: registered.append(thing.name))
    found[entry_point.name] = registered
print(json.dumps({"plugins": found, "rest_train_loaded": any(m.startswith("rest_train") for m in sys.modules)}))
"""


def in_repo_plugins() -> set[str]:
    names = set()
    for project in ROOT.glob("plugins/*/pyproject.toml"):
        names |= set(tomllib.loads(project.read_text())["project"]["entry-points"]["rest_em"])
    return names


def test_every_plugin_imports_and_registers_without_rest_train():
    result = subprocess.run([sys.executable, "-c", WITHOUT_REST_TRAIN], capture_output=True, text=True,
                            timeout=120, cwd=ROOT.parent)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not report["rest_train_loaded"]
    assert in_repo_plugins() <= set(report["plugins"])
    assert {"math_jsonl", "gsm8k_jsonl", "math", "gsm8k"} <= set(report["plugins"]["math"])
    assert {"apps", "apps-cpp", "codecontests", "python", "cpp", "java", "javascript", "go", "rust"} == \
        set(report["plugins"]["apps"])


def imported_modules(tree: ast.AST, known: set[str]) -> set[str]:
    """The modules of `known` that a module's code imports anywhere, inside functions too."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:  # the core uses absolute imports only
            # `from package import module` imports that module; `from module import name`, the module
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                      for alias in node.names}
    return found & known


# The whiteboard, bottom to top: an arrow may point down or sideways, never up.
LAYERS = {"rest_verify": 0, "sandboxes": 1, "rest_em_math": 2, "rest_em_apps": 2, "rest_em_arith": 2,
          "rest_em_rm": 2, "rest_train": 3, "benchmarks": 4}


def package_roots() -> list[Path]:
    return [ROOT / "rest_verify", ROOT / "sandboxes", *sorted(ROOT.glob("plugins/*/rest_em_*")),
            ROOT / "rest_train", ROOT / "benchmarks"]


def import_graph(roots: list[Path]) -> dict[str, set[str]]:
    files = {}
    for root in roots:
        for path in root.rglob("*.py"):
            parts = path.relative_to(root.parent).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    known = set(files)
    return {name: imported_modules(ast.parse(path.read_text()), known) - {name} for name, path in files.items()}


def test_the_core_imports_the_modules_it_uses_inside_functions_too():
    graph = import_graph([ROOT / "rest_verify"])
    assert "rest_verify.children" in graph["rest_verify.engine"]
    assert "rest_verify.engine" in graph["rest_verify.audit"]  # imported inside a function: still an arrow


def test_no_import_cycle_anywhere():
    graph = import_graph(package_roots())
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as cycle:
        pytest.fail(f"import cycle: {' -> '.join(cycle.args[1])}")


def test_no_arrow_runs_up_the_layers():
    """Core at the bottom, sandboxes and plugins above it, training above those, benchmarks on top."""
    graph = import_graph(package_roots())
    upward = [f"{module} -> {imported}" for module, imports in graph.items() for imported in imports
              if LAYERS[imported.split(".")[0]] > LAYERS[module.split(".")[0]]]
    assert not upward

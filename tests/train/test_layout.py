"""rest_train's layout: each module imports alone, and the paths of the flat layout still work, warning
with the new path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rest_train._moved import OLD_TO_NEW

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                 for path in (ROOT / "rest_train").rglob("*.py") if path.name != "worker.py")


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_every_module_imports_alone_with_no_deprecated_path():
    """In one fresh interpreter per module: an import cycle or an import of a moved path fails here."""
    failures = {}
    for module in MODULES:
        result = run_python(f"import {module}")
        if result.returncode != 0:
            failures[module] = result.stderr.strip().splitlines()[-1]
    assert not failures


@pytest.mark.parametrize("old, new", sorted(OLD_TO_NEW.items()))
def test_an_old_module_path_gives_the_new_module_and_names_it(old, new):
    result = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", "-c",
                             f"import {old} as o, {new} as n; assert o is n"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{old} has moved to {new}; import it from there" in result.stderr


@pytest.mark.parametrize("old, new", [("rest_train.demo", "rest_train.demo.rest_em"),
                                      ("rest_train.generation", "rest_train.generation.transformers")])
def test_a_module_that_became_a_package_still_serves_its_old_names(old, new):
    name = {"rest_train.demo": "QUICK", "rest_train.generation": "TransformersBackend"}[old]
    result = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", "-c",
                             f"from {old} import {name} as a; from {new} import {name} as b; assert a is b"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{old}.{name} has moved to {new}.{name}" in result.stderr

"""What the Ray tests share: node actors that import the sample verifiers from this process's path."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "core"  # sample_verifiers.py: the engine tests' verifiers


def _runtime_env(**variables: str) -> dict:
    return {"env_vars": {"PYTHONPATH": os.pathsep.join([str(SAMPLES), *sys.path]), **variables}}


@pytest.fixture(scope="session")
def runtime_env() -> Callable[..., dict]:
    """Builds Ray's runtime_env for node actors (with extra environment variables): they import the test
    verifiers from the same path as this process."""
    return _runtime_env


@pytest.fixture(scope="session")
def sample_verifiers() -> ModuleType:
    """tests/core/sample_verifiers, imported here as the nodes import it through `runtime_env`."""
    sys.path.insert(0, str(SAMPLES))
    import sample_verifiers

    return sample_verifiers

"""pytest plugin (registered through the `pytest11` entry point): the `conformance` and `offline_datasets`
fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest


@pytest.fixture
def conformance() -> Callable[..., None]:
    """`conformance(verifier, examples=None, deadline=10)` fails the test listing every broken rule."""
    from rest_verify.testing import assert_conforms

    return assert_conforms


@pytest.fixture
def offline_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`datasets` offline, with its cache in this test's `tmp_path` (returned): a folder written by
    `rest_verify.testing.datasets.hub_dataset_folder` loads through its `hf://` path, and nothing reaches
    the network or the user's cache."""
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    return tmp_path

"""pytest plugin (registered through the `pytest11` entry point) exposing the `conformance` fixture."""

from __future__ import annotations

from typing import Callable

import pytest


@pytest.fixture
def conformance() -> Callable[..., None]:
    """`conformance(verifier, examples=None, deadline=10)` fails the test listing every broken rule."""
    from rest_verify.testing import assert_conforms

    return assert_conforms

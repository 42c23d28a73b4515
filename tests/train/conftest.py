"""Training tests: the in-repo plugins they need, pinned; one CPU thread for their tiny models.

Both fixtures are package-scoped, so tests outside tests/train see the environment unchanged.
"""

from __future__ import annotations

import pytest

from rest_verify.plugins import PINNING_VARIABLE, reset_registry

# The demo's task (arith), the MATH verifier and the reward-model scorer (rm); nothing else installed
# may change what the tests see.
NEEDED_PLUGINS = "rest-em-arith,rest-em-math,rest-em-rm"


@pytest.fixture(scope="package", autouse=True)
def pinned_plugins():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PINNING_VARIABLE, NEEDED_PLUGINS)
        reset_registry()
        yield
    reset_registry()


@pytest.fixture(scope="package", autouse=True)
def single_torch_thread():
    """Tiny models gain nothing from more threads, and extra threads stall a shared machine."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)

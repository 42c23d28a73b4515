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


@pytest.fixture(scope="package")
def base_model(tmp_path_factory, pinned_plugins, single_torch_thread):
    """The quick demo's pre-trained base model, shared by the loop tests of both modes."""
    from rest_train.demo.rest_em import QUICK, pretrain
    from rest_verify.plugins import get_task

    path = tmp_path_factory.mktemp("quick") / "base"
    pretrain(get_task("arith"), QUICK, path, seed=0, device="cpu")
    return path

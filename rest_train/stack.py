"""The training stack (the `[train]` extra) is optional: a grading install has none of it, so the training
verbs check for it first and say in one line what to install, instead of failing deep inside an import."""

from __future__ import annotations

import importlib.util

from rest_verify.errors import RestEmError

# The import names of the `[train]` extra's packages.
TRAINING_MODULES = ("torch", "transformers", "tokenizers", "datasets", "accelerate", "matplotlib")


def require_training_stack(verb: str) -> None:
    """Raise a `RestEmError` naming the missing packages and the install command, if any is missing."""
    missing = [name for name in TRAINING_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise RestEmError(f"rest-em {verb} needs the training stack, missing: {', '.join(missing)}; on CPU "
                          f"install it with `pip install -r requirements-cpu.txt` (from a rest-em checkout), "
                          f"with a GPU install your torch build, then `pip install 'rest-em[train]'`")

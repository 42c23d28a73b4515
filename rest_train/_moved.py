"""The module paths of rest_train before it was laid out in subpackages, kept importable for a while.

`import rest_train.loop` still works and gives the module now at `rest_train.run.loop`, with a
DeprecationWarning naming the new path; code written against the flat layout keeps running while it
moves. A finder on `sys.meta_path` answers only for these names, so nothing else is affected. Two old
modules are now packages of the same name, `rest_train.generation` and `rest_train.demo`: their old
names are served by the package's `__getattr__` through `moved_attribute`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

MOVED = {
    "chat": "generation.chat", "vllm_backend": "generation.vllm.backend",
    "openai_backend": "generation.openai.backend", "openai_generator": "generation.openai.generator",
    "server_pool": "generation.openai.server_pool",
    "loop": "run.loop", "rest": "run.rest", "overlap": "run.overlap", "filtering": "run.filtering",
    "metrics": "run.metrics", "distributed": "run.ranks", "files": "run.files", "resume": "run.resume",
    "improve": "training.finetune", "reward_model": "training.reward_model",
    "model_files": "models.folder", "gguf_checkpoint": "models.gguf", "tinymodel": "models.tiny",
    "report": "reports.rest_em", "rest_report": "reports.rest", "demo_rest": "demo.rest",
}
OLD_TO_NEW = {f"rest_train.{old}": f"rest_train.{new}" for old, new in MOVED.items()}


class _Alias(importlib.abc.Loader):
    def __init__(self, new: str):
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} has moved to {self.new}; import it from there", DeprecationWarning,
                      stacklevel=2)
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """The module was run when it was imported under its new name."""


class MovedModules(importlib.abc.MetaPathFinder):
    """Finds each old path of `OLD_TO_NEW` as an alias of the module at its new path."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        new = OLD_TO_NEW.get(fullname)
        return None if new is None else importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules())  # before path finders: an old file left behind never wins


def moved_attribute(package: str, module: str, name: str) -> object:
    """`name` of the flat layout's `package` module, now in `module`: found there, with a warning."""
    moved = importlib.import_module(module)
    # a submodule of the package (`from rest_train.demo import rest`) is imported by the import system
    if importlib.util.find_spec(f"{package}.{name}") is not None or not hasattr(moved, name):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    warnings.warn(f"{package}.{name} has moved to {module}.{name}; import it from there", DeprecationWarning,
                  stacklevel=3)
    return getattr(moved, name)

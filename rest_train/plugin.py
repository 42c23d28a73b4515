"""Built-in plugin module of rest-em's training side: the `transformers` generator.

Loaded by every `rest-em` invocation, so it imports nothing heavy: torch is imported only when a
generator is actually made.
"""

from __future__ import annotations

from typing import Any, Callable

from rest_verify.hookspecs import hookimpl

from rest_train.generation import TransformersBackend


@hookimpl
def register_generators(register: Callable[[Any], None]) -> None:
    register(TransformersBackend())


"""Built-in plugin module of rest-em's training side: the `transformers` and `vllm` generators and the math
tasks.

Loaded by every `rest-em` invocation, so it imports nothing heavy: torch is imported only when a
generator is actually made.
"""

from __future__ import annotations

from typing import Any, Callable

from rest_verify.hookspecs import hookimpl

from rest_train.generation import TransformersBackend
from rest_train.tasks import Gsm8kJsonlTask, MathJsonlTask
from rest_train.vllm_backend import VllmBackend


@hookimpl
def register_generators(register: Callable[[Any], None]) -> None:
    register(TransformersBackend())
    register(VllmBackend())


@hookimpl
def register_tasks(register: Callable[[Any], None]) -> None:
    register(MathJsonlTask())
    register(Gsm8kJsonlTask())

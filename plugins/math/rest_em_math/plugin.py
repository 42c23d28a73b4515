"""rest-em hook implementations of the math plugin (entry point `rest_em: math`): verifiers and tasks."""

from __future__ import annotations

from typing import Any, Callable

from rest_verify.hookspecs import hookimpl

from rest_em_math.tasks import Gsm8kJsonlTask, MathJsonlTask
from rest_em_math.verifier import GSM8KVerifier, MathVerifier


@hookimpl
def register_verifiers(register: Callable[[Any], None]) -> None:
    register(MathVerifier())
    register(GSM8KVerifier())


@hookimpl
def register_tasks(register: Callable[[Any], None]) -> None:
    register(MathJsonlTask())
    register(Gsm8kJsonlTask())

"""Entry point of the `rest-em-arith` distribution: registers the `arith` task and verifier."""

from __future__ import annotations

from typing import Any, Callable

from rest_verify import hookimpl

from rest_em_arith.task import ArithTask
from rest_em_arith.verifier import ArithVerifier


@hookimpl
def register_tasks(register: Callable[[Any], None]) -> None:
    register(ArithTask())


@hookimpl
def register_verifiers(register: Callable[[Any], None]) -> None:
    register(ArithVerifier())

"""Registers the built-in execution backends and the `rest-em sandbox` verb through the same hooks
third-party plugins use (the `rest_em` entry point `sandboxes` of the rest-em distribution).

Importing this module is cheap: the backend modules import only the standard library at top level,
nothing talks to Docker until a `DockerSandbox` is constructed, and the verb is imported when it runs.
"""

from __future__ import annotations

from typing import Any, Callable

from rest_verify.commands import Command
from rest_verify.hookspecs import hookimpl
from sandboxes.docker import DockerSandbox
from sandboxes.process import ProcessSandbox


@hookimpl
def register_sandboxes(register: Callable[[Any], None]) -> None:
    register(ProcessSandbox)
    register(DockerSandbox)


@hookimpl
def register_commands(register: Callable[[Any], None]) -> None:
    register(Command("sandbox", "sandboxes.cli:sandbox",
                     "Build and check the Docker sandbox that runs model-written code."))

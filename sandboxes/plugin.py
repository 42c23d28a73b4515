"""Registers the built-in execution backends through the same hook third-party backends use.

Importing this module is cheap: the backend modules import only the standard library at top level,
and nothing talks to Docker until a `DockerSandbox` is constructed.
"""

from __future__ import annotations

from typing import Any, Callable

from rest_verify.hookspecs import hookimpl
from sandboxes.docker import DockerSandbox
from sandboxes.process import ProcessSandbox


@hookimpl
def register_sandboxes(register: Callable[[Any], None]) -> None:
    register(ProcessSandbox)
    register(DockerSandbox)

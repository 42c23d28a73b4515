"""The contract every execution backend honours, explicit about every limit and every outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol, Sequence

from rest_verify.errors import RestEmError


class SandboxError(RestEmError):
    """The backend itself failed (not the program it ran): the daemon vanished, the image is missing…"""


class SandboxUnavailable(SandboxError):
    """The backend cannot run on this machine; the message says how to make it work."""


@dataclass(frozen=True)
class Limits:
    """Resource ceilings for one execution. Wall time is enforced from the host."""

    wall_seconds: float = 10.0
    cpu_seconds: float | None = None  # defaults to wall_seconds
    memory_mb: int = 512
    max_processes: int = 64
    max_output_bytes: int = 1 << 20  # per stream; the rest is dropped and `truncated` set
    max_file_bytes: int = 16 << 20  # largest file the program may write in its work dir
    workdir_mb: int = 64


@dataclass(frozen=True)
class ExecRequest:
    """A program to run: files written into a fresh work dir, the command, and its standard input."""

    files: Mapping[str, str | bytes]
    argv: Sequence[str]
    stdin: bytes = b""
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class ExecResult:
    stdout: bytes
    stderr: bytes
    exit_code: int | None  # None when the program was killed before it exited
    timed_out: bool = False
    oom_killed: bool = False
    truncated: bool = False
    elapsed: float = 0.0


class Sandbox(Protocol):
    name: str

    def run(self, request: ExecRequest) -> ExecResult: ...

    def close(self) -> None: ...

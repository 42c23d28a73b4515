"""Checks shared by every backend, so a malformed request fails the same way everywhere and early."""

from __future__ import annotations

import math
from pathlib import PurePosixPath

from rest_verify.errors import InvalidRecordError
from sandboxes.base import ExecRequest


def checked_files(request: ExecRequest) -> list[tuple[str, bytes, int]]:
    """(relative path, content, mode) for every file of `request`, after validating the whole request.

    Paths must stay inside the work dir; a file starting with `#!` is made executable so that
    `argv=["./run.sh"]` works the same in every backend.
    """
    if isinstance(request.argv, (str, bytes)) or not request.argv:
        raise InvalidRecordError(f"argv must be a non-empty list of strings, not {request.argv!r}")
    if not all(isinstance(arg, str) and "\0" not in arg for arg in request.argv):
        raise InvalidRecordError(f"every argv item must be a string without NUL bytes: {request.argv!r}")
    if not isinstance(request.stdin, (bytes, bytearray)):
        raise InvalidRecordError(f"stdin must be bytes, not {type(request.stdin).__name__}")
    limits = request.limits
    if not (math.isfinite(limits.wall_seconds) and limits.wall_seconds > 0):
        raise InvalidRecordError(
            f"limits.wall_seconds must be a positive number, not {limits.wall_seconds!r}")
    if limits.cpu_seconds is not None and not limits.cpu_seconds > 0:
        raise InvalidRecordError(f"limits.cpu_seconds must be positive or None, not {limits.cpu_seconds!r}")
    for field in ("memory_mb", "max_processes", "max_output_bytes", "max_file_bytes", "workdir_mb"):
        value = getattr(limits, field)
        if not isinstance(value, int) or value <= 0:
            raise InvalidRecordError(f"limits.{field} must be a positive integer, not {value!r}")
    checked = []
    for name, content in request.files.items():
        path = PurePosixPath(name)
        if not name or "\0" in name or path.is_absolute() or ".." in path.parts or path == PurePosixPath("."):
            raise InvalidRecordError(f"file name {name!r} must be a relative path inside the work dir")
        data = content.encode() if isinstance(content, str) else bytes(content)
        checked.append((str(path), data, 0o755 if data.startswith(b"#!") else 0o644))
    total = sum(len(data) for _, data, _ in checked)
    if total > limits.workdir_mb << 20:
        raise InvalidRecordError(
            f"the files total {total} bytes, more than limits.workdir_mb={limits.workdir_mb}")
    return checked


def cpu_seconds(request: ExecRequest) -> int:
    """The CPU-time ceiling in whole seconds (rlimits have no finer grain), at least one."""
    limits = request.limits
    seconds = limits.cpu_seconds if limits.cpu_seconds is not None else limits.wall_seconds
    return max(1, math.ceil(seconds))

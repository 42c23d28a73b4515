"""Shared files a reference names by path and content hash, instead of inlining them.

A reference that embeds a whole database (or a large test suite) is hashed into every cache key and
shipped with every item. `asset(path)` gives a small `{"path", "sha256"}` object to embed instead: the
cache key hashes that object, so a file with new content gets new keys, and `read_asset` refuses a file
whose content no longer matches, so a verdict is never decided against other data than the key names.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Mapping

from rest_verify.errors import InvalidRecordError

_CHUNK = 1 << 20


class AssetError(InvalidRecordError):
    """A reference's asset is malformed, missing, or its content does not match its hash."""


def asset(path: str | os.PathLike[str]) -> dict[str, str]:
    """The object a reference embeds to name `path`: its absolute path and the SHA-256 of its content."""
    resolved = Path(path).resolve()
    return {"path": str(resolved), "sha256": _sha256(resolved)}


def read_asset(reference: Any) -> bytes:
    """The content of the asset `reference` names, checked against its hash; an `AssetError` otherwise.

    Raised inside `verify()`, an `AssetError` becomes an `invalid_input` verdict naming the cause.
    """
    path, expected = _fields(reference)
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise AssetError(f"asset {path}: {exc.strerror or exc}") from None
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        raise AssetError(f"asset {path} changed: its sha256 is {actual}, the reference names {expected}; "
                         "rebuild the references with rest_verify.asset(path)")
    return content


def _fields(reference: Any) -> tuple[str, str]:
    if not isinstance(reference, Mapping) or not isinstance(reference.get("path"), str) \
            or not isinstance(reference.get("sha256"), str):
        raise AssetError(f"an asset must be {{'path': str, 'sha256': str}} (see rest_verify.asset), got {reference!r}")
    return reference["path"], reference["sha256"].lower()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

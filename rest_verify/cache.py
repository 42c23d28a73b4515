"""Memoised verdicts, so re-grading a file costs a lookup rather than a verification.

Keys cover everything a verdict may depend on: the verifier's name and version, the problem (prompt,
reference, meta) and the completion. Timeouts and errors are never stored: they describe a run, not
the item, and a retry may well succeed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

from rest_verify.errors import CacheError
from rest_verify.types import Problem, Status, Verdict

TRANSIENT = frozenset({Status.TIMEOUT, Status.ERROR})


def cache_key(verifier_name: str, verifier_version: str, problem: Problem, completion: str) -> str:
    material = json.dumps(
        [verifier_name, verifier_version, problem.prompt, problem.reference, dict(problem.meta), completion],
        sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.blake2b(material.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


class VerdictCache(Protocol):
    def get(self, key: str) -> Verdict | None: ...

    def put(self, key: str, verdict: Verdict) -> None: ...

    def close(self) -> None: ...


class MemoryCache:
    """A bounded least-recently-used cache: memory stays flat however large the input."""

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self._data: OrderedDict[str, Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Verdict | None:
        with self._lock:
            verdict = self._data.get(key)
            if verdict is not None:
                self._data.move_to_end(key)
            return verdict

    def put(self, key: str, verdict: Verdict) -> None:
        if verdict.status in TRANSIENT:
            return
        with self._lock:
            self._data[key] = verdict
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            self._data.clear()


class SqliteCache:
    """An on-disk cache shared across runs; writes are batched, so it adds little to a grading pass."""

    def __init__(self, path: str | Path, commit_every: int = 500):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, verdict TEXT NOT NULL)")
            self._conn.commit()
        except (sqlite3.Error, OSError) as exc:
            raise CacheError(f"{self.path}: cannot use it as a verdict cache ({exc})") from exc
        self._lock = threading.Lock()
        self._uncommitted = 0
        self._commit_every = commit_every

    def get(self, key: str) -> Verdict | None:
        with self._lock:
            row = self._conn.execute("SELECT verdict FROM verdicts WHERE key = ?", (key,)).fetchone()
        return Verdict.from_json(row[0]) if row else None

    def put(self, key: str, verdict: Verdict) -> None:
        if verdict.status in TRANSIENT:
            return
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO verdicts (key, verdict) VALUES (?, ?)",
                               (key, verdict.to_json()))
            self._uncommitted += 1
            if self._uncommitted >= self._commit_every:
                self._conn.commit()
                self._uncommitted = 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.commit()
                self._conn.close()
                self._conn = None  # type: ignore[assignment]


class TieredCache:
    """Memory in front of sqlite: repeated items within a run never touch the disk."""

    def __init__(self, front: MemoryCache, back: SqliteCache):
        self.front, self.back = front, back

    def get(self, key: str) -> Verdict | None:
        verdict = self.front.get(key)
        if verdict is None:
            verdict = self.back.get(key)
            if verdict is not None:
                self.front.put(key, verdict)
        return verdict

    def put(self, key: str, verdict: Verdict) -> None:
        self.front.put(key, verdict)
        self.back.put(key, verdict)

    def close(self) -> None:
        self.front.close()
        self.back.close()


def open_cache(spec: Any) -> VerdictCache | None:
    """`None`/`True`: in-memory; `False`: no cache; a path: sqlite behind memory; a cache object: itself."""
    if spec is False:
        return None
    if spec is None or spec is True:
        return MemoryCache()
    if isinstance(spec, (str, Path)):
        return TieredCache(MemoryCache(), SqliteCache(spec))
    if all(hasattr(spec, attr) for attr in ("get", "put", "close")):
        return spec
    raise TypeError(f"cache must be None, False, a path or a cache object, got {type(spec).__name__}")

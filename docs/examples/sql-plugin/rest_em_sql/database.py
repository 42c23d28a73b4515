"""Running one query on a throwaway in-memory SQLite database, read-only and within step, time and row limits.

sqlite3 is the standard library's own binding: its authorizer and progress handler are the two hooks
these limits need, so no third-party library is involved.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Everything else — writes, ATTACH/DETACH, PRAGMA, schema changes, transactions — is refused by the engine.
ALLOWED = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE})
STEP = 1000  # the progress handler runs every STEP virtual-machine instructions


class QueryFailed(Exception):
    """The query was refused, failed, or ran past a limit; the message says which."""


class OutOfTime(QueryFailed):
    """The query ran past its wall-clock budget (the item's deadline, less a margin)."""


@dataclass(frozen=True)
class Limits:
    max_steps: int  # virtual-machine instructions, a deterministic bound on the work one query may do
    max_rows: int  # rows one query may return
    seconds: float | None  # wall-clock budget, or None where no deadline is enforced


@contextlib.contextmanager
def database(schema: str, rows: dict[str, list[list[Any]]]) -> Iterator[sqlite3.Connection]:
    """A fresh in-memory database holding the reference's tables, closed on leaving; sqlite3.Error if the
    schema or rows are malformed."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        connection.executescript(schema)
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                connection.executemany(f'INSERT INTO "{table}" VALUES ({marks})', values)
        yield connection
    finally:
        connection.close()


def _authorize(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in ALLOWED else sqlite3.SQLITE_DENY


def run_query(connection: sqlite3.Connection, query: str, limits: Limits) -> list[tuple]:
    """The query's rows, run read-only under `limits`; QueryFailed (OutOfTime for the clock) otherwise."""
    stop_at = None if limits.seconds is None else time.monotonic() + limits.seconds
    steps = 0
    stopped: QueryFailed | None = None

    def progress() -> bool:
        nonlocal steps, stopped
        steps += STEP
        if steps > limits.max_steps:
            stopped = QueryFailed(f"ran past {limits.max_steps} steps")
        elif stop_at is not None and time.monotonic() > stop_at:
            stopped = OutOfTime(f"ran past {limits.seconds:.1f} s")
        return stopped is not None  # true interrupts the query

    connection.set_authorizer(_authorize)
    connection.set_progress_handler(progress, STEP)
    try:
        found = connection.execute(query).fetchmany(limits.max_rows + 1)
    except sqlite3.Error as exc:
        raise stopped or QueryFailed(f"failed: {type(exc).__name__}: {exc}") from None
    finally:
        connection.set_authorizer(None)
        connection.set_progress_handler(None, STEP)
    if len(found) > limits.max_rows:
        raise QueryFailed(f"returned more than {limits.max_rows} rows")
    return found

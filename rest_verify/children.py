"""Child processes of the grading engine and the batched scorer: started, watched and killed one way.

A child is a fresh interpreter, not a multiprocessing process: it never re-imports the caller's
__main__ and is safe to start from any thread of a multi-threaded trainer. It talks to its parent over
an inherited socket, and a deadline is enforced by killing it. Each child leads its own process group,
so a kill takes whatever it started with it (a compiler, a program under test) instead of orphaning it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection

RECHECK_SECONDS = 1.0  # the longest a wait on a child goes without looking whether it still lives
_REAP_SECONDS = 5.0  # how long a killed child may take to be reaped


def environment() -> dict[str, str]:
    """The caller's environment, with its import path, so children unpickle what the caller defined."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) if p else os.getcwd() for p in sys.path)
    return env


def spawn(module: str) -> tuple[subprocess.Popen, Connection]:
    """Start `module.main()` in a fresh interpreter; argv[1] is its end of the socket returned here."""
    parent_end, child_end = socket.socketpair()
    with child_end:
        process = subprocess.Popen(
            [sys.executable, "-c", f"from {module} import main; main()", str(child_end.fileno())],
            pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL, env=environment(),
            start_new_session=True)
    return process, Connection(parent_end.detach())


def wait(process: subprocess.Popen, seconds: float) -> int | None:
    """The child's exit code, or None if it is still running after `seconds`."""
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


def wait_readable(conn: Connection, process: subprocess.Popen, seconds: float | None) -> bool:
    """Whether `conn` has a message (or has closed) within `seconds` (None: for as long as the child lives).

    Raises EOFError, as `recv` would, for a child that is gone without its end of the socket closing (a
    grandchild may hold it open): the caller is never left waiting on a child that cannot answer.
    """
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        left = RECHECK_SECONDS if deadline is None else min(RECHECK_SECONDS, deadline - time.monotonic())
        if conn.poll(max(0.0, left)):
            return True
        if process.poll() is not None:
            raise EOFError("the child process has exited")
        if deadline is not None and time.monotonic() >= deadline:
            return False


def exit_reason(process: subprocess.Popen) -> str:
    """Why a child whose connection failed is gone, in words for a verdict."""
    code = wait(process, 1.0)
    if code is None:
        return "connection lost"
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def kill(process: subprocess.Popen) -> None:
    """Kill the child's process group and reap the child, within a bounded wait."""
    if process.returncode is None:  # not yet reaped: its pid, and so its group's id, are still its own
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait(process, _REAP_SECONDS)

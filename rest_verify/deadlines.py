"""The deadline in force for one verification in this process, readable by the verifier itself.

The engine kills a worker whose item overruns the deadline: the item gets a `timeout` verdict that is
not cached, and the worker is restarted. A verifier with a budget of its own (SQLite steps, SymPy work,
a solver's time limit) reads `current_deadline()` inside `verify()` and sizes that budget to end first,
with a clean verdict of its choosing. The engine sets it in each worker before the verifier is unpickled.
"""

from __future__ import annotations

_in_force: float | None = None


def current_deadline() -> float | None:
    """Wall-clock seconds one `verify()` call may take here before the engine kills the process.

    None when no deadline is enforced: `workers=0` (in-process grading) and code running outside the
    engine (a test calling `verify()` directly). For a batch scorer it bounds one `verify_batch()` call.
    """
    return _in_force


def set_current_deadline(seconds: float | None) -> None:
    """Called by the engine in a worker process; verifiers only read it."""
    global _in_force
    _in_force = None if seconds is None else float(seconds)

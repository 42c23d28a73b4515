"""Where grading runs: this machine's worker pool (`local`) or a Ray cluster (`ray`), behind one call."""

from __future__ import annotations

from typing import Any

from rest_verify.engine import Grader

BACKENDS = ("local", "ray")


def open_grader(verifier: Any, *, backend: str = "local", address: str | None = None, workers: int | None = 2,
                **options: Any) -> Any:
    """A grader with `Grader`'s interface on `backend`.

    `workers` is the pool size: of this machine for `local`, of each node for `ray` (None: the node's
    CPU count). `address` names the Ray cluster (None starts a local one). Other options (timeout,
    cache, memory_mb, progress) mean the same on both.
    """
    if backend == "local":
        if address is not None:
            raise ValueError("--address applies to the ray backend only")
        return Grader(verifier, workers=2 if workers is None else workers, **options)
    if backend == "ray":
        from rest_verify.ray_grader import RayGrader

        return RayGrader(verifier, address=address, workers_per_node=workers, **options)
    raise ValueError(f"unknown grading backend {backend!r}; choose one of {', '.join(BACKENDS)}")

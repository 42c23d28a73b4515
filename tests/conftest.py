"""Test-suite wiring: Docker tests run whenever Docker works, and under CI they must run, never skip."""

from __future__ import annotations

import functools
import os

import pytest


@functools.lru_cache(maxsize=1)
def docker_problem() -> str | None:
    """Why Docker tests cannot run here, or None when they can."""
    try:
        import docker

        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:  # any failure to reach the daemon means "no docker here"
        return f"Docker engine not reachable ({type(exc).__name__}: {exc})"
    from sandboxes.image import DEFAULT_IMAGE

    try:
        client.images.get(DEFAULT_IMAGE)
    except Exception:
        return f"sandbox image {DEFAULT_IMAGE} missing (run `rest-em sandbox build`)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    docker_items = [item for item in items if item.get_closest_marker("docker")]
    if not docker_items:
        return
    problem = docker_problem()
    if problem is None:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the Docker tests, but: {problem}")
    skip = pytest.mark.skip(reason=problem)
    for item in docker_items:
        item.add_marker(skip)

"""Test-suite wiring: Docker tests and isolated-environment tests run whenever what they need is there,
and under CI they must run, never skip."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

# Built by scripts/envs/NAME.sh; see scripts/envs/README.md.
ENVS_ROOT = Path(__file__).resolve().parent.parent / ".envs"


@functools.lru_cache(maxsize=1)
def docker_problem() -> str | None:
    """Why Docker tests cannot run here, or None when they can."""
    try:
        import docker

        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:  # any failure to reach the daemon means "no docker here"
        return f"Docker engine not reachable ({type(exc).__name__}: {exc})"
    from sandboxes.image import default_image

    try:
        client.images.get(default_image())
    except Exception:
        return f"sandbox image {default_image()} missing (run `rest-em sandbox build`)"
    return None


@functools.lru_cache(maxsize=None)
def runtime_problem(runtime: str) -> str | None:
    """Why Docker cannot start containers under this OCI runtime, or None when it can."""
    if runtime == "runc":
        return None
    import docker

    known = docker.from_env(timeout=10).info().get("Runtimes") or {}
    if runtime in known:
        return None
    return f"dockerd has no runtime {runtime!r} (run `sudo bash scripts/runsc-up.sh`)"


@pytest.fixture(scope="module", params=["runc", "runsc"])
def docker_runtime(request: pytest.FixtureRequest) -> str:
    """Each OCI runtime the Docker sandbox supports, in turn: a test taking it runs under both (gVisor
    only where registered; under CI both must run)."""
    if docker_problem() is None and (problem := runtime_problem(request.param)):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the tests under {request.param}, but: {problem}")
        pytest.skip(problem)
    return request.param


def isolated_env_problem(name: str) -> str | None:
    """Why the isolated environment `name` cannot be used, or None when it is ready."""
    if (ENVS_ROOT / name / ".ready").exists():
        return None
    return f"isolated environment {name!r} not built (run `bash scripts/envs/{name}.sh`)"


@pytest.fixture
def isolated_env(request: pytest.FixtureRequest) -> Path:
    """The folder of the environment named by the test's `isolated_env` marker (its python: bin/python)."""
    marker = request.node.get_closest_marker("isolated_env")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{request.node.nodeid} uses isolated_env without @pytest.mark.isolated_env(NAME)")
    return ENVS_ROOT / marker.args[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _skip_unless_ready(items, lambda item: item.get_closest_marker("isolated_env"),
                       lambda marker: isolated_env_problem(marker.args[0]))
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


def _skip_unless_ready(items: list[pytest.Item], marker_of, problem_of) -> None:
    for item in items:
        marker = marker_of(item)
        if marker is None:
            continue
        problem = problem_of(marker)
        if problem is None:
            continue
        if os.environ.get("CI"):
            raise pytest.UsageError(f"CI must run {item.nodeid}, but: {problem}")
        item.add_marker(pytest.mark.skip(reason=problem))

"""The Docker backend's pool bookkeeping, with a stand-in for the daemon: runs without Docker."""

from __future__ import annotations

import threading
import time

import pytest

import sandboxes.docker as docker_sandbox
from sandboxes.base import ExecRequest, Limits, SandboxError
from sandboxes.docker import ContainerSpec, DockerSandbox, _Warm

OTHER_LIMITS = Limits(memory_mb=256)


class FakeDocker:
    """Answers the calls a pool makes besides starting containers: an image, runc, nothing stale."""

    def inspect_image(self, image: str) -> dict:
        return {}

    def info(self) -> dict:
        return {"Runtimes": {"runc": {}}}

    def containers(self, **filters) -> list:
        return []

    def remove_container(self, container_id: str, force: bool = False) -> None:
        pass


class FakeStarts:
    """Stands in for `_Pools._start_container`: fails with `error` while `fails(spec, attempt)` says so
    (attempt counts from 1 per spec), else hands out a container that is never run."""

    def __init__(self, fails, error: BaseException = SandboxError("the daemon hiccuped")):
        self.fails, self.error = fails, error
        self.calls = 0
        self._attempts: dict[ContainerSpec, int] = {}
        self._lock = threading.Lock()

    def __call__(self, spec: ContainerSpec) -> _Warm:
        with self._lock:
            self.calls += 1
            attempt = self._attempts[spec] = self._attempts.get(spec, 0) + 1
        if self.fails(spec, attempt):
            raise self.error
        return _Warm(f"fake-{spec.memory_mb}-{attempt}", None, time.monotonic(), spec)


@pytest.fixture
def fake_daemon(monkeypatch):
    monkeypatch.setattr(docker_sandbox, "docker_client", lambda timeout=60.0: FakeDocker())

    def use(starts: FakeStarts) -> None:
        monkeypatch.setattr(docker_sandbox._Pools, "_start_container", lambda pools, client, spec: starts(spec))
    return use


def idle_count(box: DockerSandbox, spec: ContainerSpec, wanted: int, seconds: float = 5.0) -> bool:
    """Whether the pool of `spec` holds `wanted` warm containers within `seconds`."""
    pools = box._pools
    with pools._cond:
        return pools._cond.wait_for(lambda: len(pools._idle.get(spec, ())) == wanted, timeout=seconds)


@pytest.mark.parametrize("error", [SandboxError("the daemon hiccuped"), KeyboardInterrupt()])
def test_a_start_failing_inside_a_run_neither_leaks_a_loan_nor_shrinks_the_pool(fake_daemon, error):
    spec = ContainerSpec.of(OTHER_LIMITS)
    fake_daemon(FakeStarts(lambda asked, attempt: asked == spec and attempt == 1, error))
    box = DockerSandbox(pool_size=1, reuse=2)
    try:
        with pytest.raises(type(error)):
            box.run(ExecRequest({}, ["true"], limits=OTHER_LIMITS))
        assert box._pools._lent[spec] == 0
        assert idle_count(box, spec, 1), "the pool of the failed spec was never refilled"
    finally:
        box.close()


def test_a_failing_daemon_is_retried_with_backoff_not_hammered(fake_daemon):
    starts = FakeStarts(lambda spec, attempt: True)
    fake_daemon(starts)
    box = DockerSandbox(pool_size=2)  # two refill threads, whose failures must not wake each other up
    try:
        time.sleep(1.0)  # a measuring window, not a synchronisation: count the tries made within it
        calls = starts.calls
    finally:
        box.close()
    assert 2 <= calls <= 6, f"{calls} starts in a second"


def test_a_host_config_the_daemon_refuses_is_a_sandbox_error_and_the_refill_threads_live(monkeypatch):
    import docker.errors

    class OldDaemon(FakeDocker):
        def create_host_config(self, **settings):
            raise docker.errors.InvalidVersion("runtime is not supported by this API version")

    monkeypatch.setattr(docker_sandbox, "docker_client", lambda timeout=60.0: OldDaemon())
    box = DockerSandbox(pool_size=1, api_timeout=1.0)
    try:
        with pytest.raises(SandboxError, match="runtime is not supported"):
            box.run(ExecRequest({}, ["true"]))
        assert all(thread.is_alive() for thread in box._pools._threads)
    finally:
        box.close()


def test_the_pool_refills_once_the_daemon_recovers(fake_daemon):
    spec = ContainerSpec.of(Limits())
    fake_daemon(FakeStarts(lambda asked, attempt: attempt <= 2))
    box = DockerSandbox(pool_size=1)
    try:
        assert idle_count(box, spec, 1, seconds=10.0)
    finally:
        box.close()

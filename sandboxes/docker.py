"""Run untrusted programs in disposable, hardened Docker containers, kept warm in a pool.

By default every submission gets a container nobody used before: no network, read-only root, small
tmpfs work dirs, all capabilities dropped, no-new-privileges, our seccomp profile, user 65534,
pids/memory/CPU limits (all in `hardened_host_config`). After the run the container is force-removed
(in the background) whatever happened inside it.

A pooled container is created, attached and started ahead of time by a background thread. Its main
process (pid 1) is a small Python bootstrap (`container_init.py`) that waits on standard input for a
length-prefixed JSON request (files, argv, rlimits, standard input), writes the files into the tmpfs
and starts the program with the rlimits. So a request pays neither a container start nor a
`docker exec`: it writes to a socket that is already attached, and the container ends when the program
does (pid 1 kills whatever the program left behind). Files travel without a bind mount, and the
bootstrap's exit trailer gives the exit status and whether the OOM killer fired, without waiting for
Docker to record the stop.

Opt-in reuse (`reuse=N`): one container serves up to N submissions in turn. Between two, pid 1 kills
every other process, empties the work dirs, message queues and System V IPC, then checks all of that
afresh; only a container it verified clean serves again, any doubt ends it and a fresh one is used.
Creating and removing a container costs the Docker daemon far more CPU than a program run, so on a
small machine this is where the throughput is; the price is a boundary that is wiped rather than new.
"""

from __future__ import annotations

import inspect
import json
import os
import secrets
import selectors
import signal
import socket
import threading
import time
import weakref
from collections import Counter, OrderedDict, deque
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from rest_verify.sandbox_options import SandboxOptionError
from sandboxes.base import ExecRequest, ExecResult, Limits, SandboxError, SandboxUnavailable
from sandboxes.image import default_image, docker_client
from sandboxes.output import CappedBuffer
from sandboxes.request import checked_files, cpu_seconds

if TYPE_CHECKING:  # the SDK is imported only when a sandbox is built, keeping registration cheap
    from docker import APIClient

LABEL = "rest-em.sandbox"
OWNER_PID_LABEL = "rest-em.owner-pid"
OWNER_HOST_LABEL = "rest-em.owner-host"
WORKDIR = "/work"
SANDBOX_USER = "65534:65534"
_CHUNK = 65536
_STDOUT, _STDERR = 1, 2
_EXIT_GRACE = 1.0  # past the deadline, how long a container whose output closed may take to stop
_OOM_FLAG_GRACE = 0.5  # how long a SIGKILLed container's OOM flag may lag behind its exit
_TRAILER = b"\0RESTEM-EXIT "
_TRAILER_FIELDS = 3  # exit status, OOM kills during the program, 1 if the container serves again
_RETRY_FIRST, _RETRY_MAX = 0.5, 30.0  # a refill thread's wait after a failed start, doubling up to the max

# pid 1 of every container: serves the host's requests (see its docstring for the protocol).
BOOTSTRAP = Path(__file__).with_name("container_init.py").read_text(encoding="utf-8")

# Under gVisor the container's host cgroup holds gVisor's own kernel (its threads), not the program's
# processes, which it schedules itself: the pids limit there only bounds that kernel's host threads, and
# the program's process count is bounded inside gVisor by RLIMIT_NPROC (each container is its own gVisor
# kernel, so the count is the container's alone; under runc it would be per host user, hence the cgroup).
GVISOR = "runsc"
GVISOR_HOST_THREADS = 1024

# Denies ptrace, process_vm_*, bpf, namespaces, mounts, keyrings and other calls no test program needs.
SECCOMP_PROFILE = Path(__file__).with_name("seccomp.json")


@dataclass(frozen=True)
class ContainerSpec:
    """The limits fixed when a container starts; requests with equal specs share a pool."""

    memory_mb: int
    max_processes: int
    workdir_mb: int

    @classmethod
    def of(cls, limits: Limits) -> "ContainerSpec":
        return cls(limits.memory_mb, limits.max_processes, limits.workdir_mb)


@dataclass
class _Warm:
    """A started container whose bootstrap waits on the attached socket."""

    container_id: str
    attached: Any  # the hijacked attach connection (docker SDK socket wrapper)
    started: float
    spec: ContainerSpec

    def close_socket(self) -> None:
        for end in (getattr(self.attached, "_sock", None), self.attached):
            try:
                if end is not None:
                    end.close()
            except OSError:
                pass


@dataclass
class _Loan:
    """A container lent to one run, and whether it verified itself clean to serve the next."""

    warm: _Warm
    serves_again: bool = False


class DockerSandbox:
    """Hardened, pooled Docker backend: the security boundary for model-written code.

    Options: `image` (default `rest-em-sandbox:<recipe hash>`, built by `rest-em sandbox build`); `pool_size`
    warm containers kept per distinct container spec (memory, processes, work dir size); `limits`, the
    request limits to pre-warm a pool for; `cpus`, CPU share of each container; `lifetime`, seconds an
    unused container waits before it exits by itself, so containers orphaned by a killed owner do not
    linger (the pool replaces its own before then); `reuse`, how many submissions one container may
    serve, wiped and verified clean between them (default 1: a fresh container for each; more needs
    `runtime=runc`, whose /proc shows the System V IPC the wipe must check); `max_pools`, how many
    distinct specs keep a warm pool; `python`, the image's interpreter that runs the bootstrap;
    `api_timeout`, seconds for one Docker API call; `runtime`, the OCI runtime dockerd starts containers
    with: `runc` (default, the host kernel) or `runsc` (gVisor, a user-space kernel in between;
    `scripts/runsc-up.sh` installs and registers it). See `sandboxes/README.md` for what differs under gVisor.

    Exit status: the program's, or 128 + N when signal N killed it; None when we killed it at its
    deadline (`timed_out`). Running out of CPU time (SIGXCPU) also reports `timed_out`.
    """

    name = "docker"

    def __init__(self, image: str | None = None, pool_size: int = 2, limits: Limits | None = None,
                 cpus: float = 1.0, lifetime: float = 3600.0, max_pools: int = 4,
                 python: str = "python3", api_timeout: float = 60.0, runtime: str = "runc", reuse: int = 1):
        if pool_size < 0 or max_pools < 1 or cpus <= 0 or lifetime <= 60:
            raise ValueError("need pool_size >= 0, max_pools >= 1, cpus > 0 and lifetime > 60 seconds")
        check_reuse(reuse, runtime)
        self.options = dict(image=image or default_image(), pool_size=pool_size, limits=limits, cpus=cpus, lifetime=lifetime,
                            max_pools=max_pools, python=python, api_timeout=api_timeout, runtime=runtime,
                            reuse=reuse)
        self._start()

    @classmethod
    def check_options(cls, image: str | None = None, runtime: str = "runc", reuse: int = 1,
                      **options: Any) -> None:
        """Refuse options that could never start a container (image missing, runtime not registered)
        without starting one; raises SandboxError/SandboxUnavailable naming the fix."""
        import docker.errors

        unknown = set(options) - set(inspect.signature(cls.__init__).parameters)
        if unknown:
            raise SandboxOptionError(f"unknown docker sandbox option(s) {', '.join(sorted(unknown))}")
        check_reuse(reuse, runtime)
        image = image or default_image()
        client = docker_client(timeout=30)
        try:
            client.inspect_image(image)
        except docker.errors.ImageNotFound as exc:
            raise SandboxError(f"the sandbox image {image} is missing: build it with `rest-em sandbox build`") from exc
        check_runtime(client, runtime)

    def __reduce__(self):
        """Pickles as its options: an unpickled copy (a worker process) starts its own pool."""
        return (_rebuild, (type(self), self.options))

    def _start(self) -> None:
        import multiprocessing.util

        self._owner = os.getpid()
        self._pools = _Pools(**self.options)
        self._finalizer = weakref.finalize(self, self._pools.shutdown)  # at exit, or when collected
        # multiprocessing children leave through os._exit, skipping atexit; this hook still runs there.
        multiprocessing.util.Finalize(self, self._finalizer, exitpriority=10)

    def run(self, request: ExecRequest) -> ExecResult:
        files = checked_files(request)
        if os.getpid() != self._owner:  # forked: the parent's containers and threads are not ours
            self._finalizer.detach()
            self._start()
        with self._pools.lend(ContainerSpec.of(request.limits)) as loan:
            result, loan.serves_again = _execute(self._pools.client, loan.warm, request, files,
                                                 self.options["runtime"])
        return result

    def close(self) -> None:
        """Kill and remove every container this sandbox started. Idempotent; also runs at exit."""
        self._finalizer()


def _rebuild(cls: type, options: dict[str, Any]) -> "DockerSandbox":
    return cls(**options)


def check_reuse(reuse: Any, runtime: str) -> None:
    """Refuse a `reuse` that is not a whole number of submissions, or reuse where it cannot be verified."""
    if isinstance(reuse, bool) or not isinstance(reuse, int) or reuse < 1:
        raise SandboxOptionError(f"reuse must be a whole number of submissions per container (1 or more), "
                                 f"not {reuse!r}")
    if reuse > 1 and runtime != "runc":
        raise SandboxOptionError(f"reuse={reuse} needs runtime=runc: under {runtime} the container cannot "
                                 "verify that no System V IPC object outlived a submission")


class _Pools:
    """Warm containers per spec, refilled by `pool_size` background threads (starts overlap: most of a
    start is waiting on the daemon) while another thread removes used ones, so neither job waits
    behind the other. With reuse, a container verified clean goes back to the front of its pool."""

    def __init__(self, image: str, pool_size: int, limits: Limits | None, cpus: float, lifetime: float,
                 max_pools: int, python: str, api_timeout: float, runtime: str, reuse: int):
        self.image, self.pool_size, self.cpus, self.python, self.runtime = image, pool_size, cpus, python, runtime
        self.lifetime, self.max_pools, self.api_timeout, self.reuse = lifetime, max_pools, api_timeout, reuse
        self._owner = os.getpid()
        self.client = docker_client(timeout=api_timeout)
        self._remover_client = docker_client(timeout=api_timeout)
        self._check_image()
        check_runtime(self.client, runtime)
        reap_stale_containers(self.client)
        self._labels = {LABEL: "1", OWNER_PID_LABEL: str(os.getpid()), OWNER_HOST_LABEL: socket.gethostname()}
        self._cond = threading.Condition()
        self._idle: OrderedDict[ContainerSpec, deque[_Warm]] = OrderedDict()
        self._doomed: list[str] = []
        self._live: set[str] = set()  # every container created and not yet removed
        self._starting: Counter[ContainerSpec] = Counter()  # containers being started in the background
        self._lent: Counter[ContainerSpec] = Counter()  # with reuse: taken containers that may come back
        self._closed = False
        self._idle[ContainerSpec.of(limits or Limits())] = deque()
        # One client per thread: a client (a requests session) is not meant to be shared across threads.
        self._threads = [threading.Thread(target=self._refill, args=(docker_client(timeout=api_timeout),),
                                          name="rest-em-docker-pool", daemon=True)
                         for _ in range(max(pool_size, 1))]
        self._threads.append(threading.Thread(target=self._remove_used, name="rest-em-docker-remove", daemon=True))
        for thread in self._threads:
            thread.start()

    def _check_image(self) -> None:
        import docker.errors

        try:
            self.client.inspect_image(self.image)
        except docker.errors.ImageNotFound as exc:
            raise SandboxError(f"the sandbox image {self.image} is missing: build it with "
                               "`rest-em sandbox build` (see `rest-em sandbox doctor`)") from exc

    @contextmanager
    def lend(self, spec: ContainerSpec) -> Iterator[_Loan]:
        """A container for one run, given back when the run ends, however it ends."""
        with self._counted_as_lent(spec):
            loan = _Loan(self._take(spec))
            try:
                yield loan
            finally:
                self._give_back(loan.warm, loan.serves_again)

    @contextmanager
    def _counted_as_lent(self, spec: ContainerSpec) -> Iterator[None]:
        """With reuse a lent container may come back, so the refill threads keep its place free, for
        exactly as long as this scope lasts: a start that fails, or an interrupt, cannot leave the
        count up and so the pool short for good."""
        if self.reuse == 1:
            yield
            return
        with self._cond:
            self._lent[spec] += 1
        try:
            yield
        finally:
            with self._cond:
                self._lent[spec] -= 1
                self._cond.notify_all()

    def _take(self, spec: ContainerSpec) -> _Warm:
        """A started container nobody has used, from the pool when one is warm, else started now.

        When the pool is empty but a background thread is already starting a container of this spec,
        waiting for that one beats starting another beside it: it began earlier, and more starts at
        once compete for the same daemon.
        """
        with self._cond:
            if self._closed:
                raise SandboxError("this DockerSandbox is closed")
            pool = self._idle.setdefault(spec, deque())
            self._idle.move_to_end(spec)
            while len(self._idle) > self.max_pools:
                _, evicted = self._idle.popitem(last=False)
                self._doom_all(evicted)
            fresh = None
            deadline = time.monotonic() + self.api_timeout
            while not pool and self._starting[spec] and not self._closed and time.monotonic() < deadline:
                self._cond.wait(timeout=deadline - time.monotonic())
            while pool and fresh is None:
                warm = pool.popleft()
                if time.monotonic() - warm.started < self.lifetime / 2:
                    fresh = warm
                else:
                    self._doom_all([warm])
            self._cond.notify_all()
        return fresh or self._start_container(self.client, spec)

    def _give_back(self, warm: _Warm, serves_again: bool) -> None:
        """After a run: a container that verified itself clean (reuse mode) waits at the front of its
        pool, to be taken before the spares; any other is queued for removal."""
        with self._cond:
            pool = self._idle.get(warm.spec)
            if serves_again and pool is not None and not self._closed:
                pool.appendleft(warm)
            else:
                self._doom_all([warm])
            self._cond.notify_all()

    def discard(self, container_id: str) -> None:
        """Queue a container for removal by the background thread."""
        with self._cond:
            self._doomed.append(container_id)
            self._cond.notify_all()

    def _doom_all(self, warms: Iterable[_Warm]) -> None:
        for warm in warms:
            warm.close_socket()
            self._doomed.append(warm.container_id)
        self._cond.notify_all()

    def _start_container(self, client: APIClient, spec: ContainerSpec) -> _Warm:
        try:  # the host config too: an API version that refuses a setting must not kill a refill thread
            host_config = client.create_host_config(**hardened_host_config(spec, self.cpus, self.runtime))
            created = client.create_container(
                self.image,
                command=[self.python, "-I", "-S", "-c", BOOTSTRAP, str(int(self.lifetime)), str(self.reuse)],
                user=SANDBOX_USER, working_dir=WORKDIR, stdin_open=True, labels=self._labels,
                environment={"HOME": WORKDIR, "TMPDIR": "/tmp"}, host_config=host_config,
                network_disabled=True)
        except Exception as exc:
            raise SandboxError(f"could not create a sandbox container from {self.image}: {exc}") from exc
        container_id = created["Id"]
        with self._cond:
            self._live.add(container_id)
        try:
            attached = client.attach_socket(container_id,
                                            params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            client.start(container_id)
        except Exception as exc:
            self.discard(container_id)
            raise SandboxError(f"could not start a sandbox container from {self.image}: {exc}") from exc
        return _Warm(container_id, attached, time.monotonic(), spec)

    def _refill(self, client: APIClient) -> None:
        """Background loop: top every pool up to `pool_size`, retiring containers idle for too long."""
        delay = _RETRY_FIRST
        while True:
            with self._cond:
                while not self._closed and self._missing() is None:
                    self._cond.wait(timeout=self.lifetime / 4)
                    self._expire_idle()
                if self._closed:
                    return
                missing = self._missing()
                self._starting[missing] += 1
            try:
                warm = self._start_container(client, missing)
            except SandboxError:
                self._back_off(missing, delay)
                delay = min(delay * 2, _RETRY_MAX)
                continue
            delay = _RETRY_FIRST
            with self._cond:
                self._starting[missing] -= 1
                pool = self._idle.get(missing)
                if pool is None or self._closed:
                    self._doom_all([warm])
                else:
                    pool.append(warm)
                self._cond.notify_all()

    def _back_off(self, spec: ContainerSpec, delay: float) -> None:
        """After a failed start: free its place, then wait `delay` seconds before the next try. The
        wait ignores wake-ups (another thread's failure sends one), else the refill threads of a
        daemon that refuses at once would wake each other into a loop hammering it."""
        retry_at = time.monotonic() + delay
        with self._cond:
            self._starting[spec] -= 1
            self._cond.notify_all()
            while not self._closed and (remaining := retry_at - time.monotonic()) > 0:
                self._cond.wait(timeout=remaining)

    def _remove_used(self) -> None:
        """Background loop: remove every doomed container (used, expired or evicted)."""
        while True:
            with self._cond:
                while not self._closed and not self._doomed:
                    self._cond.wait()
                if self._closed:
                    return
                doomed, self._doomed = self._doomed, []
            for container_id in doomed:
                self._remove(self._remover_client, container_id)

    def _missing(self) -> ContainerSpec | None:
        for spec, pool in reversed(self._idle.items()):  # most recently used spec first
            if len(pool) + self._starting[spec] + self._lent[spec] < self.pool_size:
                return spec
        return None

    def _expire_idle(self) -> None:
        """Doom (and so notify about) only what expired: a notification for nothing would wake the
        other refill threads, whose own check would wake this one, for ever."""
        now = time.monotonic()
        for pool in self._idle.values():
            for warm in [warm for warm in pool if now - warm.started >= self.lifetime / 2]:
                pool.remove(warm)
                self._doom_all([warm])

    def _remove(self, client: APIClient, container_id: str) -> None:
        import docker.errors

        try:
            client.remove_container(container_id, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: a removal is already under way
                return  # keep it in _live: shutdown tries once more
        except Exception:
            return  # the daemon is unreachable right now: same
        with self._cond:
            self._live.discard(container_id)

    def shutdown(self) -> None:
        if os.getpid() != self._owner:  # a forked child exiting: these containers are its parent's
            return
        with self._cond:
            self._closed = True
            for pool in self._idle.values():
                self._doom_all(pool)
            self._idle.clear()
            self._doomed.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=30.0)
        with self._cond:
            remaining = list(self._live)
        for container_id in remaining:
            self._remove(self.client, container_id)


def hardened_host_config(spec: ContainerSpec, cpus: float, runtime: str = "runc") -> dict[str, Any]:
    """Every isolation setting of a sandbox container, as `APIClient.create_host_config` keywords.

    The one place a reviewer reads to know what a submission can reach. No Docker init: the bootstrap
    is pid 1 (see BOOTSTRAP), and the pids limit counts it. Under `runsc` the same settings hold, the
    memory and pids limits applying to the whole gVisor sandbox (its kernel included).
    """
    from docker.types import Ulimit

    workdir_bytes = spec.workdir_mb << 20
    tmpfs_options = f"nosuid,nodev,size={spec.workdir_mb}m,uid=65534,gid=65534,mode=700"
    return dict(
        network_mode="none",
        read_only=True,
        tmpfs={WORKDIR: f"rw,exec,{tmpfs_options}", "/tmp": f"rw,noexec,{tmpfs_options}"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges", f"seccomp={seccomp_profile(runtime)}"],
        pids_limit=GVISOR_HOST_THREADS if runtime == GVISOR else spec.max_processes + 1,
        mem_limit=f"{spec.memory_mb}m",
        memswap_limit=f"{spec.memory_mb}m",
        nano_cpus=int(cpus * 1e9),
        ulimits=[Ulimit(name="nofile", soft=256, hard=256),
                 Ulimit(name="fsize", soft=workdir_bytes, hard=workdir_bytes),
                 Ulimit(name="core", soft=0, hard=0)],
        ipc_mode="none",
        log_config={"type": "none"},  # output travels through the attached socket; the daemon keeps no copy
        runtime=runtime,
    )


def check_runtime(client: APIClient, runtime: str) -> None:
    """Refuse, naming the fix, an OCI runtime dockerd does not know (before any container starts)."""
    try:
        known = set(client.info().get("Runtimes") or {})
    except Exception as exc:
        raise SandboxError(f"cannot ask the Docker daemon for its runtimes: {exc}") from exc
    if runtime not in known:
        raise SandboxUnavailable(runtime_remedy(runtime, known))


def runtime_remedy(runtime: str, known: Iterable[str]) -> str:
    fix = ("install and register gVisor with `sudo REST_EM_RUNTIMES=runsc bash scripts/docker-up.sh`"
           if runtime == "runsc" else f"register {runtime} under `runtimes` in /etc/docker/daemon.json "
           "and reload dockerd (SIGHUP)")
    return f"the Docker daemon has no runtime {runtime!r} (it has {', '.join(sorted(known))}): {fix}"


@lru_cache(maxsize=2)
def seccomp_profile(runtime: str = "runc") -> str:
    """The shipped seccomp profile as the JSON text `security_opt` takes (re-encoded on one line).

    Under gVisor the `clone3` rule is left out: gVisor's OCI seccomp answers every refused call with
    EPERM whatever `errnoRet` says, and glibc's pthread_create falls back to `clone` only on ENOSYS, so
    with the rule no program could start a thread (no JVM, Go toolchain, Node or Python thread). gVisor
    itself answers `clone3` with ENOSYS, so glibc still falls back to `clone`, whose flags the profile reads.
    """
    profile = json.loads(SECCOMP_PROFILE.read_text())
    if runtime == GVISOR:
        profile["syscalls"] = [rule for rule in profile["syscalls"] if rule["names"] != ["clone3"]]
    return json.dumps(profile, separators=(",", ":"))


def reap_stale_containers(client: APIClient) -> list[str]:
    """Remove our containers whose owner process (on this host) is gone; returns their ids."""
    host = socket.gethostname()
    reaped = []
    for container in client.containers(all=True, filters={"label": f"{LABEL}=1"}):
        labels = container.get("Labels") or {}
        if labels.get(OWNER_HOST_LABEL) != host or _alive(labels.get(OWNER_PID_LABEL, "")):
            continue
        try:
            client.remove_container(container["Id"], force=True)
        except Exception:
            continue  # already gone, or another reaper got there first
        reaped.append(container["Id"])
    return reaped


def _alive(pid_text: str) -> bool:
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _execute(client: APIClient, warm: _Warm, request: ExecRequest, files: list[tuple[str, bytes, int]],
             runtime: str) -> tuple[ExecResult, bool]:
    """Run one request in a warm container: its result, and whether the container serves again."""
    limits = request.limits
    token = secrets.token_hex(16)
    # CPU: SIGXCPU at the limit (reported as a timeout), SIGKILL a second later if it is ignored.
    rlimits = [("RLIMIT_CPU", cpu_seconds(request), cpu_seconds(request) + 1),
               ("RLIMIT_FSIZE", limits.max_file_bytes, limits.max_file_bytes), ("RLIMIT_CORE", 0, 0)]
    if runtime == GVISOR:  # pid 1 counts, as it does in the pids cgroup under runc
        rlimits.append(("RLIMIT_NPROC", limits.max_processes + 1, limits.max_processes + 1))
    bundle = json.dumps({
        "files": [(name, data.decode("latin-1"), mode) for name, data, mode in files],
        "argv": list(request.argv),
        "rlimits": rlimits,
        "token": token,
        "stdin_bytes": len(request.stdin),
    }).encode()
    payload = len(bundle).to_bytes(8, "big") + bundle + bytes(request.stdin)
    stdout, stderr = CappedBuffer(limits.max_output_bytes), CappedBuffer(limits.max_output_bytes)
    streams = {_STDOUT: _ExitTrailer(stdout, token), _STDERR: _ExitTrailer(stderr, token)}
    start = time.monotonic()
    deadline = start + limits.wall_seconds
    try:
        raw = getattr(warm.attached, "_sock", warm.attached)
        finished = _pump(raw, payload, streams, deadline)
    except OSError as exc:
        raise SandboxError(
            f"lost the connection to sandbox container {warm.container_id[:12]}: {exc}") from exc
    trailer = streams[_STDOUT].exit
    serves_again = False
    if finished and trailer is not None and trailer == streams[_STDERR].exit and trailer[1] >= 0:
        exit_code, oom_kills, serves_again = trailer[0], trailer[1], trailer[2] == 1
        state = {"ExitCode": exit_code, "OOMKilled": oom_kills > 0}
    else:  # no trailer (the bootstrap failed, or could not read the OOM count): ask Docker
        for stream in streams.values():
            stream.close()
        state = _wait_for_exit(client, warm.container_id, deadline) if finished else None
    elapsed = time.monotonic() - start
    truncated = stdout.truncated or stderr.truncated
    if state is None:
        _kill(client, warm.container_id)
        return ExecResult(stdout.getvalue(), stderr.getvalue(), None, timed_out=True, truncated=truncated,
                          elapsed=elapsed), False
    exit_code = state["ExitCode"]
    return ExecResult(stdout.getvalue(), stderr.getvalue(), exit_code,
                      timed_out=exit_code == 128 + signal.SIGXCPU,
                      oom_killed=bool(state.get("OOMKilled")), truncated=truncated, elapsed=elapsed), serves_again


def _pump(raw: socket.socket, payload: bytes, streams: dict[int, "_ExitTrailer"], deadline: float) -> bool:
    """Write the payload and demultiplex the container's output until both streams carried the exit
    trailer, or EOF; False if the deadline hit.

    pid 1 writes the trailers only after it killed every other process, so a daemon left behind
    cannot hold the stream open or write past them.
    """
    raw.setblocking(False)
    selector = selectors.DefaultSelector()
    pending = memoryview(payload)
    selector.register(raw, selectors.EVENT_READ | selectors.EVENT_WRITE)
    demux = _Demultiplexer(streams)
    try:
        while True:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                return False
            for _, mask in selector.select(timeout):
                if mask & selectors.EVENT_WRITE and pending:
                    try:
                        pending = pending[raw.send(pending[:_CHUNK]):]
                    except (BrokenPipeError, ConnectionResetError):
                        pending = pending[:0]  # the container is gone: what it wrote is still to read
                    if not pending:
                        selector.modify(raw, selectors.EVENT_READ)
                if not mask & selectors.EVENT_READ:
                    continue
                try:
                    data = raw.recv(_CHUNK)
                except (BlockingIOError, InterruptedError):
                    continue
                except ConnectionResetError:
                    data = b""
                if not data:
                    return True
                demux.feed(data)
                if all(stream.exit is not None for stream in streams.values()):
                    return True
    finally:
        selector.close()


class _ExitTrailer:
    """One output stream on its way to its buffer. Its last bytes are held back until it is known
    whether they are program output or the bootstrap's exit trailer (status and OOM kills)."""

    def __init__(self, sink: CappedBuffer, token: str):
        self.sink = sink
        self.marker = _TRAILER + token.encode() + b" "
        self.hold = len(self.marker) + 40  # room for the numbers
        self.held = b""
        self.exit: tuple[int, ...] | None = None

    def add(self, data: bytes) -> None:
        held = self.held + data
        if len(held) > self.hold:
            self.sink.add(held[:-self.hold])
            held = held[-self.hold:]
        self.held = held
        at = held.rfind(self.marker)
        if at < 0 or not held.endswith(b"\n"):
            return
        fields = held[at + len(self.marker):-1].split(b" ")
        if len(fields) == _TRAILER_FIELDS and all(field.lstrip(b"-").isdigit() for field in fields):
            self.sink.add(held[:at])
            self.held = b""
            self.exit = tuple(int(field) for field in fields)

    def close(self) -> None:
        """No trailer is coming: what was held back is program output."""
        self.sink.add(self.held)
        self.held = b""


class _Demultiplexer:
    """Splits Docker's multiplexed stream (frames of an 8-byte header — stream, 0, 0, 0, big-endian
    length — then the payload) into its sinks as bytes arrive, so a flood costs constant memory."""

    def __init__(self, sinks: dict[int, _ExitTrailer]):
        self.sinks = sinks
        self.header = b""
        self.stream = 0
        self.remaining = 0

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.remaining == 0:
                need = 8 - len(self.header)
                self.header += bytes(view[:need])
                view = view[need:]
                if len(self.header) == 8:
                    self.stream, self.remaining = self.header[0], int.from_bytes(self.header[4:], "big")
                    self.header = b""
                continue
            part = view[:self.remaining]
            view = view[self.remaining:]
            self.remaining -= len(part)
            sink = self.sinks.get(self.stream)
            if sink is not None:
                sink.add(bytes(part))


def _wait_for_exit(client: APIClient, container_id: str, deadline: float) -> dict[str, Any] | None:
    """The container's final State (ExitCode, OOMKilled) once it stopped; None if it would not stop."""
    import requests.exceptions

    try:
        state = client.inspect_container(container_id)["State"]
        if state.get("Running"):  # the output closed a moment before Docker recorded the exit
            client.wait(container_id, timeout=max(deadline - time.monotonic(), 0) + _EXIT_GRACE)
            state = client.inspect_container(container_id)["State"]
        # Docker records an OOM kill from its own event, which can arrive after the exit it caused
        # (seen under gVisor, whose whole kernel the host kills): give a SIGKILLed container a moment.
        settled = time.monotonic() + _OOM_FLAG_GRACE
        while (not state.get("Running") and state.get("ExitCode") == 128 + signal.SIGKILL
               and not state.get("OOMKilled") and time.monotonic() < settled):
            time.sleep(0.05)
            state = client.inspect_container(container_id)["State"]
    except requests.exceptions.RequestException:
        return None
    except Exception as exc:
        raise SandboxError(f"lost track of sandbox container {container_id[:12]}: {exc}") from exc
    return None if state.get("Running") else state


def _kill(client: APIClient, container_id: str) -> None:
    try:
        client.kill(container_id)
    except Exception:
        pass  # already dead or gone: the removal that follows copes either way

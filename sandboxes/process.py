"""Run a program as a local subprocess under rlimits.

NOT A SECURITY BOUNDARY. The program runs as your user, sees your file system and network, and can
escape every limit here with little effort. Use this backend for trusted code (tests, your own
reference solutions, machines without Docker); untrusted model output belongs in `DockerSandbox`.

What it does give: a fresh temporary work dir per request, its own session and process group, rlimits
(CPU time, address space, file size, no core dumps, process count for non-root users), a host-side wall
clock deadline, output capped per stream, and on completion or deadline a SIGKILL of the whole process
group plus of any descendant that left the group with `setsid()` (found by a marker in its environment).
"""

from __future__ import annotations

import os
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Mapping

from sandboxes.base import ExecRequest, ExecResult
from sandboxes.output import CappedBuffer
from sandboxes.request import checked_files, cpu_seconds

MARKER_VARIABLE = "REST_EM_SANDBOX_RUN"
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
_CHUNK = 65536
_POLL = 0.02  # longest sleep between checks for the program's exit
_DRAIN_SECONDS = 1.0  # after the program ends, how long we wait for the pipes to close
_REAP_SECONDS = 2.0  # how long we keep killing a run's marked processes until none is left


class ProcessSandbox:
    """Local subprocess backend. NOT a security boundary: for trusted code only (see module docstring).

    Options: `env`, extra environment variables for the program (it otherwise gets only PATH, HOME,
    TMPDIR, LANG and the run marker); `tmp_root`, where the per-request work dirs are created.
    """

    name = "process"

    def __init__(self, env: Mapping[str, str] | None = None, tmp_root: str | None = None):
        self.env = dict(env or {})
        self.tmp_root = tmp_root

    def run(self, request: ExecRequest) -> ExecResult:
        files = checked_files(request)
        workdir = tempfile.mkdtemp(prefix="rest-em-run-", dir=self.tmp_root)
        try:
            for name, data, mode in files:
                path = Path(workdir, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                path.chmod(mode)
            return self._execute(request, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def close(self) -> None:
        """Nothing outlives a `run`, so there is nothing to release."""

    def _execute(self, request: ExecRequest, workdir: str) -> ExecResult:
        marker = uuid.uuid4().hex
        env = {"PATH": os.environ.get("PATH", DEFAULT_PATH), "HOME": workdir, "TMPDIR": workdir,
               "LANG": "C.UTF-8", **self.env, MARKER_VARIABLE: marker}
        rlimits = _rlimits(request)
        start = time.monotonic()
        try:
            proc = subprocess.Popen(list(request.argv), cwd=workdir, env=env, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True,
                                    start_new_session=True, preexec_fn=lambda: _apply(rlimits))
        except OSError as exc:  # the shell's convention: 127 not found, 126 found but not runnable
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            return ExecResult(b"", f"{request.argv[0]}: {exc.strerror}\n".encode(), code,
                              elapsed=time.monotonic() - start)
        limit = request.limits.max_output_bytes
        stdout, stderr = CappedBuffer(limit), CappedBuffer(limit)
        try:
            timed_out = _communicate(proc, request.stdin, stdout, stderr, start + request.limits.wall_seconds,
                                    marker)
        finally:
            _kill_group(proc.pid)
            _kill_marked(marker)
            proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                stream.close()
        elapsed = time.monotonic() - start
        code = proc.returncode
        if timed_out:
            exit_code = None
        elif code < 0:
            exit_code = 128 - code
            timed_out = -code == signal.SIGXCPU
        else:
            exit_code = code
        return ExecResult(stdout.getvalue(), stderr.getvalue(), exit_code, timed_out=timed_out,
                          truncated=stdout.truncated or stderr.truncated, elapsed=elapsed)


def _communicate(proc: subprocess.Popen, stdin: bytes, stdout: CappedBuffer, stderr: CappedBuffer,
                 deadline: float, marker: str) -> bool:
    """Feed stdin and drain both outputs until the program ends; True if the deadline came first."""
    selector = selectors.DefaultSelector()
    sinks = {proc.stdout.fileno(): stdout, proc.stderr.fileno(): stderr}
    for fd in sinks:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    pending = memoryview(stdin)
    stdin_fd = proc.stdin.fileno()
    if pending:
        os.set_blocking(stdin_fd, False)
        selector.register(stdin_fd, selectors.EVENT_WRITE)
    else:
        proc.stdin.close()
    drain_until = None
    try:
        while selector.get_map():
            now = time.monotonic()
            if drain_until is None and _exited(proc):
                # The program is done; whatever still holds the pipes is a leftover child: kill it and
                # read what is already buffered.
                _kill_group(proc.pid)
                _kill_marked(marker)
                drain_until = now + _DRAIN_SECONDS
            if drain_until is not None and now >= drain_until:
                return False
            if drain_until is None and now >= deadline:
                return True
            for key, _ in selector.select(min(_POLL, max(deadline - now, 0))):
                fd = key.fd
                if fd == stdin_fd:
                    try:
                        pending = pending[os.write(fd, pending[:_CHUNK]):]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(fd)
                        proc.stdin.close()
                    continue
                data = os.read(fd, _CHUNK)
                if data:
                    sinks[fd].add(data)
                else:
                    selector.unregister(fd)
    finally:
        selector.close()
    while not _exited(proc):  # both pipes closed (the program closed them or is about to exit)
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.002)
    return False


def _exited(proc: subprocess.Popen) -> bool:
    """Whether the program has exited, without reaping it: its zombie keeps its process group id
    reserved, so the `killpg` that follows cannot hit an unrelated group that reused the number."""
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _rlimits(request: ExecRequest) -> list[tuple[int, tuple[int, int]]]:
    """Computed in the parent so the forked child only makes system calls before exec."""
    limits = request.limits
    cpu = cpu_seconds(request)
    memory = limits.memory_mb << 20
    chosen = [
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if os.getuid() != 0:
        # RLIMIT_NPROC counts every task of the user, not just ours: allow what already runs plus the quota.
        allowed = _tasks_of_user(os.getuid()) + limits.max_processes
        chosen.append((resource.RLIMIT_NPROC, (allowed, allowed)))
    hard_caps = {res: resource.getrlimit(res)[1] for res, _ in chosen}
    return [(res, tuple(_within(v, hard_caps[res]) for v in pair)) for res, pair in chosen]


def _within(value: int, hard: int) -> int:
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def _apply(rlimits: list[tuple[int, tuple[int, int]]]) -> None:
    for res, pair in rlimits:
        resource.setrlimit(res, pair)


def _tasks_of_user(uid: int) -> int:
    count = 0
    for pid in _pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += max(os.stat(f"/proc/{pid}/task").st_nlink - 2, 1)
        except OSError:
            continue
    return count


def _pids() -> list[int]:
    try:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_marked(marker: str) -> None:
    """SIGKILL every process whose environment carries this run's marker: descendants that called
    `setsid()` and so escaped the process group. Best effort: a process may scrub its environment."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    me = os.getpid()
    # Look again until none is left: a survivor may fork between our scan and our kill, and a killed
    # process stays visible until the kernel has torn it down, which takes a while on a loaded machine.
    deadline = time.monotonic() + _REAP_SECONDS
    while True:
        found = False
        for pid in _pids():
            if pid == me:
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as handle:
                    if needle not in handle.read().split(b"\0"):
                        continue
                os.kill(pid, signal.SIGKILL)
                found = True
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return
        time.sleep(0.01)

"""The Docker backend, checked from inside the container and from the host.

Network checks are packet-free: they look at interfaces and routes, never at an outside address.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rest_verify.plugins import get_sandbox_factory
from sandboxes.base import ExecRequest, Limits, SandboxError
from sandboxes.docker import (LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL, DockerSandbox,
                              reap_stale_containers)
from sandboxes.image import default_image, docker_client

pytestmark = pytest.mark.docker


def our_containers() -> set[str]:
    client = docker_client()
    found = client.containers(all=True, filters={"label": f"{OWNER_PID_LABEL}={os.getpid()}"})
    return {c["Id"] for c in found}


def gone(hostname: bytes) -> bool:
    """Whether the container that reported this hostname (Docker's default: its short id) is removed."""
    return not any(cid.startswith(hostname.decode().strip()) for cid in our_containers())


def wait_until(condition, seconds: float = 15.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def sandbox(docker_runtime):
    box = DockerSandbox(pool_size=1, runtime=docker_runtime)
    yield box
    box.close()
    assert our_containers() == set(), "a container outlived close()"


def python(box, code: str, stdin: bytes = b"", **limits):
    return box.run(ExecRequest({"main.py": code}, ["python3", "main.py"], stdin, Limits(**limits)))


def test_registered_under_its_name():
    assert get_sandbox_factory("docker") is DockerSandbox


def test_runs_a_program_with_files_and_stdin(sandbox):
    request = ExecRequest({"main.py": "import sys\nfrom lib.util import shout\nprint(shout(sys.stdin.read()))",
                           "lib/__init__.py": "", "lib/util.py": "def shout(s):\n    return s.upper()"},
                          ["python3", "main.py"], b"hello")
    result = sandbox.run(request)
    assert (result.stdout, result.exit_code) == (b"HELLO\n", 0), result.stderr


def test_exit_code_stderr_and_missing_program(sandbox):
    result = python(sandbox, "import sys\nsys.stderr.write('bad')\nsys.exit(4)")
    assert (result.stderr, result.exit_code) == (b"bad", 4)
    missing = sandbox.run(ExecRequest({}, ["no-such-program"]))
    assert missing.exit_code == 127


def test_hardening_seen_from_inside(sandbox):
    # gVisor's /proc/self/status has no NoNewPrivs line: the flag is read with prctl(PR_GET_NO_NEW_PRIVS).
    code = r"""
import ctypes, os
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
print(os.getuid(), os.getgid())
print(status["CapEff"].strip(), status["CapBnd"].strip(), ctypes.CDLL(None).prctl(39, 0, 0, 0, 0),
      status.get("NoNewPrivs", "absent").strip())
print(",".join(sorted(os.listdir("/sys/class/net"))))
print(",".join(sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:])))
print(len(open("/proc/net/route").read().splitlines()))
for path in ["/x", "/etc/x", "/usr/x", "/var/tmp/x", "/dev/shm/x", "/home/x", "/proc/x"]:
    try:
        open(path, "w").write("x")
        print("wrote", path)
    except OSError:
        pass
open("/work/ok", "w").write("x")
open("/tmp/ok", "w").write("x")
print("work ok")
"""
    result = python(sandbox, code)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "65534 65534"
    no_new_privs_line = "absent" if sandbox.options["runtime"] == "runsc" else "1"
    assert lines[1] == f"0000000000000000 0000000000000000 1 {no_new_privs_line}"
    assert lines[2] == "lo" and lines[3] == "lo"
    assert lines[4] == "1"  # the header only: no route anywhere
    assert lines[5:] == ["work ok"]


def test_cgroup_limits_take_effect(sandbox):
    code = r"""
import os
import pickle
def first(*paths):
    for path in paths:
        if os.path.exists(path):
            return open(path).read().strip()
print(first("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"))
print(first("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max"))
"""
    code += "import resource\nprint(resource.getrlimit(resource.RLIMIT_NPROC)[0])\n"
    result = python(sandbox, code, memory_mb=256, max_processes=16)
    if sandbox.options["runtime"] == "runsc":
        # gVisor shows no cgroup files: the host cgroup bounds its whole kernel (the memory bomb test
        # shows that limit at work), and the process count is its RLIMIT_NPROC, pid 1 included.
        assert result.stdout.decode().split() == ["None", "None", "17"]
    else:
        assert result.stdout.decode().split()[:2] == [str(256 << 20), "17"]  # + the bootstrap (pid 1)


def test_timeout_kills_and_removes_the_container(sandbox):
    start = time.monotonic()
    code = "import socket, time\nprint(socket.gethostname(), flush=True)\ntime.sleep(60)"
    result = python(sandbox, code, wall_seconds=1.0)
    assert time.monotonic() - start < 10
    assert result.timed_out and result.exit_code is None and len(result.stdout.strip()) == 12
    assert wait_until(lambda: gone(result.stdout)), "the used container was not removed"


def test_fork_bomb_is_contained(sandbox):
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    start = time.monotonic()
    result = python(sandbox, code, wall_seconds=2.0, max_processes=32)
    assert result.timed_out and time.monotonic() - start < 15
    after = python(sandbox, "print('alive')")
    assert after.stdout == b"alive\n"


def test_memory_bomb_is_reported(sandbox):
    result = python(sandbox, "x = bytearray(1 << 30)\nprint('allocated')", memory_mb=128)
    assert b"allocated" not in result.stdout
    assert result.oom_killed or result.exit_code not in (0, None)
    if sandbox.options["runtime"] == "runsc":
        # gVisor has no OOM killer of its own: the host's kills its whole kernel, pid 1 with it, so no
        # exit trailer comes and the flag is Docker's record of the kill.
        assert result.oom_killed and result.exit_code == 137


def test_output_flood_is_capped_with_bounded_host_memory(sandbox):
    # gVisor moves output about 10x slower (some 15 MiB/s on a loaded machine): a smaller flood there.
    flood_mib = 64 if sandbox.options["runtime"] == "runsc" else 256
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = f"import sys\nchunk = b'x' * (1 << 20)\nfor _ in range({flood_mib}):\n    sys.stdout.buffer.write(chunk)\n"
    result = python(sandbox, code, max_output_bytes=4096, wall_seconds=30.0)
    assert result.stdout == b"x" * 4096 and result.truncated and result.exit_code == 0
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < flood_mib * 1024 // 4  # it all went through; the host kept a few KiB of it


def test_double_fork_daemon_does_not_survive(sandbox):
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        open('/tmp/daemon', 'w').write('alive')\n"
            "        time.sleep(600)\n"
            "    os._exit(0)\n"
            "time.sleep(0.2)\n"
            "import socket\n"
            "print(socket.gethostname())\n")
    result = python(sandbox, code)
    assert len(result.stdout.strip()) == 12 and result.exit_code == 0
    assert result.elapsed < 5.0  # neither the daemon (600 s) nor the deadline (10 s) was waited for
    assert wait_until(lambda: gone(result.stdout)), "the daemon's container still exists"
    fresh = python(sandbox, "import os\nprint(os.path.exists('/tmp/daemon'))")
    assert fresh.stdout == b"False\n"


def test_every_submission_gets_a_fresh_container(sandbox):
    first = python(sandbox, "open('/work/left', 'w').write('x')\nopen('/tmp/left', 'w').write('x')")
    second = python(sandbox, "import os\nprint(os.path.exists('/work/left'), os.path.exists('/tmp/left'))")
    assert first.exit_code == 0 and second.stdout == b"False False\n"


def test_close_is_idempotent_and_final():
    box = DockerSandbox(pool_size=2)
    assert python(box, "print(1)").stdout == b"1\n"
    box.close()
    box.close()
    assert our_containers() == set()
    with pytest.raises(SandboxError):
        python(box, "print(1)")


def test_missing_image_is_a_clear_error():
    with pytest.raises(SandboxError, match="rest-em sandbox build"):
        DockerSandbox(image="rest-em-sandbox:no-such-tag")


def test_stale_containers_of_dead_owners_are_reaped():
    client = docker_client()
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = socket.gethostname()
    ids = {}
    for owner in (str(dead.pid), str(os.getpid())):
        created = client.create_container(
            default_image(), command=["sleep", "120"], network_disabled=True,
            labels={LABEL: "1", OWNER_PID_LABEL: owner, OWNER_HOST_LABEL: host},
            host_config=client.create_host_config(network_mode="none"))
        client.start(created["Id"])
        ids[owner] = created["Id"]
    try:
        reaped = reap_stale_containers(client)
        assert ids[str(dead.pid)] in reaped and ids[str(os.getpid())] not in reaped
        remaining = {c["Id"] for c in client.containers(all=True, filters={"label": f"{LABEL}=1"})}
        assert ids[str(os.getpid())] in remaining
        assert wait_until(lambda: ids[str(dead.pid)] not in {
            c["Id"] for c in client.containers(all=True, filters={"label": f"{LABEL}=1"})})
    finally:
        for container_id in ids.values():
            try:
                client.remove_container(container_id, force=True)
            except Exception:
                pass


def test_a_pickled_copy_starts_its_own_pool(sandbox):
    copy = pickle.loads(pickle.dumps(sandbox))
    try:
        assert copy is not sandbox and copy.options == sandbox.options
        assert python(copy, "print('copy')").stdout == b"copy\n"
    finally:
        copy.close()


def test_a_forked_child_uses_its_own_containers_and_cleans_up(sandbox):
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read_end)
            os.write(write_end, python(sandbox, "print('child')").stdout)
            sandbox.close()
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.read() == b"child\n"
    os.waitpid(child, 0)
    client = docker_client()
    assert client.containers(all=True, filters={"label": f"{OWNER_PID_LABEL}={child}"}) == []
    assert python(sandbox, "print('parent')").stdout == b"parent\n"


def test_worker_process_exit_removes_its_containers():
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        worker_pid, output = pool.apply(_run_in_worker)
        pool.close()
        pool.join()
    assert output == b"worker\n"
    client = docker_client()
    assert wait_until(lambda: client.containers(
        all=True, filters={"label": f"{OWNER_PID_LABEL}={worker_pid}"}) == [])


_WORKER_SANDBOX = []


def _run_in_worker():
    box = DockerSandbox(pool_size=1)
    _WORKER_SANDBOX.append(box)  # kept alive until the worker exits, as a verifier's sandbox would be
    return os.getpid(), python(box, "print('worker')").stdout


def test_ctrl_c_during_a_run_leaves_no_container(tmp_path):
    # A shell starts background jobs with SIGINT ignored, and Python then installs no handler of its
    # own: the child sets the one this test relies on, so the test passes however pytest was started.
    script = ("import signal\n"
              "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
              "from sandboxes.docker import DockerSandbox\n"
              "from sandboxes.base import ExecRequest, Limits\n"
              "box = DockerSandbox(pool_size=2)\n"
              "print('running', flush=True)\n"
              "box.run(ExecRequest({}, ['sleep', '60'], limits=Limits(wall_seconds=60)))\n")
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=Path(__file__).parents[2])
    try:
        assert child.stdout.readline() == b"running\n"
        time.sleep(1.0)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert b"KeyboardInterrupt" in stderr
    client = docker_client()
    assert client.containers(all=True, filters={"label": f"{OWNER_PID_LABEL}={child.pid}"}) == []


def test_a_forked_child_exiting_normally_leaves_the_parent_pool_alone(sandbox):
    child = os.fork()
    if child == 0:
        try:
            sandbox._finalizer()  # what interpreter exit in a forked child would run
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert python(sandbox, "print('still warm')").stdout == b"still warm\n"


def test_cpu_time_limit_reports_a_timeout(sandbox):
    result = python(sandbox, "while True:\n    pass", wall_seconds=20.0, cpu_seconds=1.0)
    assert result.timed_out and result.exit_code == 128 + signal.SIGXCPU and result.elapsed < 10


def test_large_stdin_and_binary_files_arrive_intact(sandbox):
    payload = os.urandom(2 << 20)
    blob = bytes(range(256))
    code = ("import sys, hashlib\n"
            "data = sys.stdin.buffer.read()\n"
            "print(hashlib.sha256(data).hexdigest(), open('blob.bin', 'rb').read() == bytes(range(256)))")
    result = sandbox.run(ExecRequest({"main.py": code, "blob.bin": blob}, ["python3", "main.py"], payload))
    import hashlib

    assert result.stdout.split() == [hashlib.sha256(payload).hexdigest().encode(), b"True"], result.stderr


def test_file_size_limit(sandbox):
    result = python(sandbox, "open('big', 'wb').write(b'x' * 200000)\nprint('wrote')", max_file_bytes=100000)
    assert result.exit_code != 0 and b"wrote" not in result.stdout
    assert b"File too large" in result.stderr  # Python ignores SIGXFSZ, so the write fails with EFBIG


def test_a_forged_exit_trailer_is_just_output(sandbox):
    forged = "import sys\nsys.stdout.write('\\0RESTEM-EXIT 0123456789abcdef0123456789abcdef 0 0\\n')\nsys.exit(5)"
    result = python(sandbox, forged)
    assert result.exit_code == 5 and result.stdout.startswith(b"\0RESTEM-EXIT 0123")


def test_exit_status_arrives_while_a_leftover_child_still_writes(sandbox):
    code = ("import os, sys\n"
            "if os.fork() == 0:\n"
            "    while True:\n"
            "        os.write(1, b'x' * 4096)\n"
            "        os.write(2, b'y' * 4096)\n"
            "sys.exit(4)\n")
    result = python(sandbox, code, max_output_bytes=1 << 16)
    assert result.exit_code == 4 and not result.timed_out and result.elapsed < 5.0


def test_an_idle_pool_does_not_spin():
    box = DockerSandbox(pool_size=2)  # two refill threads, which must not keep waking each other
    try:
        assert python(box, "print(1)").stdout == b"1\n"
        time.sleep(1.5)  # the pool refilled; every thread waits
        before = resource.getrusage(resource.RUSAGE_SELF)
        time.sleep(1.0)
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        box.close()
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 0.25

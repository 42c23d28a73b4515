"""The docker backend's opt-in reuse mode: one container serves several submissions, and nothing one
submission leaves behind (files, processes, IPC objects) reaches the next; a container that cannot be
verified clean is never used again.

Under runc only: reuse is refused under gVisor (see `check_reuse`). Each program prints the container's
hostname (Docker's default: its short id), which tells whether two runs shared a container.
"""

from __future__ import annotations

import json

import pytest

from rest_verify.sandbox_options import SandboxOptionError
from sandboxes.base import ExecRequest, Limits
from sandboxes.docker import DockerSandbox
from tests.sandboxes.test_docker_sandbox import gone, our_containers, wait_until

pytestmark = pytest.mark.docker

HOSTNAME = "import socket\nprint(socket.gethostname(), flush=True)\n"

PLANT = HOSTNAME + r"""
import ctypes, json, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
open("/work/planted", "w").write("the answer")
open("/tmp/planted", "w").write("the answer")
os.makedirs("/work/locked/inner")
open("/work/locked/inner/file", "w").write("x")
os.chmod("/work/locked/inner", 0)
os.chmod("/work/locked", 0)
os.symlink("/work/planted", "/tmp/link")
os.chmod("/tmp", 0o777)
created = {"shm": libc.shmget(4242, 4096, 0o1600), "msg": libc.msgget(4243, 0o1600),
           "sem": libc.semget(4244, 1, 0o1600),
           "mqueue": libc.mq_open(b"/planted", os.O_CREAT | os.O_RDWR, 0o600, None)}
if os.fork() == 0:  # a daemon under a kernel thread's name that changes its pid every millisecond
    os.setsid()
    if os.fork() == 0:
        libc.prctl(15, b"kworker/0:1", 0, 0, 0)  # PR_SET_NAME
        while True:
            if os.fork():
                os._exit(0)
            time.sleep(0.001)
    os._exit(0)
if os.fork() == 0:  # a sleeper that ignores every signal it can
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)
    time.sleep(600)
time.sleep(0.2)
print(json.dumps(created), len([p for p in os.listdir("/proc") if p.isdigit()]))
"""

INSPECT = HOSTNAME + r"""
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
print(json.dumps({
    "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())),
    "work": sorted(os.listdir("/work")), "tmp": os.listdir("/tmp"), "tmp_mode": oct(os.stat("/tmp").st_mode & 0o777),
    "mqueue": os.listdir("/dev/mqueue"),
    "sysv": [len(open("/proc/sysvipc/" + t).read().splitlines()) - 1 for t in ("shm", "sem", "msg")],
    "shm_found": libc.shmget(4242, 0, 0) >= 0,
}))
"""


@pytest.fixture
def reusing():
    box = DockerSandbox(pool_size=1, reuse=3)
    yield box
    box.close()
    assert our_containers() == set(), "a container outlived close()"


def python(box, code: str, **limits):
    return box.run(ExecRequest({"main.py": code}, ["python3", "main.py"], b"", Limits(**limits)))


def host(result) -> str:
    return result.stdout.split(b"\n", 1)[0].decode()


def test_nothing_planted_reaches_the_next_submission(reusing):
    planted = python(reusing, PLANT)
    created, processes = planted.stdout.split(b"\n")[1].rsplit(b" ", 1)
    assert planted.exit_code == 0, planted.stderr
    assert min(json.loads(created).values()) >= 0 and int(processes) >= 4  # every plant took root
    after = python(reusing, INSPECT)
    assert host(after) == host(planted), "the second submission did not run in the same container"
    assert json.loads(after.stdout.split(b"\n")[1]) == {
        "processes": [], "work": ["main.py"], "tmp": [], "tmp_mode": "0o700", "mqueue": [],
        "sysv": [0, 0, 0], "shm_found": False}


def test_a_container_serves_at_most_reuse_submissions(reusing):
    hosts = [host(python(reusing, HOSTNAME)) for _ in range(4)]
    assert hosts[0] == hosts[1] == hosts[2] != hosts[3]
    assert wait_until(lambda: gone(hosts[0].encode())), "the worn-out container was not removed"


def test_a_container_that_cannot_be_wiped_is_discarded(reusing):
    # Nested deeper than the wipe's recursion goes: the wipe fails, so the container must not serve again.
    deep = HOSTNAME + "import os\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\n"
    first = python(reusing, deep)
    assert first.exit_code == 0, first.stderr
    second = python(reusing, INSPECT)
    assert host(second) != host(first)
    assert json.loads(second.stdout.split(b"\n")[1])["work"] == ["main.py"]
    assert wait_until(lambda: gone(host(first).encode())), "the dirty container was not removed"


def test_a_timed_out_submission_ends_its_container(reusing):
    slow = python(reusing, HOSTNAME + "import time\ntime.sleep(60)", wall_seconds=1.0)
    assert slow.timed_out
    assert host(python(reusing, HOSTNAME)) != host(slow)


@pytest.mark.parametrize("reuse", [0, -1, 2.5, "3", True])
def test_reuse_must_be_a_whole_number(reuse):
    with pytest.raises(SandboxOptionError, match="reuse must be a whole number"):
        DockerSandbox(reuse=reuse)


def test_reuse_is_refused_under_gvisor():
    with pytest.raises(SandboxOptionError, match="needs runtime=runc"):
        DockerSandbox.check_options(runtime="runsc", reuse=2)

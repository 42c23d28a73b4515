"""The sandbox's own seccomp profile: what it denies, and that it holds from inside a real container."""

from __future__ import annotations

import json

import pytest

from rest_em_apps import AppsVerifier
from rest_verify.types import Problem, Status
from sandboxes.docker import SECCOMP_PROFILE, seccomp_profile

DENIED_BY_THE_ISSUE = ["ptrace", "process_vm_readv", "process_vm_writev", "perf_event_open", "bpf", "userfaultfd",
                       "keyctl", "add_key", "request_key", "unshare", "setns", "mount", "kexec_load",
                       "kexec_file_load", "open_by_handle_at"]
# Calls every Python or C++ program makes (start-up, threads, fork/exec, memory, files, time).
NEEDED = ["read", "write", "openat", "close", "mmap", "munmap", "mprotect", "brk", "clone", "execve", "wait4",
          "futex", "rt_sigaction", "exit_group", "getrandom", "statx", "newfstatat", "rseq", "prlimit64",
          "set_robust_list", "madvise", "pipe2", "dup2", "lseek", "getpid", "clock_gettime"]


def unconditional_denials() -> dict[str, int]:
    profile = json.loads(SECCOMP_PROFILE.read_text())
    return {name: rule["errnoRet"] for rule in profile["syscalls"] if "args" not in rule for name in rule["names"]}


def test_profile_denies_what_the_issue_lists_and_allows_what_programs_need():
    profile = json.loads(SECCOMP_PROFILE.read_text())
    denied = unconditional_denials()
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    assert all(rule["action"] == "SCMP_ACT_ERRNO" for rule in profile["syscalls"])
    assert {name: denied.get(name) for name in DENIED_BY_THE_ISSUE} == {name: 1 for name in DENIED_BY_THE_ISSUE}
    assert not set(NEEDED) & set(denied)
    assert denied["clone3"] == 38  # ENOSYS: glibc falls back to clone, which the filter can inspect


def test_clone_is_refused_only_with_a_namespace_flag():
    profile = json.loads(SECCOMP_PROFILE.read_text())
    flags = [rule["args"][0]["value"] for rule in profile["syscalls"] if rule["names"] == ["clone"]]
    namespaces = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
    assert sum(flags) == namespaces and all(bin(flag).count("1") == 1 for flag in flags)
    fork_and_threads = 0x00000100 | 0x00000200 | 0x00000400 | 0x00000800 | 0x00010000 | 0x00200000  # VM, FS...
    assert not fork_and_threads & namespaces


def test_profile_travels_as_one_line_of_json():
    text = seccomp_profile()
    assert "\n" not in text and json.loads(text) == json.loads(SECCOMP_PROFILE.read_text())


def test_under_gvisor_the_profile_leaves_clone3_to_gvisor_and_keeps_every_other_rule():
    shipped = json.loads(SECCOMP_PROFILE.read_text())["syscalls"]
    gvisor = json.loads(seccomp_profile("runsc"))["syscalls"]
    assert [rule for rule in shipped if rule["names"] != ["clone3"]] == gvisor


# Threads start, and clone3 answers ENOSYS (so glibc falls back to clone, whose flags the profile reads).
THREADS = r"""
import ctypes, threading
libc = ctypes.CDLL(None, use_errno=True)
print("clone3", libc.syscall(435, 0, 0), ctypes.get_errno())
done = []
thread = threading.Thread(target=done.append, args=["thread ran"])
thread.start()
thread.join()
print(*done)
"""


@pytest.mark.docker
def test_a_program_can_start_threads_under_each_runtime(docker_runtime):
    """gVisor answered the profile's clone3 rule with EPERM, not its ENOSYS, and glibc's pthread_create
    gave up: no thread, no JVM, no Go toolchain, no Node under runsc."""
    from sandboxes.base import ExecRequest, Limits
    from sandboxes.docker import DockerSandbox

    sandbox = DockerSandbox(pool_size=0, runtime=docker_runtime)
    try:
        result = sandbox.run(ExecRequest({"threads.py": THREADS}, ["python3", "threads.py"],
                                         limits=Limits(wall_seconds=20.0)))
    finally:
        sandbox.close()
    assert result.stdout == b"clone3 -1 38\nthread ran\n", result.stderr


# Prints one line per target; the expected output says every attach was refused with EPERM.
PTRACE_EVERYONE = r"""
import ctypes, errno, os, signal
libc = ctypes.CDLL(None, use_errno=True)
def attach(pid):
    refused = libc.ptrace(16, pid, None, None) == -1 and ctypes.get_errno() == errno.EPERM
    return "refused" if refused else "ATTACHED"
def parent_of(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
runner = os.getppid()
print("pid 1", attach(1))
print("harness runner", attach(runner))
print("harness signer", attach(parent_of(runner)))
sibling = os.fork()
if sibling == 0:
    signal.pause()
    os._exit(0)
tracer = os.fork()
if tracer == 0:
    os._exit(0 if attach(sibling) == "refused" else 1)
_, status = os.waitpid(tracer, 0)
os.kill(sibling, signal.SIGKILL)
print("sibling", "refused" if os.waitstatus_to_exitcode(status) == 0 else "ATTACHED")
"""
TARGETS = ["pid 1", "harness runner", "harness signer", "sibling"]


@pytest.mark.docker
def test_ptrace_of_init_harness_and_sibling_is_refused_inside_the_apps_sandbox():
    problem = Problem(id="ptrace", reference={"inputs": [""], "outputs": ["".join(f"{t} refused\n" for t in TARGETS)]})
    verifier = AppsVerifier(sandbox="docker", time_limit=5.0, sandbox_options={"pool_size": 0})
    try:
        verdict = verifier.verify(problem, PTRACE_EVERYONE)
    finally:
        verifier.close()
    assert verdict.status is Status.CORRECT, verdict.detail

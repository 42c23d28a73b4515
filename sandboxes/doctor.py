"""Checks that the Docker sandbox really isolates, run against the real daemon and image.

Each check proves one property from inside a hardened container (never by sending packets anywhere),
and says what to do when it fails. The run stops at the first failure later checks depend on.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Callable, Iterator

from sandboxes.base import ExecRequest, Limits
from sandboxes.image import REPOSITORY, default_image, recipe_hash

PROBE = r"""
import json, os
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
writable = []
for path in ("/probe", "/etc/probe", "/usr/probe"):
    try:
        open(path, "w").close()
        writable.append(path)
    except OSError:
        pass
print(json.dumps({
    "uid": os.getuid(),
    "interfaces": sorted(os.listdir("/sys/class/net")),
    "routes": len(open("/proc/net/route").read().splitlines()) - 1,
    "cap_eff": status["CapEff"].strip(),
    "writable": writable,
}))
"""

MEMORY_BOMB = "x = bytearray(512 << 20)\nprint('allocated')"

FORK_COUNT = r"""
import os, time
children = 0
try:
    while children < 200:
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        children += 1
except OSError:
    pass
print(children)
"""


# Calls the profile must refuse, tried from inside: "ok" when refused with EPERM (opening /proc/1/mem:
# refused at all). Pid 1 is the sandbox's bootstrap, the probe's parent; the child is the probe's own.
SECCOMP_PROBE = r"""
import ctypes, errno, json, os, signal
libc = ctypes.CDLL(None, use_errno=True)
NUMBERS = {"x86_64": {"bpf": 321, "userfaultfd": 323, "keyctl": 250},
           "aarch64": {"bpf": 280, "userfaultfd": 282, "keyctl": 219}}[os.uname().machine]
def refused(result):
    error = ctypes.get_errno()
    return "ok" if result == -1 and error == errno.EPERM else "allowed (%d, errno %d)" % (result, error)
def mem_refused():
    try:
        os.close(os.open("/proc/1/mem", os.O_RDWR))
    except OSError:
        return "ok"
    return "allowed"
child = os.fork()
if child == 0:
    signal.pause()
    os._exit(0)
print(json.dumps({
    "filter mode": [line.split()[1] for line in open("/proc/self/status") if line.startswith("Seccomp:")][0],
    "ptrace pid 1": refused(libc.ptrace(16, 1, None, None)),
    "ptrace own child": refused(libc.ptrace(16, child, None, None)),
    "process_vm_readv pid 1": refused(libc.process_vm_readv(1, None, 0, None, 0, 0)),
    "unshare user namespace": refused(libc.unshare(0x10000000)),
    "bpf": refused(libc.syscall(NUMBERS["bpf"], 0, None, 0)),
    "userfaultfd": refused(libc.syscall(NUMBERS["userfaultfd"], 1)),
    "keyctl": refused(libc.syscall(NUMBERS["keyctl"], 0, 0, 0, 0, 0)),
    "open /proc/1/mem": mem_refused(),
}))
os.kill(child, signal.SIGKILL)
"""

@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    remedy: str = ""


def run_checks(image: str | None = None, runtime: str = "runc") -> Iterator[Check]:
    """Yield each check as it completes, so a slow daemon shows progress; the container checks run
    under `runtime`. `image` defaults to the one this rest-em's recipe names."""
    image = image or default_image()
    recipe_now = recipe_hash()
    try:
        import docker  # noqa: F401
    except ImportError:
        yield Check("docker SDK importable", False, "import docker failed", "pip install 'docker>=7'")
        return
    yield Check("docker SDK importable", True, "docker SDK found")
    from sandboxes.base import SandboxError
    from sandboxes.docker import DockerSandbox, runtime_remedy
    from sandboxes.image import docker_client, image_recipe

    try:
        client = docker_client(timeout=20)
        version = client.version().get("Version", "?")
    except SandboxError as exc:
        yield Check("daemon reachable", False, str(exc), "start dockerd (`sudo dockerd &` or "
                    "`sudo systemctl start docker`) and check access to /var/run/docker.sock")
        return
    yield Check("daemon reachable", True, f"Docker engine {version}")
    known = sorted(client.info().get("Runtimes") or {})
    yield _expect(f"runtime {runtime} registered", runtime in known, f"dockerd runtimes: {', '.join(known)}",
                  runtime_remedy(runtime, known))
    if runtime not in known:
        return
    recipe = image_recipe(image, client)
    if recipe is None:
        yield Check("image present", False, f"{image} not found", f"rest-em sandbox build --image {image}")
        return
    yield Check("image present", True, image)
    yield _expect("image up to date", recipe == recipe_now,
                  f"built from recipe {recipe_now}" if recipe == recipe_now else
                  f"built from recipe {recipe or '(unlabelled)'}, but this rest-em's recipe is {recipe_now}",
                  f"rest-em sandbox build (makes {REPOSITORY}:{recipe_now}; the stale image stays until you "
                  "remove it)")
    if recipe != recipe_now:
        return  # what a stale image does inside says nothing about the image this rest-em runs
    for other in sorted({"runc", "runsc"} & set(known) - {runtime}):
        yield _runtime_works(image, other)
    sandbox = DockerSandbox(image=image, pool_size=0, runtime=runtime)
    try:
        yield from _container_checks(sandbox)
        if runtime == "runsc":
            yield _gvisor_kernel(sandbox)
    finally:
        sandbox.close()


def _container_checks(sandbox) -> Iterator[Check]:
    def python(code: str, **limits):
        return sandbox.run(ExecRequest({"probe.py": code}, ["python3", "probe.py"],
                                       limits=Limits(wall_seconds=20.0, **limits)))

    result = python(PROBE)
    try:
        facts = json.loads(result.stdout)
    except ValueError:
        yield Check("hardened container runs python3", False,
                    f"exit {result.exit_code}: {result.stderr.decode(errors='replace')[-300:]}",
                    "rebuild the image with `rest-em sandbox build --force`")
        return
    yield Check("hardened container runs python3", True, "python3 ran under every hardening flag")
    yield _expect("network absent", facts["interfaces"] == ["lo"] and facts["routes"] == 0,
                  f"interfaces {facts['interfaces']}, {facts['routes']} routes",
                  "the daemon ignored --network none: upgrade Docker")
    writable = facts["writable"]
    yield _expect("read-only root", not writable,
                  f"writable outside the work dir: {writable}" if writable else "/, /etc and /usr refuse writes",
                  "the daemon ignored --read-only: upgrade Docker")
    yield _expect("non-root, no capabilities", facts["uid"] == 65534 and int(facts["cap_eff"], 16) == 0,
                  f"uid {facts['uid']}, CapEff {facts['cap_eff']}",
                  "the daemon ignored --user/--cap-drop: upgrade Docker")
    bomb = python(MEMORY_BOMB, memory_mb=64)
    yield _expect("memory limit", b"allocated" not in bomb.stdout,
                  f"512 MiB under a 64 MiB limit: exit {bomb.exit_code}, oom_killed={bomb.oom_killed}",
                  "enable the memory cgroup controller (kernel cmdline cgroup_enable=memory) and "
                  "restart dockerd")
    forks = python(FORK_COUNT, max_processes=16)
    count = int(forks.stdout) if forks.stdout.strip().isdigit() else -1
    yield _expect("process limit", 0 <= count < 16,
                  f"{count} children allowed under max_processes=16 (the program counts)",
                  "enable the pids cgroup controller and restart dockerd")
    probe = python(SECCOMP_PROBE)
    try:
        calls = json.loads(probe.stdout)
    except ValueError:
        calls = {"probe": f"exit {probe.exit_code}: {probe.stderr.decode(errors='replace')[-300:]}"}
    mode = calls.pop("filter mode", "?")
    allowed = {name: outcome for name, outcome in calls.items() if outcome != "ok"}
    yield _expect("seccomp profile", mode == "2" and not allowed,
                  f"filter mode {mode}; refused: {', '.join(calls)}" if not allowed else
                  f"filter mode {mode}; not refused: {allowed}",
                  "runsc ignores seccomp profiles unless registered with --oci-seccomp: rerun "
                  "scripts/runsc-up.sh" if sandbox.options["runtime"] == "runsc" else
                  "the daemon ignored the seccomp profile: use a Docker built with seccomp support")
    yield from _toolchain_checks(sandbox)


def _toolchain_checks(sandbox) -> Iterator[Check]:
    """Each registered language's `version_command`, under the same hardening as a submission."""
    from rest_verify.languages import registered_languages

    for language in sorted(registered_languages().values(), key=lambda language: language.name):
        if not language.version_command:
            continue
        command = list(language.version_command)
        result = sandbox.run(ExecRequest({}, command, limits=Limits(wall_seconds=30.0, memory_mb=1024)))
        said = (result.stdout + result.stderr).decode(errors="replace").strip().splitlines()[:1]
        yield _expect(f"{language.name} toolchain", result.exit_code == 0,
                      said[0] if said and result.exit_code == 0 else
                      f"{' '.join(command)}: exit {result.exit_code} {said[0] if said else ''}".strip(),
                      f"rebuild the image (rest-em sandbox build) with {', '.join(language.packages) or 'its packages'}")


def _runtime_works(image: str, runtime: str) -> Check:
    """A registered runtime other than the one checked in full: does one hardened container run?"""
    from sandboxes.base import SandboxError
    from sandboxes.docker import DockerSandbox

    try:
        sandbox = DockerSandbox(image=image, pool_size=0, runtime=runtime)
        try:
            result = sandbox.run(ExecRequest({}, ["python3", "-c", "print('ok')"], limits=Limits(wall_seconds=20.0)))
        finally:
            sandbox.close()
    except SandboxError as exc:
        return Check(f"runtime {runtime} works", False, str(exc), f"rest-em sandbox doctor --runtime {runtime}")
    return _expect(f"runtime {runtime} works", result.stdout == b"ok\n",
                   "a hardened container ran python3 (check it in full with --runtime " + runtime + ")",
                   f"rest-em sandbox doctor --runtime {runtime}")


# The kernel gVisor reports to programs (a fixed Linux 4.4.0 identity, whatever the host runs).
GVISOR_UNAME = "4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016"


def _gvisor_kernel(sandbox) -> Check:
    """From inside: the kernel the program talks to is gVisor's, not the host's. (gVisor's boot log is
    out of reach: the seccomp profile refuses syslog.)"""
    result = sandbox.run(ExecRequest({}, ["uname", "-rv"], limits=Limits(wall_seconds=20.0)))
    inside = result.stdout.decode(errors="replace").strip()
    host = f"{os.uname().release} {os.uname().version}"
    return _expect("gVisor kernel", inside == GVISOR_UNAME and inside != host,
                   f"the program sees kernel {inside or '?'!s}; the host runs {host}",
                   "dockerd's `runsc` runtime is not gVisor: register /usr/bin/runsc (scripts/runsc-up.sh)")


def _expect(name: str, ok: bool, detail: str, remedy: str) -> Check:
    return Check(name, ok, detail, "" if ok else remedy)


def report(checks: Iterator[Check], echo: Callable[[str], None]) -> list[Check]:
    """Print every check as OK/FAIL (with what to do next); return the failed ones."""
    failed = []
    for check in checks:
        echo(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        if not check.ok:
            failed.append(check)
            echo(f"     → {check.remedy}")
    return failed

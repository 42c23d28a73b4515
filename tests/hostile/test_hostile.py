"""Hostile programs through the docker backend, under each OCI runtime (runc, gVisor's runsc): each
earns reward 0, the host stays unharmed, and nothing of ours (container or process) is left running
afterwards.

One program per file in programs/; its first line says which problem it attacks (`# target: stdin` or
`# target: call`), its second line what it tries. A few programs too large to keep as files are built
below. The expected outputs of both problems are never in the sandbox, so no program can know them.
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rest_em_apps import AppsVerifier
from rest_verify.types import Problem, Status

pytestmark = pytest.mark.docker

PROGRAMS = Path(__file__).parent / "programs"
HOST_MARKER = Path("/tmp/rest_em_hostile_marker")
OWNER_LABEL = "rest-em.owner-pid"


def _secret(n: int) -> int:
    return (n * n * 7919 + 13) % 1_000_003


STDIN_PROBLEM = Problem(id="hostile/stdin", prompt="Read n; print (n*n*7919 + 13) mod 1000003.",
                        reference={"inputs": ["5\n", "12\n", "1000\n"],
                                   "outputs": [f"{_secret(n)}\n" for n in (5, 12, 1000)]}, domain="code")
CALL_PROBLEM = Problem(id="hostile/call", prompt="Write mystery(x) returning (x*x*7919 + 13) mod 1000003.",
                       reference={"fn_name": "mystery", "inputs": [[3], [10], [42]],
                                  "outputs": [_secret(n) for n in (3, 10, 42)]}, domain="code")
PROBLEMS = {"stdin": STDIN_PROBLEM, "call": CALL_PROBLEM}

GENERATED = {
    # the harness compiles the submission before forking: make that compilation itself the attack
    "harness_compiler_bomb": ("stdin", "x = " + "+".join(["1"] * 100_000) + "\nprint(x)\n"),
    "harness_nesting_bomb": ("stdin", "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
    "huge_source": ("stdin", "# " + "a" * (8 << 20) + "\nprint(0)\n"),
}


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for path in sorted(PROGRAMS.glob("*.py")):
        source = path.read_text()
        target = source.splitlines()[0].removeprefix("# target:").strip()
        cases.append((path.stem, target, source))
    cases += [(name, target, source) for name, (target, source) in GENERATED.items()]
    return cases


CASES = _cases()



@pytest.fixture(scope="module")
def docker_client():
    docker = pytest.importorskip("docker")
    from sandboxes.image import default_image

    try:
        client = docker.APIClient(timeout=30)
        client.ping()
        client.inspect_image(default_image())
    except Exception as exc:  # no daemon, no permission, no image: say so rather than fail
        pytest.skip(f"docker backend unavailable: {exc}")
    yield client
    client.close()


def _our_containers(client) -> list[str]:
    return [c["Id"] for c in client.containers(all=True, filters={"label": f"{OWNER_LABEL}={os.getpid()}"})]


def _harness_processes(client) -> list[int]:
    """Harness processes on this host in containers this test process started. (Other people's
    sandboxes may run here too; under gVisor a program's processes are not host processes at all, and
    its containers being gone is the check.)"""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if b"harness.py" in argv and b"job.json" in argv and _in_our_container(client, pid):
            found.append(int(pid))
    return found


def _in_our_container(client, pid: str) -> bool:
    """Whether the process runs in a container labelled with this test process as its owner (a process
    whose container is already gone counts as ours: nothing should outlive its container)."""
    try:
        cgroups = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False
    ids = re.findall(r"[0-9a-f]{64}", cgroups)
    if not ids:
        return False
    try:
        labels = client.inspect_container(ids[-1])["Config"]["Labels"] or {}
    except Exception:  # removed meanwhile: a leftover only if the process outlived it
        return Path(f"/proc/{pid}").exists()
    return labels.get(OWNER_LABEL) == str(os.getpid())


def _verify_then_close(problem: Problem, source: str, runtime: str) -> tuple:
    verifier = AppsVerifier(sandbox="docker", time_limit=2.0, total_time_limit=8.0,
                            sandbox_options={"pool_size": 0, "runtime": runtime})
    start = time.monotonic()
    try:
        verdict = verifier.verify(problem, source)
    finally:
        verifier.close()
    return verdict, time.monotonic() - start


def test_control_solutions_pass(docker_client, docker_runtime):
    """Without this, a broken sandbox would make every hostile program 'fail' for the wrong reason."""
    verdict, _ = _verify_then_close(STDIN_PROBLEM, "n = int(input())\nprint((n * n * 7919 + 13) % 1000003)\n",
                                    docker_runtime)
    assert verdict.status is Status.CORRECT, verdict.detail
    verdict, _ = _verify_then_close(CALL_PROBLEM, "def mystery(x):\n    return (x * x * 7919 + 13) % 1000003\n",
                                    docker_runtime)
    assert verdict.status is Status.CORRECT, verdict.detail


def test_the_report_key_cannot_be_found_from_inside(docker_client, docker_runtime):
    """steal_key prints every key-like string it can reach (its memory, /proc/<pid>/fd/0, environ,
    cmdline of every process); the only right answer is that it found none."""
    problem = Problem(id="hostile/no-key", reference={"inputs": ["1\n"], "outputs": ["no key found\n"]},
                      domain="code")
    verdict, _ = _verify_then_close(problem, (PROGRAMS / "steal_key.py").read_text(), docker_runtime)
    assert verdict.status is Status.CORRECT, verdict.detail


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert {target for _, target, _ in CASES} == {"stdin", "call"}


@pytest.mark.parametrize("name, target, source", CASES, ids=[name for name, _, _ in CASES])
def test_hostile_program_earns_nothing(docker_client, docker_runtime, name, target, source):
    HOST_MARKER.unlink(missing_ok=True)
    verdict, elapsed = _verify_then_close(PROBLEMS[target], source, docker_runtime)
    assert verdict.reward == 0.0, f"{name} earned a reward: {verdict.detail}"
    assert verdict.status is not Status.CORRECT
    assert verdict.status is not Status.ERROR, f"{name} broke the infrastructure: {verdict.detail}"
    assert elapsed < 30.0
    assert not HOST_MARKER.exists(), f"{name} wrote to the host"
    assert _our_containers(docker_client) == [], f"{name} left a container behind"
    assert _harness_processes(docker_client) == [], f"{name} left a process behind"


CONTROLS = {"stdin": "n = int(input())\nprint((n * n * 7919 + 13) % 1000003)\n",
            "call": "def mystery(x):\n    return (x * x * 7919 + 13) % 1000003\n"}


def test_reused_containers_give_the_verdicts_of_fresh_ones(docker_client):
    """The whole corpus through one container after another (the opt-in reuse mode, under runc): each
    program gets the verdict a fresh container gives it (a bomb may meet its time or its memory limit
    first, by timing alone), and a correct solution graded right after it, in the container it leaves
    behind, still passes."""
    def verifier(**options):
        return AppsVerifier(sandbox="docker", time_limit=2.0, total_time_limit=8.0,
                            sandbox_options={"pool_size": 1, **options})

    fresh, reusing = verifier(), verifier(reuse=len(CASES) * 2)
    try:
        for name, target, source in CASES:
            HOST_MARKER.unlink(missing_ok=True)
            with ThreadPoolExecutor(2) as both:  # most of a hostile run is waiting for its deadline
                expected, got = both.map(lambda v: v.verify(PROBLEMS[target], source), (fresh, reusing))
            assert got.reward == expected.reward == 0.0 and got.status is not Status.ERROR, name
            if Status.TIMEOUT not in (got.status, expected.status):  # else: which limit hit first is timing
                assert got.status is expected.status, f"{name}: {got.detail} (fresh: {expected.detail})"
            control = reusing.verify(PROBLEMS[target], CONTROLS[target])
            assert control.status is Status.CORRECT, f"after {name}: {control.detail}"
            assert not HOST_MARKER.exists(), f"{name} wrote to the host"
    finally:
        fresh.close()
        reusing.close()
    assert _our_containers(docker_client) == [], "a container outlived its verifier"

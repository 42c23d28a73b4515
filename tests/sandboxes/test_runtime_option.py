"""The docker sandbox's `runtime` option end to end: from `rest-em grade --sandbox-option` and the
apps verifier's sandbox options into a container whose kernel is gVisor's, and refused, before any
grading, where dockerd lacks the runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rest_em_apps import AppsVerifier
from rest_verify.sandbox_options import SandboxOptionError, parse_sandbox_options, with_sandbox_options
from rest_verify.types import Problem, Status
from sandboxes.doctor import GVISOR_UNAME

# The program prints the kernel it sees; the expected output is what each runtime must show.
KERNEL_PROGRAM = "```python\nimport os\nprint(os.uname().release)\n```"


def kernel_problem(release: str) -> Problem:
    return Problem(id="kernel", prompt="print the kernel release", domain="code",
                   reference={"inputs": [""], "outputs": [release + "\n"]})


def rest_em(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from rest_verify.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "REST_EM_DEBUG": ""})


def test_options_parse_as_json_when_they_can():
    assert parse_sandbox_options(["runtime=runsc", "pool_size=0", "cpus=1.5"]) == \
        {"runtime": "runsc", "pool_size": 0, "cpus": 1.5}
    with pytest.raises(SandboxOptionError, match="not KEY=VALUE"):
        parse_sandbox_options(["runsc"])


def test_a_verifier_without_a_sandbox_refuses_sandbox_options():
    class Exact:
        name = "exact"

    with pytest.raises(SandboxOptionError, match="runs no sandbox"):
        with_sandbox_options(Exact(), {"runtime": "runsc"})


@pytest.mark.docker
def test_the_verifier_runs_programs_under_the_runtime_it_is_given(docker_runtime):
    base = AppsVerifier(sandbox="docker", sandbox_options={"pool_size": 0})
    verifier = base.with_sandbox_options({"runtime": docker_runtime})
    try:
        verdict = verifier.verify(kernel_problem(GVISOR_UNAME.split()[0]), KERNEL_PROGRAM)
    finally:
        verifier.close()
    assert base.sandbox_options == {"pool_size": 0}  # the registered verifier is left as it was
    assert (verdict.status is Status.CORRECT) == (docker_runtime == "runsc"), verdict.detail


@pytest.mark.docker
def test_a_runtime_dockerd_lacks_stops_grade_before_it_grades(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"completion": KERNEL_PROGRAM, "reference": {"inputs": [""], "outputs": ["x\n"]}})
                      + "\n")
    done = rest_em("grade", str(source), "-v", "apps", "-w", "1", "--sandbox-option", "runtime=no-such-runtime",
                   "-o", str(tmp_path / "out.jsonl"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        done.stderr.strip().splitlines()[-1]]  # one line, no traceback, no progress
    assert "no runtime 'no-such-runtime'" in done.stderr and "daemon.json" in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.docker
def test_grade_takes_the_runtime_from_the_command_line(tmp_path, docker_runtime):
    source = tmp_path / "in.jsonl"
    problem = kernel_problem(GVISOR_UNAME.split()[0])
    source.write_text(json.dumps({"completion": KERNEL_PROGRAM, "reference": problem.reference}) + "\n")
    out = tmp_path / "out.jsonl"
    done = rest_em("grade", str(source), "-v", "apps", "-w", "1", "--sandbox-option", f"runtime={docker_runtime}",
                   "--sandbox-option", "pool_size=0", "-o", str(out))
    assert done.returncode == 0, done.stderr
    status = json.loads(out.read_text())["verdict"]["status"]
    assert status == ("correct" if docker_runtime == "runsc" else "wrong")
    manifest = json.loads((tmp_path / "out.jsonl.manifest.json").read_text())
    assert manifest["sandbox_options"] == {"runtime": docker_runtime, "pool_size": 0}

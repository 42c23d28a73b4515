"""Grading on a local Ray cluster (loopback only): same verdicts as the local engine, a node killed
mid-batch loses and doubles nothing, and every way a cluster cannot grade is an error before grading."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

# Ray's single-machine mode keeps a local cluster on 127.0.0.1; it is read when Ray is imported.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray")

from rest_verify.cache import open_cache  # noqa: E402
from rest_verify.engine import Grader  # noqa: E402
from rest_verify.ray_grader import RayClusterError, RayGrader, connect  # noqa: E402
from rest_verify.types import Problem  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def local_cluster():
    connect(None)
    yield
    ray.shutdown()


def math_items(count: int) -> tuple[list[Problem], list[str]]:
    problems = [Problem(id=str(i), prompt="", reference=f"\\frac{{{i}}}{{2}}", domain="math") for i in range(count)]
    completions = [f"so $\\boxed{{{i / 2 if i % 3 else i + 1}}}$" if i % 7 else "no answer" for i in range(count)]
    return problems, completions


def test_ray_verdicts_equal_the_local_backend_in_input_order():
    pytest.importorskip("rest_em_math")
    problems, completions = math_items(400)
    problems[5] = {"not": "a problem"}  # a bad item is a verdict, not an exception, on both backends
    with Grader("math", workers=2, timeout=10) as grader:
        local = grader.grade(problems, completions)
    with RayGrader("math", workers_per_node=2, timeout=10, chunk_size=16) as grader:
        remote = grader.grade(problems, completions)
    strip = lambda verdicts: [(v.status, v.reward, v.info.get("answer")) for v in verdicts]  # noqa: E731
    assert strip(remote) == strip(local)
    assert {v.status.value for v in remote} >= {"correct", "wrong", "no_answer", "invalid_input"}


def test_a_node_killed_mid_batch_has_its_chunks_rerun_never_lost_or_doubled(runtime_env, sample_verifiers):
    count = 48
    problems = [Problem(id=str(i), prompt="", reference="", domain="t") for i in range(count)]
    completions = [f"sleep:{0.15 + i * 1e-5:.5f}" for i in range(count)]  # distinct: none deduplicated
    with RayGrader(sample_verifiers.Behaving(), workers_per_node=2, timeout=10, chunk_size=4,
                   runtime_env=runtime_env()) as grader:
        pid = grader.node_reports[0]["pid"]
        killer = threading.Timer(1.0, os.kill, (pid, signal.SIGKILL))
        killer.start()
        started = time.monotonic()
        verdicts = grader.grade(problems, completions)
        killer.join()
        assert time.monotonic() - started > 1.0, "the batch finished before the node was killed"
        assert grader.resent_chunks >= 1
    # Every item graded exactly once into the output, in order, and by a surviving node.
    assert [(v.status.value, v.info.get("id"), v.detail) for v in verdicts] == [("correct", str(i), "") for i in range(count)]
    assert all(v.correct for v in verdicts)


def test_a_node_whose_pool_cannot_start_fails_every_chunk_with_the_reason_and_never_hangs(runtime_env,
                                                                                         sample_verifiers):
    problems = [Problem(id=str(i)) for i in range(40)]
    with RayGrader(sample_verifiers.BrokenInWorkers(), workers_per_node=1, timeout=10, chunk_size=8,
                   runtime_env=runtime_env()) as grader:
        with pytest.raises(ray.exceptions.RayTaskError, match="could not be loaded in a worker process"):
            grader.grade(problems, ["x"] * 40)


def test_with_every_node_dead_for_good_items_are_errors_that_say_so(runtime_env, sample_verifiers):
    problems = [Problem(id=str(i)) for i in range(12)]
    with RayGrader(sample_verifiers.Behaving(), workers_per_node=1, timeout=10, chunk_size=4,
                   runtime_env=runtime_env()) as grader:
        ray.kill(grader.nodes[0], no_restart=True)  # the local cluster's only node
        verdicts = grader.grade(problems, ["ok"] * 12)
    assert [v.status.value for v in verdicts] == ["error"] * 12
    assert all("no Ray node is left alive" in v.detail and "ActorDiedError" in v.detail for v in verdicts)


def test_nodes_not_ready_in_time_are_killed_before_the_error(tmp_path, monkeypatch, runtime_env, sample_verifiers):
    from rest_verify import ray_grader

    monkeypatch.setattr(ray_grader, "READY_TIMEOUT", 10.0)
    pid_file = tmp_path / "ready.pid"
    with pytest.raises(RayClusterError, match="did not get ready to grade within 10 s"):
        RayGrader(sample_verifiers.SlowToReady(str(pid_file), seconds=120), workers_per_node=1,
                  runtime_env=runtime_env())
    assert pid_file.exists(), "the node never reached ready(): raise READY_TIMEOUT here on this machine"
    assert ended_within(int(pid_file.read_text()), seconds=30), "the node actor outlived the start-up error"


def ended_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` is gone (or a zombie) within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.2)
    return False


def test_cache_answers_repeats_without_the_cluster(tmp_path):
    pytest.importorskip("rest_em_math")
    problems, completions = math_items(60)
    cache = tmp_path / "verdicts.sqlite"
    with RayGrader("math", workers_per_node=1, cache=str(cache), chunk_size=8) as grader:
        first = grader.grade(problems, completions)
    with RayGrader("math", workers_per_node=1, cache=str(cache), chunk_size=8) as grader:
        grader.close()  # with no node left to send to, only the cache can answer
        grader.cache = open_cache(str(cache))
        second = grader.grade(problems, completions)
    assert second == first


def test_unreachable_address_is_refused_before_grading():
    with pytest.raises(RayClusterError, match="cannot reach the Ray cluster at 127.0.0.1:1"):
        from rest_verify import ray_grader

        ray_grader._probe("127.0.0.1:1")
    with pytest.raises(RayClusterError, match="HOST:PORT"):
        ray_grader._probe("no-port-here")


def test_a_node_without_the_plugin_is_named_before_grading(runtime_env):
    pytest.importorskip("rest_em_math")
    with pytest.raises(RayClusterError, match=r"cannot run on every Ray node.*node .*no verifier named 'math'"):
        RayGrader("math", runtime_env=runtime_env(REST_EM_PLUGINS="rest-em"))


def test_a_node_without_docker_is_named_before_grading_apps(runtime_env):
    pytest.importorskip("rest_em_apps")
    with pytest.raises(RayClusterError, match=r"node .*own examples were not graded correct here: error"):
        RayGrader("apps", workers_per_node=1, runtime_env=runtime_env(DOCKER_HOST="unix:///nonexistent.sock"))


def rest_em(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from rest_verify.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", **env})


def test_cli_grades_on_ray_like_local(tmp_path):
    pytest.importorskip("rest_em_math")
    problems, completions = math_items(50)
    source = tmp_path / "answers.jsonl"
    source.write_text("".join(json.dumps({"id": p.id, "reference": p.reference, "completion": c}) + "\n"
                              for p, c in zip(problems, completions)))
    outputs = {}
    for backend in ("local", "ray"):
        out = tmp_path / f"{backend}.jsonl"
        result = rest_em("grade", str(source), "-v", "math", "-w", "1", "--backend", backend, "-o", str(out))
        assert result.returncode == 0, result.stderr
        outputs[backend] = [json.loads(line)["verdict"]["status"] for line in out.read_text().splitlines()]
        assert json.loads(Path(f"{out}.manifest.json").read_text())["backend"] == backend
    assert outputs["ray"] == outputs["local"] and len(outputs["ray"]) == 50


def test_cli_unreachable_cluster_is_one_line_exit_2(tmp_path):
    source = tmp_path / "answers.jsonl"
    source.write_text(json.dumps({"reference": "1", "completion": "1"}) + "\n")
    result = rest_em("grade", str(source), "-v", "exact", "--backend", "ray", "--address", "127.0.0.1:1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Error: cannot reach the Ray cluster at 127.0.0.1:1")
    assert "Traceback" not in result.stderr
    wrong = rest_em("grade", str(source), "-v", "exact", "--address", "127.0.0.1:1")
    assert wrong.returncode == 2 and "--backend ray only" in wrong.stderr

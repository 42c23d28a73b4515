"""Chaos on a two-node Ray cluster (loopback only): a node that dies for good mid-run leaves all of its work
to the live node, and the run still returns every item's true verdict, once, in input order."""

from __future__ import annotations

import collections
import os

import pytest

# Ray's single-machine mode keeps the cluster on 127.0.0.1; it is read when Ray is imported.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray")

from rest_verify.engine import Grader  # noqa: E402
from rest_verify.ray_grader import RayGrader  # noqa: E402
from rest_verify.types import Problem  # noqa: E402

pytestmark = pytest.mark.slow
KILL_AFTER = 6  # verdicts yielded before node 0 is killed for good: both nodes hold chunks by then


@pytest.fixture(scope="module", autouse=True)
def two_nodes():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
        cluster.wait_for_nodes(timeout=60)
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_a_node_dead_for_good_mid_run_leaves_every_item_to_the_live_node(tmp_path, runtime_env, sample_verifiers):
    count = 48
    problems = [Problem(id=str(i), reference=str(i)) for i in range(count)]  # distinct: none deduplicated
    completions = ["yes" if i % 3 else "no" for i in range(count)]
    with Grader(sample_verifiers.Recording(str(tmp_path / "local.log")), workers=1, timeout=10) as local:
        expected = local.grade(problems, completions)

    log = tmp_path / "ray.log"
    verdicts = []
    with RayGrader(sample_verifiers.Recording(str(log), pause=0.05), workers_per_node=1, timeout=10,
                   chunk_size=4, runtime_env=runtime_env()) as grader:
        assert len(grader.nodes) == 2
        killed = grader.node_reports[0]["pid"]
        for verdict in grader.grade_iter(zip(problems, completions), total=count):
            verdicts.append(verdict)
            if len(verdicts) == KILL_AFTER:
                ray.kill(grader.nodes[0], no_restart=True)
        assert list(grader.dead_nodes) == [0]
        assert grader.resent_chunks >= 1, "node 0 held no chunk when it was killed"

    # Every item's true verdict, in input order: none lost to the dead node, none an error.
    true = [(v.status.value, v.reward, v.info.get("id")) for v in expected]
    assert [(v.status.value, v.reward, v.info.get("id")) for v in verdicts] == true
    assert [v.info.get("id") for v in verdicts] == [str(i) for i in range(count)]
    # Every item graded, and none twice by the survivor: only the dead node's lost work was done again.
    graded = [line.split() for line in log.read_text().splitlines()]
    by_survivor = collections.Counter(item for item, node in graded if int(node) != killed)
    assert {item for item, _ in graded} == {str(i) for i in range(count)}
    assert max(by_survivor.values()) == 1

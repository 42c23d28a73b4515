"""The Ray grader's dispatch against a scripted stand-in for Ray: which chunk pays for a node it had killed.

A stuck chunk cannot be produced on demand on a real node (the node's own Grader kills every item at its
timeout), so these nodes are scripted: calls are answered in order, a chunk with a 'hang' item never is,
and a kill fails the calls in flight the way Ray does (ActorUnavailableError while restarts are left,
ActorDiedError after).
"""

from __future__ import annotations

import pickle
import time
from types import SimpleNamespace

import pytest

ray = pytest.importorskip("ray")

from rest_verify import ray_grader  # noqa: E402
from rest_verify.ray_grader import CHUNK_ATTEMPTS, RayGrader  # noqa: E402
from rest_verify.types import Problem, Verdict  # noqa: E402


class ScriptedCall:
    """An ObjectRef stand-in: a chunk's items, then its packed verdicts or the error Ray would raise."""

    def __init__(self, pairs: list, error: Exception | None = None):
        self.pairs, self.error, self.value = pairs, error, None

    @property
    def resolved(self) -> bool:
        return self.error is not None or self.value is not None


class ScriptedNode:
    """A NodeGrader actor as the driver sees it, with `restarts` lives left after this one."""

    def __init__(self, restarts: int):
        self.restarts, self.dead, self.kills = restarts, False, 0
        self.queue: list[ScriptedCall] = []
        self.grade = SimpleNamespace(remote=self._submit)

    def _submit(self, payload: bytes) -> ScriptedCall:
        call = ScriptedCall(list(zip(*pickle.loads(payload))))
        if self.dead:
            call.error = ray.exceptions.ActorDiedError()
        else:
            self.queue.append(call)
        return call

    def answer(self) -> None:
        """Grade calls in order until one holds a 'hang' item, as the node's single stream does."""
        while self.queue and all(completion != "hang" for _, completion in self.queue[0].pairs):
            call = self.queue.pop(0)
            call.value = pickle.dumps([Verdict.right(id=problem.id) for problem, _ in call.pairs])

    def kill(self, no_restart: bool) -> None:
        self.kills += 1
        self.dead = no_restart or self.restarts == 0
        self.restarts -= 0 if self.dead else 1
        for call in self.queue:
            call.error = (ray.exceptions.ActorDiedError() if self.dead
                          else ray.exceptions.ActorUnavailableError("restarting", None))
        self.queue = []


class ScriptedRay:
    exceptions = ray.exceptions

    def __init__(self, nodes: list[ScriptedNode]):
        self.nodes = nodes

    def wait(self, refs: list, num_returns: int, timeout: float) -> tuple[list, list]:
        for node in self.nodes:
            node.answer()
        ready = [ref for ref in refs if ref.resolved][:num_returns]
        if not ready:
            time.sleep(min(timeout, 0.02))
        return ready, [ref for ref in refs if ref not in ready]

    def get(self, ref: ScriptedCall) -> bytes:
        if ref.error is not None:
            raise ref.error
        return ref.value

    def kill(self, actor: ScriptedNode, no_restart: bool = True) -> None:
        actor.kill(no_restart)


@pytest.fixture
def scripted_grader(monkeypatch):
    """A RayGrader over one scripted node that Ray would restart CHUNK_ATTEMPTS times; deadlines in 0.1 s."""
    node = ScriptedNode(restarts=CHUNK_ATTEMPTS)
    monkeypatch.setattr(ray_grader, "connect", lambda address: (ScriptedRay([node]), False))
    monkeypatch.setattr(RayGrader, "_start_nodes", lambda self, *args: [node])
    monkeypatch.setattr(ray_grader, "CHUNK_DEADLINE_SLACK", 0.0)
    grader = RayGrader("exact", timeout=0.05, chunk_size=2)
    yield grader, node
    grader.close()


def test_only_the_stuck_chunk_pays_for_the_kills_its_overruns_cause(scripted_grader):
    grader, node = scripted_grader
    problems = [Problem(id=str(i)) for i in range(6)]
    completions = ["hang", "hang", "ok", "ok", "ok", "ok"]  # chunk 0 holds up chunks 1 and 2 behind it

    started = time.monotonic()
    verdicts = grader.grade(problems, completions)

    assert time.monotonic() - started < 30
    assert node.kills == CHUNK_ATTEMPTS and not node.dead, "only the stuck chunk's attempts were spent"
    assert [v.status.value for v in verdicts[:2]] == ["error", "error"]
    assert all("overran its deadline" in v.detail for v in verdicts[:2])
    assert [(v.status.value, v.info.get("id")) for v in verdicts[2:]] == [("correct", str(i)) for i in range(2, 6)]

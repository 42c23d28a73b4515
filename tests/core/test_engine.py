import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from rest_verify import Grader, Problem, Status, Verdict, grade, grade_iter
from rest_verify.errors import PluginError
from sample_verifiers import Behaving, Counting


def problems(n, reference="x"):
    return [Problem(id=str(i), reference=reference) for i in range(n)]


def child_pids():
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_verdicts_come_back_in_input_order_whatever_the_finishing_order():
    completions = [f"sleep:{0.05 if i % 3 == 0 else 0}" for i in range(30)]
    distinct = [Problem(id=str(i), reference=str(i)) for i in range(30)]
    verdicts = grade(distinct, completions, Behaving(), workers=2, timeout=5)
    assert [v.info["id"] for v in verdicts] == [str(i) for i in range(30)]
    assert all(v.status is Status.CORRECT for v in verdicts)


@pytest.mark.parametrize("misbehaviour", ["loop", "csleep"])
def test_a_verifier_that_never_returns_times_out_within_deadline_plus_one_second(misbehaviour):
    completions = ["ok", misbehaviour, "ok", "ok", misbehaviour, "ok"]
    start = time.monotonic()
    verdicts = grade(problems(6), completions, Behaving(), workers=2, timeout=1.0)
    wall = time.monotonic() - start
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.TIMEOUT, Status.CORRECT,
                                            Status.CORRECT, Status.TIMEOUT, Status.CORRECT]
    for verdict in (verdicts[1], verdicts[4]):
        assert verdict.reward == 0.0
        assert 1.0 <= verdict.elapsed <= 2.0
    assert wall < 2 * (1.0 + 1.0) + 1.5  # two timeouts, possibly serial, plus worker restarts


def test_collecting_in_rounds_keeps_order_and_times_each_item_from_its_own_start():
    # One worker, batches of one, the next always queued behind the current: the item after a 0.6 s
    # one gets its own full second (not what is left of the first item's), and a crash costs one item.
    completions = ["sleep:0.6", "loop", "sleep:0.6", "crash", "ok", "ok"]
    with Grader(Behaving(), workers=1, timeout=1.0, chunk_size=1, round_seconds=0.05, cache=False) as grader:
        verdicts = grader.grade(problems(6), completions)
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.TIMEOUT, Status.CORRECT,
                                            Status.ERROR, Status.CORRECT, Status.CORRECT]
    assert [v.info.get("id") for v in verdicts] == ["0", None, "2", None, "4", "5"]
    assert 1.0 <= verdicts[1].elapsed <= 1.5
    assert "exit code 3" in verdicts[3].detail


def test_exceptions_crashes_and_junk_become_verdicts_and_the_batch_goes_on():
    completions = ["raise", "ok", "crash", "segv", "junk", "ok"]
    verdicts = grade(problems(6), completions, Behaving(), workers=2, timeout=5)
    statuses = [v.status for v in verdicts]
    assert statuses == [Status.ERROR, Status.CORRECT, Status.ERROR, Status.ERROR, Status.ERROR, Status.CORRECT]
    assert verdicts[0].detail == "ValueError in verifier: bad things happened"
    assert "exit code 3" in verdicts[2].detail
    assert "signal 11" in verdicts[3].detail
    assert "not a Verdict" in verdicts[4].detail


def test_memory_limit_turns_a_hog_into_an_error_verdict():
    verdicts = grade(problems(2), ["hog", "ok"], Behaving(), workers=1, timeout=10, memory_mb=512)
    assert verdicts[0].status is Status.ERROR and "MemoryError" in verdicts[0].detail
    assert verdicts[1].status is Status.CORRECT


def test_non_text_completion_and_non_problem_give_invalid_input():
    verdicts = grade([Problem(id="a"), "not a problem"], [None, "ok"], Behaving(), workers=1)
    assert [v.status for v in verdicts] == [Status.INVALID_INPUT, Status.INVALID_INPUT]


def test_mismatched_lengths_are_a_clear_error():
    with pytest.raises(ValueError, match="different lengths"):
        grade(problems(2), ["ok"], Behaving(), workers=0)


def test_unpicklable_verifier_is_rejected_with_advice():
    class Local(Behaving):
        pass

    with pytest.raises(PluginError, match="cannot be pickled"):
        Grader(Local(), workers=1)
    assert Grader(Local(), workers=0).grade(problems(1), ["ok"])[0].correct


def test_grade_works_from_threads_and_event_loops():
    results = {}

    def in_thread():
        results["thread"] = grade(problems(4), ["ok", "loop", "ok", "ok"], Behaving(), workers=2, timeout=1)

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(30)
    assert [v.status for v in results["thread"]][:2] == [Status.CORRECT, Status.TIMEOUT]

    async def main():
        return await asyncio.to_thread(grade, problems(3), ["ok"] * 3, Behaving(), workers=1)

    assert all(v.correct for v in asyncio.run(main()))


def test_input_is_consumed_lazily_and_the_window_stays_bounded():
    consumed = 0

    def source():
        nonlocal consumed
        for i in range(5000):
            consumed += 1
            yield Problem(id=str(i)), "ok"

    with Grader(Behaving(), workers=2, chunk_size=8, cache=False) as grader:
        stream = grader.grade_iter(source())
        for count, verdict in enumerate(stream, start=1):
            assert consumed - count <= 2 * 8 * 4 + 64 + 1
            if count == 100:
                break
        stream.close()
        assert consumed < 300
        # the pool is still usable after an abandoned stream
        assert grader.grade(problems(3), ["ok"] * 3)[2].correct


def test_cache_skips_repeated_work_in_memory_and_on_disk(tmp_path):
    log = tmp_path / "calls.txt"
    items = problems(6, reference=str(log))
    completions = ["yes", "no", "yes", "yes", "no", "no"]
    db = tmp_path / "cache.sqlite"
    first = grade(items, completions, Counting(), workers=2, cache=db)
    assert sorted(log.read_text().splitlines()) == ["no", "yes"]  # duplicates wait for the first verdict
    assert [v.reward for v in first] == [1, 0, 1, 1, 0, 0]
    second = grade(items, completions, Counting(), workers=2, cache=db)
    assert second == first
    assert len(log.read_text().splitlines()) == 2  # all from disk
    with Grader(Counting(), workers=1) as grader:  # in-memory cache within one grader
        grader.grade(items[:1] * 3, ["maybe"] * 3)
    assert log.read_text().splitlines().count("maybe") == 1


def test_timeouts_are_not_cached(tmp_path):
    with Grader(Behaving(), workers=1, timeout=0.5) as grader:
        assert grader.grade(problems(1), ["sleep:1"])[0].status is Status.TIMEOUT
        grader.timeout = 5
        assert grader.grade(problems(1), ["sleep:1"])[0].status is Status.CORRECT


def test_grade_iter_streams_and_no_worker_outlives_the_grader():
    pairs = ((Problem(id=str(i)), "ok") for i in range(50))
    assert sum(v.reward for v in grade_iter(pairs, Behaving(), workers=2)) == 50
    grader = Grader(Behaving(), workers=2)
    grader.grade(problems(4), ["ok", "loop", "ok", "ok"])
    grader.timeout = 0.5
    grader.grade(problems(2), ["loop", "ok"])
    workers = {w.process.pid for w in grader._pool}
    assert len(workers) == 2 and workers <= set(child_pids())
    grader.close()
    grader.close()
    deadline = time.monotonic() + 5
    while workers & set(child_pids()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not workers & set(child_pids())


def test_verdict_elapsed_is_measured_inside_the_worker():
    verdict = grade(problems(1), ["sleep:0.2"], Behaving(), workers=1)[0]
    assert 0.2 <= verdict.elapsed < 1.0
    assert isinstance(verdict, Verdict)


def test_long_streams_never_stall_when_the_window_drains():
    pairs = ((Problem(id=str(i), reference=str(i)), "ok") for i in range(6000))
    with Grader(Behaving(), workers=2, chunk_size=2, cache=False) as grader:
        assert sum(1 for _ in grader.grade_iter(pairs)) == 6000


class Patient(Behaving):
    name = "patient"
    deadline = 3.0


def test_the_default_deadline_is_the_verifiers_own_when_it_declares_one():
    assert Grader(Patient(), workers=0).timeout == 3.0
    assert Grader(Behaving(), workers=0).timeout == 10.0
    assert Grader(Patient(), workers=0, timeout=1.5).timeout == 1.5
    verdicts = grade(problems(1), ["sleep:1.5"], Patient(), workers=1)
    assert verdicts[0].status is Status.CORRECT


def slow_source(count, gap, arrivals):
    """A producer that makes one item every `gap` seconds, noting when each became available."""
    for i in range(count):
        time.sleep(gap)
        arrivals.append(time.monotonic())
        yield Problem(id=str(i)), "ok"


def test_a_slow_producer_gets_each_verdict_soon_after_its_item():
    arrivals: list[float] = []
    with Grader(Behaving(), workers=1, cache=False) as grader:
        grader.grade(problems(2), ["ok", "ok"])  # a warm worker, as in a training run
        received = [time.monotonic() for _ in grader.grade_iter(slow_source(20, 0.1, arrivals))]
    assert len(received) == 20
    lags = [got - made for got, made in zip(received, arrivals)]
    assert lags[0] < 1.0, f"first verdict {lags[0]:.2f} s after its item"  # was 2 s: the whole input
    assert sorted(lags)[10] < 1.0


def test_a_worker_killed_while_idle_between_two_batches_of_a_stream_is_replaced():
    received: list[Verdict] = []
    killed: list[int] = []

    def idle_after_a_verdict(grader):
        return received and all(w.ready and not w.inflight for w in grader._pool)

    def source(grader):
        for i in range(100):
            give_up = time.monotonic() + (2 if i == 1 else 0)  # the first batch gets time to finish
            while not killed and i > 0:
                if idle_after_a_verdict(grader):
                    for worker in grader._pool:
                        worker.process.kill()
                        worker.process.wait()
                    killed.append(i)
                elif time.monotonic() < give_up:
                    time.sleep(0.01)
                    continue
                break
            yield Problem(id=str(i)), "ok"

    grader = Grader(Behaving(), workers=1, chunk_size=1, cache=False)
    thread = threading.Thread(target=lambda: received.extend(grader.grade_iter(source(grader))), daemon=True)
    thread.start()
    thread.join(15)
    assert not thread.is_alive(), "grading hung after an idle worker died"  # (close() would wait on it too)
    grader.close()
    assert killed, "the worker was never seen ready and idle"
    assert len(received) == 100 and all(v.correct for v in received)


def test_an_error_in_the_input_comes_after_the_verdicts_before_it():
    def source():
        yield Problem(id="0"), "ok"
        yield Problem(id="1"), "ok"
        raise KeyError("line 3 is broken")

    seen = []
    with Grader(Behaving(), workers=1, cache=False) as grader:
        with pytest.raises(KeyError, match="line 3"):
            for verdict in grader.grade_iter(source()):
                seen.append(verdict)
        assert len(seen) == 2
        assert grader.grade(problems(1), ["ok"])[0].correct


def test_verify_keeps_one_grader_for_repeated_calls_with_the_default_timeout(monkeypatch):
    import rest_verify.engine as engine

    built = []

    class Counted(engine.Grader):
        def __init__(self, *args, **kwargs):
            built.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(engine, "Grader", Counted)
    monkeypatch.setattr(engine, "_shared_graders", {})
    try:
        for answer in ("2", "3", "2"):
            engine.verify("exact", answer, "2")
        assert len(built) == 1
        assert engine.verify("exact", "2", "2", timeout=4.0).correct
        assert len(built) == 2 and built[1].timeout == 4.0
    finally:
        for grader in built:
            grader.close()


class _DrainHook:
    """Stands in for `os` in rest_verify.reader: runs `hook` once, just before `take` drains its wake-ups."""

    def __init__(self, hook):
        self._hook = hook

    def __getattr__(self, name):
        real = getattr(os, name)
        if name not in ("read", "eventfd_read"):
            return real

        def drain(*args):
            hook, self._hook = self._hook, None
            if hook is not None:
                hook()
            return real(*args)
        return drain


def test_an_item_that_arrives_while_the_engine_takes_items_is_never_left_unannounced(monkeypatch):
    import queue
    import select

    import rest_verify.reader as reader_module
    from rest_verify.reader import BoundedReader

    feed: queue.Queue = queue.Queue()

    def source():
        while (item := feed.get(timeout=10)) is not None:
            yield item

    def announced(seconds):
        return bool(select.select([reader.fileno()], [], [], seconds)[0])

    def an_item_arrives_mid_take():  # on the engine's thread, inside take(), after any reset of its state
        feed.put("first")
        assert announced(5), "the first item was never announced"

    reader = BoundedReader(source(), window=8)
    try:
        monkeypatch.setattr(reader_module, "os", _DrainHook(an_item_arrives_mid_take))
        assert reader.take() == ["first"]
        feed.put("second")
        assert announced(2), "an item sits in the reader while the engine would wait for ever"
        assert reader.take() == ["second"]
        feed.put(None)
        assert announced(2) and reader.take() == [] and reader.exhausted
    finally:
        feed.put(None)
        reader.close()


def test_the_engine_looks_again_at_its_input_even_when_no_wake_up_ever_comes(monkeypatch):
    from rest_verify.reader import BoundedReader

    silent, unused = os.pipe()  # never written: the input's wake-ups are all lost
    monkeypatch.setattr(BoundedReader, "fileno", lambda self: silent)
    received: list[Verdict] = []
    grader = Grader(Behaving(), workers=1, timeout=None, cache=False)
    grader.grade(problems(1), ["ok"])  # a warm, idle worker: nothing else will wake the engine
    stream = grader.grade_iter(slow_source(3, 0.2, []))  # items that arrive while the engine waits
    thread = threading.Thread(target=lambda: received.extend(stream), daemon=True)
    thread.start()
    thread.join(15)
    assert not thread.is_alive(), "the engine waits for ever on input whose wake-up never came"
    grader.close()  # (it would wait on the hung thread's lock)
    os.close(silent)
    os.close(unused)
    assert [v.correct for v in received] == [True] * 3


def alive(pid):
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_killed_at_its_deadline_takes_the_processes_it_started_with_it(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    verdicts = grade(problems(2), [f"orphan:{pid_file}", "ok"], Behaving(), workers=1, timeout=1.0)
    assert [v.status for v in verdicts] == [Status.TIMEOUT, Status.CORRECT]
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(grandchild):
        os.kill(grandchild, 9)
        pytest.fail("the verifier's own child outlived the worker killed at its deadline")


def test_a_verifier_reads_the_deadline_in_force_and_is_prepared_once_per_process():
    from sample_verifiers import DeadlineAware

    declared = grade(problems(3), ["a", "b", "c"], DeadlineAware(), workers=2)
    assert {(v.info["deadline"], v.info["prepared_here"]) for v in declared} == {(4.0, True)}
    given = grade(problems(1), ["a"], DeadlineAware(), workers=1, timeout=2.5)
    assert given[0].info["deadline"] == 2.5
    in_process = grade(problems(1), ["a"], DeadlineAware(), workers=0)
    assert (in_process[0].info["deadline"], in_process[0].info["prepared_here"]) == (None, True)


def test_preparing_is_not_charged_to_the_first_items_deadline():
    from sample_verifiers import DeadlineAware

    verdicts = grade(problems(2), ["a", "b"], DeadlineAware(prepare_seconds=1.5), workers=1, timeout=1.0)
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.CORRECT]


def test_a_worker_stuck_in_prepare_is_an_error_naming_the_verifier_not_a_hang(monkeypatch):
    from sample_verifiers import DeadlineAware

    monkeypatch.setattr("rest_verify.engine.START_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(PluginError, match="'deadline-aware' did not start within 1 s"):
        grade(problems(1), ["a"], DeadlineAware(prepare_seconds=60), workers=1)
    assert time.monotonic() - started < 10

"""Verifiers with deliberate misbehaviour, importable by grading workers (they unpickle these)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from pathlib import Path

from rest_verify import Problem, Verdict


class Behaving:
    """Does whatever the completion names: 'ok', 'sleep:S', 'loop', 'csleep', 'raise', 'crash', 'segv', 'junk',
    'hog', or 'orphan:PATH' (start a long `sleep`, write its pid to PATH, then loop)."""

    name = "behaving"
    version = "1"

    def verify(self, problem: Problem, completion: str) -> Verdict:
        command, _, argument = completion.partition(":")
        if command == "sleep":
            time.sleep(float(argument))
        elif command == "loop":
            while True:
                pass
        elif command == "csleep":
            ctypes.CDLL(None).sleep(600)
        elif command == "raise":
            raise ValueError("bad\nthings happened")
        elif command == "crash":
            os._exit(3)
        elif command == "segv":
            ctypes.string_at(0)
        elif command == "junk":
            return "not a verdict"  # type: ignore[return-value]
        elif command == "hog":
            _ = bytearray(8 << 30)
        elif command == "orphan":
            Path(argument).write_text(str(subprocess.Popen(["sleep", "600"]).pid))
            while True:
                pass
        return Verdict.right(echo=completion, id=problem.id)


class Counting:
    """Appends one line to the file named by the reference for every call: tests count real verifications."""

    name = "counting"
    version = "1"

    def verify(self, problem: Problem, completion: str) -> Verdict:
        with Path(problem.reference).open("a") as handle:
            handle.write(completion + "\n")
        return Verdict.right() if completion == "yes" else Verdict.wrong()


class BrokenInWorkers:
    """Loads where the Grader is built but not in its worker processes (started as `python -c`)."""

    name = "broken-in-workers"
    version = "1"

    def __reduce__(self):
        return _load_outside_workers, ()

    def verify(self, problem: Problem, completion: str) -> Verdict:
        return Verdict.right()


def _load_outside_workers() -> BrokenInWorkers:
    if sys.argv[0] == "-c":
        raise RuntimeError("this verifier cannot load in a grading worker")
    return BrokenInWorkers()


class Recording:
    """Appends `<problem id> <pid of the process that started this worker>` to `log` on every call, after
    `pause` seconds: tests count real verifications and see which Ray node made each. Right for 'yes'."""

    name = "recording"
    version = "1"

    def __init__(self, log: str, pause: float = 0.0):
        self.log, self.pause = log, pause

    def verify(self, problem: Problem, completion: str) -> Verdict:
        time.sleep(self.pause)
        self.node = getattr(self, "node", None) or os.getppid()  # read while the node lives: orphans see 1
        with Path(self.log).open("a") as handle:
            handle.write(f"{problem.id} {self.node}\n")
        return Verdict.right(id=problem.id) if completion == "yes" else Verdict.wrong(id=problem.id)


class SlowToReady(Behaving):
    """Writes the pid of the process reading its `examples` to `pid_file`, then holds that read for
    `seconds`: a Ray node that never gets ready to grade."""

    name = "slow-to-ready"

    def __init__(self, pid_file: str, seconds: float):
        self.pid_file, self.seconds = pid_file, seconds

    @property
    def examples(self) -> list:
        Path(self.pid_file).write_text(str(os.getpid()))
        time.sleep(self.seconds)
        return []


class DeadlineAware:
    """Reports the deadline in force where it runs, and whether `prepare()` ran in that process first."""

    name = "deadline-aware"
    version = "1"
    deadline = 4.0

    def __init__(self, prepare_seconds: float = 0.0):
        self.prepare_seconds = prepare_seconds
        self.prepared_in = None

    def prepare(self) -> None:
        time.sleep(self.prepare_seconds)
        self.prepared_in = os.getpid()

    def verify(self, problem: Problem, completion: str) -> Verdict:
        from rest_verify import current_deadline

        return Verdict.right(deadline=current_deadline(), prepared_here=self.prepared_in == os.getpid())


class LineCount:
    """Counts the lines of the asset its reference names (`{"table": asset(path)}`): a verifier of shared files."""

    name = "line-count"
    version = "1"

    def verify(self, problem: Problem, completion: str) -> Verdict:
        from rest_verify import read_asset

        lines = read_asset(problem.reference["table"]).decode().splitlines()
        return Verdict.right() if completion.strip() == str(len(lines)) else Verdict.wrong()

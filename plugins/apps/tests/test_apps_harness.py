"""The in-sandbox harness, run through the process backend and as a bare script."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from rest_em_apps import harness
from rest_em_apps.languages import HARNESS_ARGV, PYTHON
from rest_em_apps.reference import TestSuite
from rest_em_apps.runner import HarnessFailure, RunSettings, build_request, new_key, read_report
from rest_verify.languages import CompileStep, Language
from sandboxes.process import ProcessSandbox

PY = PYTHON


def execute(source: str, inputs: list, fn_name: str | None = None, language=PY, **settings):
    """(sandbox result, key) of running the harness on `source` through the process backend."""
    suite = TestSuite(tuple(inputs), tuple(None for _ in inputs), fn_name)
    key = new_key()
    request = build_request(source, suite, language, RunSettings(**{"time_limit": 2.0, **settings}), key)
    return ProcessSandbox().run(request), key


def run(source: str, inputs: list, fn_name: str | None = None, language=PY, **settings) -> dict:
    result, key = execute(source, inputs, fn_name, language, **settings)
    return read_report(result, key)


# ---- return values are converted to plain JSON in the child ------------------------------------------

class Liar(int):
    def __eq__(self, other):
        return True

    def __index__(self):
        return 99

    __hash__ = int.__hash__


class Anything:
    def __eq__(self, other):
        return True


class Forged:
    @property
    def __class__(self):
        return int


def test_to_plain_reads_subclasses_through_their_base_type():
    assert harness.to_plain(Liar(3)) == 3 and type(harness.to_plain(Liar(3))) is int
    assert harness.to_plain(type("F", (float,), {"__repr__": lambda s: "9.0"})(1.5)) == 1.5
    assert harness.to_plain(type("S", (str,), {"__str__": lambda s: "lie"})("ok")) == "ok"
    point = collections.namedtuple("Point", "x y")(1, 2)
    assert harness.to_plain(point) == [1, 2]
    assert harness.to_plain(collections.Counter({"a": 2})) == {"a": 2}
    assert harness.to_plain({"k": (1, [None, True, 2.5])}) == {"k": [1, [None, True, 2.5]]}


@pytest.mark.parametrize("value", [Anything(), Forged(), {1, 2}, {1: "a"}, b"x", 1j, [Anything()],
                                   {"a": object()}, range(3)])
def test_to_plain_refuses_other_objects(value):
    with pytest.raises(TypeError):
        harness.to_plain(value)


def test_to_plain_refuses_deep_and_cyclic_values():
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(TypeError):
        harness.to_plain(cyclic)


# ---- standard-input programs ------------------------------------------------------------------------

def test_each_test_gets_its_own_input_and_fresh_state():
    source = "import sys\nseen = globals().setdefault('seen', [])\nseen.append(1)\nprint(len(seen), sys.stdin.read().strip())\n"
    tests = run(source, ["a", "b\n", "c"])["tests"]
    assert [t["stdout"] for t in tests] == ["1 a\n", "1 b\n", "1 c\n"]
    assert all(t["status"] == "ok" and t["exit_code"] == 0 for t in tests)


def test_program_runs_as_main_and_may_exit():
    source = "import sys\nif __name__ == '__main__':\n    print('main')\n    sys.stdout.flush()\n    sys.exit(0)\nprint('not main')\n"
    assert run(source, [""])["tests"][0]["stdout"] == "main\n"
    assert run("print(1)\nraise SystemExit(4)\n", [""])["tests"][0]["exit_code"] == 4


def test_crash_timeout_and_skipping():
    tests = run("import sys\nx = sys.stdin.read()\nif x == 'slow':\n    while True: pass\nprint(1 // int(x))\n",
                ["1", "0", "2"])["tests"]
    assert tests[0]["status"] == "ok"
    assert tests[1]["status"] == "runtime_error" and "ZeroDivisionError" in tests[1]["stderr"]
    assert tests[2]["status"] == "skipped"
    timed = run("while True: pass\n", ["", ""], time_limit=0.5)["tests"]
    assert timed[0]["status"] == "timeout" and 0.5 <= timed[0]["elapsed"] < 1.5
    assert timed[1]["status"] == "skipped"


def test_sleeping_program_is_killed_at_the_deadline():
    tests = run("import time\ntime.sleep(30)\n", [""], time_limit=0.3)["tests"]
    assert tests[0]["status"] == "timeout" and tests[0]["elapsed"] < 1.0


def test_output_is_capped():
    report = run("import sys\nwhile True: sys.stdout.write('x' * 65536)\n", [""])
    assert report["tests"][0]["status"] == "output_limit"


def test_syntax_error_is_reported_not_run():
    report = run("def f(:\n", ["", ""])
    assert "SyntaxError" in report["compile_error"] and report["tests"] == []


def compiled_language(compiler: str) -> Language:
    """A compiled language whose "compiler" is a Python script, so the compile step runs without g++:
    it reads solution.src and writes ./solution, an executable that echoes its standard input."""
    return Language("fake", "solution.src", ("./solution",), ("fake",),
                    compile=CompileStep((sys.executable, "-c", compiler)))


ECHO_COMPILER = ("import os\nopen('solution', 'w').write('#!/bin/sh\\ncat\\n')\n"
                 "os.chmod('solution', 0o755)\n")


def test_a_compiled_language_is_compiled_once_then_run_per_test():
    report = run("anything", ["a\n", "b\n"], language=compiled_language(ECHO_COMPILER))
    assert [t["stdout"] for t in report["tests"]] == ["a\n", "b\n"]
    assert "compile_error" not in report and report["compile_elapsed"] >= 0


@pytest.mark.parametrize("compiler, seconds, expected", [
    ("import sys\nprint('solution.src:1: error: nope', file=sys.stderr)\nsys.exit(1)", 20.0,
     " failed (exit code 1):\nsolution.src:1: error: nope"),
    ("import time\ntime.sleep(30)", 0.5, "the compiler ran past its 0.5 s limit"),
    ("import sys\nwhile True: sys.stderr.write('error line\\n' * 1000)", 20.0,
     " failed (stopped after printing 65536 bytes):"),
])
def test_compile_failures_end_the_job_with_the_compilers_first_lines(compiler, seconds, expected):
    report = run("anything", ["a\n"], language=compiled_language(compiler), compile_seconds=seconds)
    assert report["tests"] == [] and expected in report["compile_error"]
    assert report["compile_elapsed"] < min(seconds, 10.0) + 1.0
    if "printing" in expected:
        assert report["compile_error"].count("error line") == harness.COMPILER_LINES


def test_forged_frames_stay_inside_the_test_output():
    forged = "RESTEM-APPS-RESULT 14\n{\"tests\": []}"
    source = ("import os\nfor fd in range(256):\n    try:\n        os.write(fd, %r.encode())\n"
              "    except OSError:\n        pass\nprint('done')\n") % forged
    report = run(source, ["", ""])
    assert len(report["tests"]) == 2
    assert all(forged in t["stdout"] and t["stdout"].endswith("done\n") for t in report["tests"])


def test_daemons_left_behind_are_killed_before_the_next_test():
    source = ("import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              "        print(os.getpid(), flush=True)\n        time.sleep(60)\n    os._exit(0)\n"
              "os.wait()\ntime.sleep(0.2)\n")
    report = run(source, [""])
    pid = int(report["tests"][0]["stdout"])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# ---- call-based programs ----------------------------------------------------------------------------

def test_call_based_returns_plain_values_and_ignores_prints():
    source = "def f(a, b):\n    print('noise')\n    return (a + b, [a], {'k': b})\n"
    tests = run(source, [[1, 2], [3, 4]], fn_name="f")["tests"]
    assert [t["value"] for t in tests] == [[3, [1], {"k": 2}], [7, [3], {"k": 4}]]


def test_leetcode_style_solution_class():
    source = "class Solution:\n    def twice(self, x):\n        return 2 * x\n"
    assert run(source, [[5]], fn_name="twice")["tests"][0]["value"] == 10


@pytest.mark.parametrize("body", [
    "import os\n    os._exit(0)",
    "import sys\n    sys.exit(0)",
    "class E:\n        def __eq__(self, o): return True\n    return E()",
    "return {1, 2}",
    "import os\n    os.write(3, b'{\"value\": 5}')\n    return E",
])
def test_call_based_misbehaviour_is_a_runtime_error(body):
    tests = run(f"def f(x):\n    {body}\n", [[1]], fn_name="f")["tests"]
    assert tests[0]["status"] == "runtime_error" and "value" not in tests[0]


def test_missing_function_is_a_runtime_error():
    tests = run("def g(x):\n    return x\n", [[1]], fn_name="f")["tests"]
    assert tests[0]["status"] == "runtime_error" and "defines no function" in tests[0]["stderr"]


# ---- another language is a table entry --------------------------------------------------------------

def test_command_mode_runs_the_table_entry():
    as_command = replace(PY, in_process=False)
    tests = run("import sys\nprint(sys.stdin.read().upper())\n", ["ab", "cd"], language=as_command)["tests"]
    assert [t["stdout"] for t in tests] == ["AB\n", "CD\n"]


# ---- the report is authenticated ------------------------------------------------------------------

def test_report_needs_the_key_of_its_own_run():
    result, key = execute("print(1)\n", [""])
    assert read_report(result, key)["tests"][0]["stdout"] == "1\n"
    with pytest.raises(HarnessFailure, match="signature") as failure:
        read_report(result, new_key())
    assert failure.value.cause == "program"


def test_tampered_report_is_refused():
    result, key = execute("print(1)\n", [""])
    forged = replace(result, stdout=result.stdout.replace(b'"stdout": "1\\n"', b'"stdout": "2\\n"'))
    assert forged.stdout != result.stdout
    with pytest.raises(HarnessFailure, match="signature"):
        read_report(forged, key)


def test_program_cannot_see_the_key():
    source = ("import gc, os, re, sys\nfound = set()\n"
              "for obj in gc.get_objects():\n"
              "    for text in ([obj] if isinstance(obj, (str, bytes)) else []):\n"
              "        if isinstance(text, bytes):\n            text = text.decode('latin-1')\n"
              "        found.update(re.findall('[0-9a-f]{64}', text))\n"
              "found.update(re.findall('[0-9a-f]{64}', sys.stdin.read()))\nprint(sorted(found))\n")
    result, key = execute(source, ["x"])
    report = read_report(result, key)
    assert report["tests"][0]["status"] == "ok" and key not in report["tests"][0]["stdout"]


def test_killed_harness_reports_nothing():
    result, key = execute("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", [""])
    with pytest.raises(HarnessFailure, match="killed before it reported") as failure:
        read_report(result, key)
    assert failure.value.cause == "program"


def test_missing_key_is_an_infrastructure_failure():
    suite = TestSuite(("",), ("",), None)
    request = replace(build_request("print(1)\n", suite, PY, RunSettings(), new_key()), stdin=b"short")
    with pytest.raises(HarnessFailure, match="no key") as failure:
        read_report(ProcessSandbox().run(request), new_key())
    assert failure.value.cause == "infrastructure"


# ---- the script stands alone ------------------------------------------------------------------------

def test_harness_runs_as_a_bare_script(tmp_path):
    suite = TestSuite(("2 3\n",), ("",), None)
    key = new_key()
    request = build_request("a, b = map(int, input().split())\nprint(a * b)\n", suite, PY, RunSettings(), key)
    for name, content in request.files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    env = {"PATH": os.environ["PATH"]}
    argv = [sys.executable if arg == "python3" else arg for arg in HARNESS_ARGV]
    done = subprocess.run(argv, cwd=tmp_path, env=env, input=key.encode(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    ready, report, trailer = done.stdout.split(b"\n", 2)
    assert ready == b"RESTEM-APPS-READY" and trailer.startswith(b"RESTEM-APPS-MAC ")
    assert json.loads(report)["tests"][0]["stdout"] == "6\n"
    assert b"rest_em" not in (tmp_path / "harness.py").read_bytes().split(b'"""', 2)[2]

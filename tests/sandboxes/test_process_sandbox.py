"""The process backend: real subprocesses, real limits, nothing left behind."""

from __future__ import annotations

import glob
import os
import tempfile
import time

import pytest

from rest_verify.errors import InvalidRecordError
from rest_verify.plugins import get_sandbox_factory
from sandboxes.base import ExecRequest, Limits
from sandboxes.process import MARKER_VARIABLE, ProcessSandbox

PY = "python3"


@pytest.fixture
def sandbox(tmp_path):
    box = ProcessSandbox(tmp_root=str(tmp_path))
    yield box
    box.close()
    assert list(tmp_path.iterdir()) == [], "a work dir outlived its run"


def run(box, code: str, stdin: bytes = b"", **limits) -> object:
    return box.run(ExecRequest({"main.py": code}, [PY, "main.py"], stdin, Limits(**limits)))


def marked_processes() -> list[int]:
    """Pids of live processes started by any ProcessSandbox run (they carry the marker variable)."""
    found = []
    for environ in glob.glob("/proc/[0-9]*/environ"):
        try:
            with open(environ, "rb") as handle:
                if any(item.startswith(MARKER_VARIABLE.encode() + b"=") for item in handle.read().split(b"\0")):
                    found.append(int(environ.split("/")[2]))
        except OSError:
            continue
    return found


def test_registered_under_its_name():
    assert get_sandbox_factory("process") is ProcessSandbox


def test_stdout_stderr_stdin_and_exit_code(sandbox):
    result = run(sandbox, "import sys\nprint(sys.stdin.read().upper())\nsys.stderr.write('oops')\nsys.exit(3)",
                 b"hello")
    assert (result.stdout, result.stderr, result.exit_code) == (b"HELLO\n", b"oops", 3)
    assert not (result.timed_out or result.truncated or result.oom_killed)
    assert result.elapsed > 0


def test_files_are_written_in_a_fresh_work_dir(sandbox):
    request = ExecRequest({"pkg/data.txt": b"\x00\xff", "main.py": "print(open('pkg/data.txt','rb').read())"},
                          [PY, "main.py"])
    assert sandbox.run(request).stdout == b"b'\\x00\\xff'\n"
    leftover = run(sandbox, "import os; print(sorted(os.listdir('.')))")
    assert leftover.stdout == b"['main.py']\n"


def test_shebang_script_is_executable(sandbox):
    result = sandbox.run(ExecRequest({"run.sh": "#!/bin/sh\necho ran\n"}, ["./run.sh"]))
    assert (result.stdout, result.exit_code) == (b"ran\n", 0)


def test_large_stdin_while_program_writes(sandbox):
    payload = os.urandom(1 << 20)
    result = run(sandbox, "import sys\ndata = sys.stdin.buffer.read()\nsys.stdout.write(str(len(data)))", payload)
    assert result.stdout == str(len(payload)).encode()


def test_missing_program_is_exit_127(sandbox):
    result = sandbox.run(ExecRequest({}, ["definitely-not-a-program-xyz"]))
    assert result.exit_code == 127 and b"No such file" in result.stderr


def test_death_by_signal_is_128_plus_signal(sandbox):
    result = run(sandbox, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert result.exit_code == 128 + 11 and not result.timed_out


def test_timeout_kills_the_whole_group_even_children_ignoring_sigterm(sandbox):
    code = ("import os, signal, time\n"
            "for _ in range(3):\n"
            "    if os.fork() == 0:\n"
            "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "        time.sleep(60)\n"
            "        os._exit(0)\n"
            "print('started', flush=True)\n"
            "time.sleep(60)\n")
    start = time.monotonic()
    result = run(sandbox, code, wall_seconds=1.0)
    assert time.monotonic() - start < 5
    assert result.timed_out and result.exit_code is None
    assert result.stdout == b"started\n"
    assert marked_processes() == []


def test_setsid_daemon_does_not_survive(sandbox):
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        time.sleep(60)\n"
            "    os._exit(0)\n"
            "print('parent done')\n")
    start = time.monotonic()
    result = run(sandbox, code)
    assert result.stdout == b"parent done\n" and result.exit_code == 0
    assert time.monotonic() - start < 5
    assert marked_processes() == []


def test_cpu_limit_reports_a_timeout(sandbox):
    result = run(sandbox, "while True: pass", wall_seconds=10.0, cpu_seconds=1.0)
    assert result.timed_out and result.elapsed < 8


def test_output_flood_is_capped_and_drained(sandbox):
    code = "import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 100000)\nsys.stderr.write('done')"
    result = run(sandbox, code, max_output_bytes=1000)
    assert result.stdout == b"x" * 1000 and result.truncated
    assert result.stderr == b"done" and result.exit_code == 0


def test_memory_limit(sandbox):
    result = run(sandbox, "x = bytearray(1 << 30)\nprint('allocated')", memory_mb=256)
    assert result.exit_code != 0 and b"allocated" not in result.stdout
    assert b"MemoryError" in result.stderr


def test_file_size_limit(sandbox):
    result = run(sandbox, "open('big', 'wb').write(b'x' * 200000)", max_file_bytes=100000)
    assert result.exit_code != 0


def test_no_core_dumps_and_minimal_environment(sandbox):
    code = ("import os, resource\n"
            "print(resource.getrlimit(resource.RLIMIT_CORE)[0])\n"
            "print(sorted(k for k in os.environ if k != 'LC_CTYPE'))")
    result = run(sandbox, code)
    expected = repr(sorted(["HOME", "LANG", "PATH", "TMPDIR", MARKER_VARIABLE])).encode()
    assert result.stdout.splitlines() == [b"0", expected]


@pytest.mark.parametrize("files, argv", [
    ({"../escape.py": ""}, [PY, "x"]),
    ({"/etc/passwd": ""}, [PY, "x"]),
    ({}, []),
    ({}, "python3 -c pass"),
])
def test_malformed_requests_are_refused(sandbox, files, argv):
    with pytest.raises(InvalidRecordError):
        sandbox.run(ExecRequest(files, argv))


def test_no_temp_dirs_left_in_default_location():
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "rest-em-run-*")))
    ProcessSandbox().run(ExecRequest({"a.py": "print(1)"}, [PY, "a.py"]))
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "rest-em-run-*"))) <= before

"""Test runner shipped INTO the sandbox as a file: runs one submission against every test input.

Standalone on purpose (standard library only, no rest-em imports): it is copied next to the solution and
started once per submission as `python3 -I harness.py job.json`, with a one-time key on its standard
input. It never sees an expected output and decides nothing; it reports what the program did, and the
host compares.

Two processes. The *signer* (the process the sandbox started) first forks the *runner*, then reads the
key, and only then lets the runner start; so no process that runs submitted code was ever forked from a
process that held the key. At the end the signer receives the runner's report through a private socket
pair (not a pipe: a pipe can be reopened through /proc/<pid>/fd by any process allowed to read that folder,
which gVisor allows even for a non-dumpable process; a socket cannot be opened that way) and writes it to the sandbox's standard output followed by `RESTEM-APPS-MAC <length> <hmac-sha256>`. Whatever
else reaches that stream (a program may find ways to write to it, e.g. through another process's
/proc/<pid>/fd) cannot carry a valid MAC, and the host only accepts the authenticated last frame.

The runner forks one child per test from its already-started interpreter (cheap: no new Python
start-up), gives it the test input as standard input, and captures its standard output and standard
error through pipes it reads itself. Every child loses the runner's descriptors (fds 0-2 replaced, every
other descriptor closed) before any submitted code runs. Both processes make themselves non-dumpable, so
no child can reach them through /proc/<pid>/mem, /proc/<pid>/fd or ptrace.

A job with a `compile` command (C++, Java, Go, Rust...) first runs it once, as a child like any test but
under its own time, memory and output limits (`compile_seconds`, `compile_memory_mb`,
`compile_output_bytes`); a failure ends the job with a
`compile_error` (the compiler's first lines, or which limit it broke) and no tests.

Two ways to run a program, chosen by the job:
- in-process Python (`"in_process": true`): the child executes the compiled solution as `__main__`
  (standard-input tests) or as module `solution` and calls `fn_name` with the test's argument list
  (call-based tests), converting the return value to plain JSON itself;
- a command (`"argv": [...]`, other languages): the child `execve`s the command with the same plumbing.

Each child gets its own process group, rlimits, and a parent-death signal; the per-test deadline kills
that group; the runner is a child subreaper, so whatever a program leaves behind (double-forked daemons
included) becomes the runner's child and is killed before the next test starts.
"""

import atexit
import builtins
import ctypes
import hashlib
import hmac
import io
import json
import os
import resource
import select
import selectors
import signal
import socket
import sys
import time
import traceback
import types

READY = b"RESTEM-APPS-READY\n"
MAC_HEADER = b"RESTEM-APPS-MAC "
KEY_BYTES = 64  # hex characters of the one-time key on standard input
KEY_WAIT_SECONDS = 10.0
RESULT_FD = 3  # the child's channel for a call-based return value
STDERR_TAIL = 2000
COMPILER_OUTPUT_BYTES = 1 << 16  # a compiler printing more than this is stopped: no program is that wrong
COMPILER_LINES = 12
_CHUNK = 1 << 16
_REAP_ROUNDS = 50

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36

# Imported once here so that every forked child finds them warm instead of importing per test.
PRELOAD = ("array", "bisect", "collections", "copy", "decimal", "fractions", "functools", "heapq", "io",
           "itertools", "math", "operator", "random", "re", "statistics", "string", "typing")


def main(argv):
    """Signer: fork the runner, read the key, release the runner, then sign and emit its report."""
    channel = os.dup(1)
    os.write(channel, READY)
    _prctl(PR_SET_DUMPABLE, 0)
    go_read, go_write = os.pipe()
    report_read, report_write = (end.detach() for end in socket.socketpair())
    runner = os.fork()
    if runner == 0:
        os.close(go_write)
        os.close(report_read)
        os.close(channel)
        os._exit(_runner(argv[1], go_read, report_write))
    os.close(go_read)
    os.close(report_write)
    key = _read_key()
    _forget_standard_input()
    if key is None:
        sys.stderr.write("harness: no key on standard input\n")
        os.kill(runner, signal.SIGKILL)
        os.waitpid(runner, 0)
        return 2
    os.write(go_write, b"go")
    os.close(go_write)
    report = _read_all(report_read)
    _, status = os.waitpid(runner, 0)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        return 3  # the runner was killed (by the program, say): nothing trustworthy to report
    mac = hmac.new(key, report, hashlib.sha256).hexdigest().encode()
    _write_all(channel, report + b"\n" + MAC_HEADER + str(len(report)).encode() + b" " + mac + b"\n")
    return 0


def _runner(job_path, go_read, report_write):
    """The runner's whole life: wait for the signer's go, run the job, send the report, exit."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _forget_standard_input()  # the key arrives on fd 0: only the signer may read it
    if os.read(go_read, 2) != b"go":
        return 1
    os.close(go_read)
    with open(job_path, "rb") as handle:
        job = json.loads(handle.read())
    _write_all(report_write, run_job(job))
    os.close(report_write)
    return 0


def _read_key():
    key = b""
    deadline = time.monotonic() + KEY_WAIT_SECONDS
    while len(key) < KEY_BYTES and time.monotonic() < deadline:
        ready, _, _ = select.select([0], [], [], max(deadline - time.monotonic(), 0))
        part = os.read(0, KEY_BYTES - len(key)) if ready else b""
        if not part:
            break
        key += part
    return key if len(key) == KEY_BYTES else None


def _forget_standard_input():
    """Put /dev/null on fd 0 before any program runs. The key came on it, and a memory file or pipe
    left there could be reopened from offset 0 through /proc/<pid>/fd/0 (gVisor allows it even for a
    non-dumpable process)."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _prctl(option, value):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def run_job(job):
    """Run every test of `job`; the encoded report (at most `total_output_bytes` of test records).

    Stops at the first test that cannot pass whatever it printed (timeout, crash, limits): the rest are
    reported as skipped, which keeps a slow submission from costing every test's full time limit.
    """
    for name in PRELOAD:
        __import__(name)
    with open(job["source_file"], "rb") as handle:
        source = handle.read()
    code = None
    if job.get("in_process"):
        try:
            code = compile(source, job["source_file"], "exec", dont_inherit=True)
        except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as exc:
            return _encode({"compile_error": _exception_line(exc), "tests": []})
    wake_read, wake_write = os.pipe()  # SIGCHLD wake-up, so waiting for a child needs no polling
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    try:
        return _run_tests(job, code, wake_read)
    finally:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.close(wake_read)
        os.close(wake_write)


def _run_tests(job, code, wake_fd):
    compile_elapsed = None
    if job.get("compile"):
        start = time.monotonic()
        error = compile_program(job, wake_fd)
        compile_elapsed = round(time.monotonic() - start, 6)
        if error is not None:
            return _encode({"compile_error": error, "compile_elapsed": compile_elapsed, "tests": []})
    deadline = time.monotonic() + float(job["total_seconds"])
    room = int(job["total_output_bytes"])
    records = []
    stop = None
    for index, test_input in enumerate(job["inputs"]):
        if stop is None and time.monotonic() >= deadline:
            stop = "the total time limit was reached"
        if stop is not None:
            records.append(_encode({"status": "skipped", "reason": stop}))
            continue
        seconds = min(float(job["time_limit"]), deadline - time.monotonic())
        try:
            result = run_test(job, code, test_input, wake_fd, seconds)
        except OSError as exc:  # pipes or processes exhausted, by an earlier test's leftovers say
            result = {"status": "error", "error": f"cannot run the test: {exc}", "elapsed": 0.0}
        record = _encode(result)
        if len(record) > room:
            result = {"status": "output_limit", "error": "the total output limit was reached",
                      "elapsed": result.get("elapsed", 0.0)}
            record = _encode(result)
        room -= len(record)
        records.append(record)
        if result["status"] != "ok":
            stop = f"test {index + 1} ended with {result['status']}"
    head = b'{"compile_elapsed": ' + _encode(compile_elapsed) + b', "tests": ['
    return head + b", ".join(records) + b"]}"


def compile_program(job, wake_fd):
    """Run the job's compile command once; None when it succeeded, else what went wrong (for people)."""
    seconds = float(job["compile_seconds"])
    cap = int(job.get("compile_output_bytes") or COMPILER_OUTPUT_BYTES)
    compile_job = dict(job, mode="stdin", argv=job["compile"], time_limit=seconds,
                       memory_mb=job["compile_memory_mb"], max_output_bytes=cap, stderr_keep="head")
    result = run_test(compile_job, None, "", wake_fd, seconds)
    if result["status"] == "ok":
        return None
    if result["status"] == "timeout":
        return f"the compiler ran past its {seconds:g} s limit"
    lines = [line for line in (result["stderr"] + "\n" + result["stdout"]).splitlines() if line.strip()]
    if result["status"] == "output_limit":
        why = f"stopped after printing {cap} bytes"
    elif result.get("signal"):
        why = f"killed by signal {result['signal']}"
    else:
        why = f"exit code {result['exit_code']}"
    return "\n".join([f"{job['compile'][0]} failed ({why}):", *lines[:COMPILER_LINES]])


def _encode(obj):
    return json.dumps(obj, ensure_ascii=True, allow_nan=True).encode("ascii")


def run_test(job, code, test_input, wake_fd, seconds):
    """Fork one child for one test and collect what it did within `seconds`."""
    mode = job["mode"]
    stdin_data = test_input.encode("utf-8", "surrogatepass") if mode == "stdin" else b""
    stdin_fd = os.memfd_create("stdin", 0)
    _write_all(stdin_fd, stdin_data)
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, result
    start = time.monotonic()
    try:
        pid = os.fork()
    except OSError:
        for fd in (stdin_fd, *[fd for pair in pipes for fd in pair]):
            os.close(fd)
        raise
    if pid == 0:
        _child(job, code, test_input, stdin_fd, pipes)  # never returns
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child already did it, or already exited
    os.close(stdin_fd)
    for pair in pipes:
        os.close(pair[1])
    readers = [pipe[0] for pipe in pipes]
    try:
        return _supervise(job, pid, readers, wake_fd, start, seconds)
    finally:
        for fd in readers:
            os.close(fd)


def _supervise(job, pid, readers, wake_fd, start, seconds):
    """Read the child's pipes until it exits, overruns its deadline or prints too much."""
    limit = int(job["max_output_bytes"])
    stderr_keep = job.get("stderr_keep", "tail")
    caps = {readers[0]: limit, readers[1]: limit if stderr_keep == "head" else STDERR_TAIL * 4, readers[2]: limit}
    keep = {readers[0]: None, readers[1]: stderr_keep, readers[2]: None}
    buffers = {fd: bytearray() for fd in readers}
    selector = selectors.DefaultSelector()
    for fd in readers:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    selector.register(wake_fd, selectors.EVENT_READ)
    deadline = start + max(seconds, 0.0)
    status = None
    try:
        wait_status = _try_wait(pid)
        while wait_status is None and status is None:
            now = time.monotonic()
            if now >= deadline:
                status = "timeout"
                break
            for key, _ in selector.select(deadline - now):
                if key.fd == wake_fd:
                    _drain(wake_fd)
                elif _collect(key.fd, buffers[key.fd], caps[key.fd], keep[key.fd]) is False:
                    selector.unregister(key.fd)
                elif keep[key.fd] != "tail" and len(buffers[key.fd]) > caps[key.fd]:
                    status = "output_limit"
            wait_status = _try_wait(pid)
        elapsed = time.monotonic() - start
        _kill_leftovers(pid)
        if wait_status is None:
            wait_status = _reap(pid)
        for fd in readers:  # what the child wrote just before it ended is still in the pipes
            if fd in selector.get_map():
                while _collect(fd, buffers[fd], caps[fd], keep[fd]) and len(buffers[fd]) <= caps[fd]:
                    pass
    finally:
        selector.close()
    return _describe(job, status, wait_status, [buffers[fd] for fd in readers], elapsed, limit)


def _collect(fd, buffer, cap, keep):
    """Append what `fd` has to `buffer`: True if it gave data, False at end of file, None if not ready.

    `keep` bounds a stream that may run long: "tail" keeps its last STDERR_TAIL bytes, "head" its first
    `cap` and one more (so the caller sees it overflow); None keeps everything (the caller enforces the
    cap).
    """
    try:
        chunk = os.read(fd, _CHUNK)
    except BlockingIOError:
        return None
    except OSError:
        return False
    if keep == "head":
        chunk = chunk[:max(cap + 1 - len(buffer), 0)]
    buffer += chunk
    if keep == "tail" and len(buffer) > cap:
        del buffer[:-STDERR_TAIL]
    return bool(chunk)


def _describe(job, status, wait_status, buffers, elapsed, limit):
    """The JSON record of one test: status, exit, captured output and, for calls, the value."""
    stdout, stderr, result = buffers
    report = {"elapsed": round(elapsed, 6)}
    if len(stdout) > limit or len(result) > limit or (job.get("stderr_keep") == "head" and len(stderr) > limit):
        status = "output_limit"
    exit_code = None
    if wait_status is not None and status is None:
        if os.WIFSIGNALED(wait_status):
            signum = os.WTERMSIG(wait_status)
            report["signal"] = signum
            status = "timeout" if signum == signal.SIGXCPU else "runtime_error"
        else:
            exit_code = os.WEXITSTATUS(wait_status)
            status = "ok" if exit_code == 0 else "runtime_error"
    report["exit_code"] = exit_code
    report["stdout"] = bytes(stdout[:limit]).decode("utf-8", "replace")
    kept = stderr[:STDERR_TAIL] if job.get("stderr_keep") == "head" else stderr[-STDERR_TAIL:]
    report["stderr"] = bytes(kept).decode("utf-8", "replace")
    if job["mode"] == "call" and status == "ok" and not result:
        status = "runtime_error"
        report["error"] = "the function never returned (the process ended first)"
    elif job["mode"] == "call" and status == "ok":
        try:
            message = json.loads(bytes(result).decode("utf-8"))
            if not isinstance(message, dict) or "value" not in message or len(message) != 1:
                raise ValueError("not a {\"value\": ...} object")
            report["value"] = message["value"]
        except (ValueError, RecursionError) as exc:
            status = "runtime_error"
            report["error"] = f"no usable return value ({_exception_line(exc)})"
    report["status"] = status
    return report


def _try_wait(pid):
    try:
        waited, wait_status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return 0
    return wait_status if waited == pid else None


def _reap(pid):
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _kill_leftovers(pid):
    """Kill the test's process group, then every process that was orphaned onto us (subreaper)."""
    _signal_group(pid)
    for _ in range(_REAP_ROUNDS):
        try:
            waited, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child of ours is left, running or dead
        if waited:
            continue
        for child in _children():
            _signal_group(child)
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.001)


def _signal_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def _children():
    me = str(os.getpid())
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[1].decode() == me:
            found.append(int(name))
    return found


def _drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _exception_line(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


# ---- in the child -----------------------------------------------------------------------------------


def _child(job, code, test_input, stdin_fd, pipes):
    """Set the child up, run the program, and leave with `os._exit` whatever happens."""
    status = 70
    try:
        _child_setup(job, stdin_fd, pipes)
        if code is None:
            argv = job["argv"]
            os.execvpe(argv[0], argv, _environment(job))
        status = _run_in_process(job, code, test_input)
    except BaseException:  # noqa: B036 -- nothing may escape into the harness's own loop
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:  # noqa: B036
            pass
        status = 1
    finally:
        os._exit(status)


def _child_setup(job, stdin_fd, pipes):
    os.setpgid(0, 0)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    (_, out_w), (_, err_w), (_, res_w) = pipes
    os.dup2(stdin_fd, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.dup2(res_w, RESULT_FD)
    os.closerange(RESULT_FD + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1 << 16)
    if job["mode"] != "call" or not job.get("in_process"):
        os.close(RESULT_FD)
    _limit(job)


def _environment(job):
    """The sandbox's environment plus the language's own, `{workdir}` naming the writable work dir."""
    here = os.getcwd()
    extra = {name: str(value).replace("{workdir}", here) for name, value in (job.get("environment") or {}).items()}
    return {**os.environ, **extra}


def _limit(job):
    """Per-process limits. The address space is left alone for runtimes that reserve far more than they
    use (JVM, Go, V8); the container's memory cgroup bounds those."""
    cpu = int(float(job["time_limit"])) + 1
    chosen = [(resource.RLIMIT_CPU, cpu), (resource.RLIMIT_FSIZE, int(job["max_file_bytes"])),
              (resource.RLIMIT_CORE, 0)]
    if job.get("limit_address_space", True):
        chosen.append((resource.RLIMIT_AS, int(job["memory_mb"]) << 20))
    for which, value in chosen:
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def _run_in_process(job, code, test_input):
    """Run the compiled solution in this (child) interpreter as `python3 solution.py` would: same
    stdio, same exit status, threads joined and atexit handlers run at the end."""
    sys.stdin = sys.__stdin__ = _text_stream(0, "r")
    sys.stdout = sys.__stdout__ = _text_stream(1, "w")
    sys.stderr = sys.__stderr__ = _text_stream(2, "w")
    sys.argv = [job["source_file"]]
    name = "__main__" if job["mode"] == "stdin" else "solution"
    module = types.ModuleType(name)
    module.__file__ = os.path.abspath(job["source_file"])
    module.__builtins__ = builtins
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
        if job["mode"] == "call":
            value = _resolve(module, job["fn_name"])(*test_input)
            _write_all(RESULT_FD, _encode({"value": to_plain(value)}))
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code) if job["mode"] == "stdin" else 1
        if job["mode"] == "call":
            sys.stderr.write("SystemExit raised instead of returning a value\n")
    except BaseException:  # noqa: B036 -- reported like the interpreter does, then the same exit
        traceback.print_exc()
        status = 1
    _finalize()
    return status


def _finalize():
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()  # wait for non-daemon threads, as interpreter shutdown does
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 -- a program's replacement stream may not flush
            pass


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int) and not isinstance(code, bool):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _text_stream(fd, mode):
    """Like the interpreter's own stdio on Linux: UTF-8, no newline translation, block-buffered."""
    raw = io.FileIO(fd, mode, closefd=False)
    buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
    errors = "surrogateescape" if mode == "r" else "backslashreplace"
    return io.TextIOWrapper(buffered, encoding="utf-8", errors=errors, newline="\n")


def _resolve(module, fn_name):
    """`fn_name` at module level, else as a method of a LeetCode-style `Solution` class."""
    target = module.__dict__.get(fn_name)
    if callable(target):
        return target
    holder = module.__dict__.get("Solution")
    if isinstance(holder, type) and callable(getattr(holder, fn_name, None)):
        return getattr(holder(), fn_name)
    raise NameError(f"the solution defines no function {fn_name!r}")


def to_plain(value, depth=0):
    """A copy of `value` made only of exact None/bool/int/float/str/list/dict, or TypeError.

    Subclasses are read through their base type's own methods (int.__index__, float.__repr__, ...), so a
    subclass cannot lie about its value, and any other object (one with an always-true __eq__, say)
    is refused rather than trusted.
    """
    if depth > 100:
        raise TypeError("return value nested more than 100 levels deep")
    kind = type(value)  # not isinstance: that one believes a forged __class__
    if value is None or value is True or value is False:
        return value
    if issubclass(kind, int):
        return int.__index__(value)
    if issubclass(kind, float):
        return float(float.__repr__(value))
    if issubclass(kind, str):
        return str.__str__(value)
    if issubclass(kind, list):
        return [to_plain(item, depth + 1) for item in list.__iter__(value)]
    if issubclass(kind, tuple):
        return [to_plain(item, depth + 1) for item in tuple.__iter__(value)]
    if issubclass(kind, dict):
        plain = {}
        for key, item in dict.items(value):
            if not issubclass(type(key), str):
                raise TypeError(f"dict key {type(key).__name__} is not a string")
            plain[str.__str__(key)] = to_plain(item, depth + 1)
        return plain
    raise TypeError(f"cannot return a {kind.__name__}: only None, bool, int, float, str, "
                    "list, tuple and dict with str keys are compared")


if __name__ == "__main__":
    sys.exit(main(sys.argv))

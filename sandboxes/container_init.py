"""pid 1 of a sandbox container: runs the programs the host sends, one request at a time.

Standalone: `sandboxes/docker.py` reads this file as text and starts it as
`python3 -I -S -c <this text> IDLE_SECONDS USES`, so it imports nothing but the standard library.

It makes itself non-dumpable first, so nothing in the container can open its /proc/1/mem or trace it
(Docker's own init would run as the sandbox user, dumpable). A request on standard input is an 8-byte
big-endian length, a JSON spec (files, argv, rlimits, token, stdin size; bytes as latin-1 text, which
maps every byte to one character and back), then the program's standard input. The files go into the
tmpfs, the standard input into a memory file the program reads to its end, and the program is forked
with the rlimits. Every process orphaned onto pid 1 is reaped until the program exits; then everything
it left behind is killed and reaped, and the exit trailer `\\0RESTEM-EXIT <token> <status> <oom kills>
<next>` becomes the last bytes of both output streams. Nothing else is alive to write after it, and only
pid 1 knows the request's token, so the host takes the result from the trailer without waiting for
Docker to notice an exit.

`<next>` is 1 when pid 1 waits for another request: only while it has uses left (USES > 1 is the
opt-in reuse mode) and only after the container was wiped and then verified clean — no process but
pid 1, empty work dirs and message queues, no System V IPC object. Anything it cannot verify ends the
container (`<next>` 0, exit with the program's status), so a dirty container is never used again. A
container waiting longer than IDLE_SECONDS exits unused (status 125, never mistaken for a program's
success), so one orphaned by a killed owner stops on its own.
"""

import ctypes
import json
import os
import resource
import select
import signal
import sys

WORK_DIRS = ("/work", "/tmp")  # the container's only writable file systems (tmpfs, mode 700)
QUEUES = "/dev/mqueue"  # POSIX message queues: the IPC namespace outlives a program
SYSV_TABLES = ("shm", "sem", "msg")
IPC_RMID = 0
UNUSED = 125

libc = ctypes.CDLL(None, use_errno=True)


def fail(message):
    sys.stderr.write("rest-em sandbox: %s\n" % message)
    os._exit(UNUSED)


def take(n):
    got = b""
    while len(got) < n:
        part = os.read(0, min(n - len(got), 1 << 20))
        if not part:
            fail("truncated request")
        got += part
    return got


def stdin_file(size):
    """The program's standard input as a memory file, read from the request stream."""
    fd = os.memfd_create("stdin")
    while size:
        part = take(min(size, 1 << 20))
        os.write(fd, part)
        size -= len(part)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def write_files(files):
    try:
        for name, text, mode in files:
            path = os.path.join("/work", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(text.encode("latin-1"))
            os.chmod(path, mode)
    except OSError as exc:
        fail("cannot write the files: %s" % exc)


def run_program(spec, stdin):
    """Fork the program and reap orphans until it exits; its status (128 + N for signal N)."""
    program = os.fork()
    if program == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.dup2(stdin, 0)
        for which, soft, hard in spec["rlimits"]:
            ceiling = resource.getrlimit(getattr(resource, which))[1]
            if ceiling != resource.RLIM_INFINITY:
                soft, hard = min(soft, ceiling), min(hard, ceiling)
            resource.setrlimit(getattr(resource, which), (soft, hard))
        os.chdir("/work")
        try:
            os.execvp(spec["argv"][0], spec["argv"])
        except OSError as exc:
            sys.stderr.write("%s: %s\n" % (spec["argv"][0], exc.strerror))
            os._exit(127 if isinstance(exc, FileNotFoundError) else 126)
    os.close(stdin)
    while True:
        pid, status = os.wait()
        if pid == program:
            break
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def kill_the_rest():
    """Kill every process but pid 1 and reap them all. Every process in the container descends from
    pid 1 (orphans are reparented to it), so no child left means no process left. Each round kills
    again, so a child forked while the previous round was delivered dies in the next."""
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.wait()
        except ChildProcessError:
            return


def oom_kills():
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as handle:
                return max([int(line.split()[1]) for line in handle if line.startswith("oom_kill ")] + [-1])
        except (OSError, ValueError, IndexError):
            continue
    return -1


def empty(directory):
    """Remove everything below `directory`, opening up any mode the program set (it owned it all)."""
    for entry in os.scandir(directory):
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, 0o700)
            empty(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)


def sysv_ids(table):
    with open("/proc/sysvipc/" + table) as handle:
        return [int(row.split()[1]) for row in handle.read().splitlines()[1:]]


def wipe():
    for directory in WORK_DIRS:
        os.chmod(directory, 0o700)
        empty(directory)
    empty(QUEUES)
    for shmid in sysv_ids("shm"):
        libc.shmctl(shmid, IPC_RMID, None)
    for semid in sysv_ids("sem"):
        libc.semctl(semid, 0, IPC_RMID)
    for msqid in sysv_ids("msg"):
        libc.msgctl(msqid, IPC_RMID, None)


def verified_clean():
    """Checked afresh after the wipe, never assumed from it."""
    others = [name for name in os.listdir("/proc") if name.isdigit() and name != "1"]
    dirs_clean = all(not os.listdir(d) and os.stat(d).st_mode & 0o7777 == 0o700 for d in WORK_DIRS)
    return (not others and dirs_clean and not os.listdir(QUEUES)
            and not any(sysv_ids(table) for table in SYSV_TABLES))


def ready_for_more():
    try:
        wipe()
        return verified_clean()
    except Exception:  # anything unexpected (a nesting too deep to remove, a missing table): not clean
        return False


def serve(spec, more_allowed):
    """Run one request; whether the container stays for another."""
    stdin = stdin_file(spec["stdin_bytes"])
    write_files(spec["files"])
    kills_before = oom_kills()
    code = run_program(spec, stdin)
    kill_the_rest()
    kills_after = oom_kills()
    kills = kills_after - kills_before if min(kills_before, kills_after) >= 0 else -1
    more = more_allowed and kills >= 0 and ready_for_more()
    trailer = ("\0RESTEM-EXIT %s %d %d %d\n" % (spec["token"], code, kills, int(more))).encode()
    for fd in (1, 2):
        try:
            os.write(fd, trailer)
        except OSError:
            pass
    if not more:
        os._exit(code)


def main():
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the only signal Python would let a program send to pid 1
    idle_seconds, uses = float(sys.argv[1]), int(sys.argv[2])
    for use in range(1, uses + 1):
        if not select.select([0], [], [], idle_seconds)[0]:
            fail("unused for %s seconds, exiting" % sys.argv[1])
        spec = json.loads(take(int.from_bytes(take(8), "big")))
        serve(spec, use < uses)


if __name__ == "__main__":  # as `python3 -c`; importing this file runs nothing
    main()

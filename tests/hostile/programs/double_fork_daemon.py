# target: stdin
# attack: double-fork a daemon that outlives the test and writes answers later
import os
import sys
import time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(600):
            try:
                os.write(1, b"42\n")
            except OSError:
                pass
            time.sleep(0.1)
    os._exit(0)
time.sleep(0.05)
sys.exit(0)

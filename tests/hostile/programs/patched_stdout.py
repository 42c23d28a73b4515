# target: stdin
# attack: swap sys.stdout for an object whose writes vanish or go to stderr
import sys


class Sink:
    def write(self, text):
        sys.__stderr__.write(text)
        return len(text)

    def flush(self):
        pass


sys.stdout = Sink()
sys.__stdout__ = Sink()
print(0)

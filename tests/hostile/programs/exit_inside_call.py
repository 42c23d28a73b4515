# target: call
# attack: leave the process from inside the called function with a clean status
import os


def mystery(x):
    os._exit(0)

# target: call
# attack: raise SystemExit(0) from the called function
import sys


def mystery(x):
    sys.exit(0)

# target: call
# attack: walk the stack frames and the garbage collector looking for expected outputs or the
# harness's result records, and patch the harness's converter to forge a "pass"
import gc
import sys


def mystery(x):
    frame = sys._getframe()
    stolen = None
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if isinstance(value, dict) and "outputs" in value:
                stolen = value["outputs"]
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and "outputs" in obj and isinstance(obj["outputs"], list):
            stolen = obj["outputs"]
    harness = sys.modules.get("__main__")
    if harness is not None and hasattr(harness, "to_plain"):
        harness.to_plain = lambda value, depth=0: True
    return stolen[0] if stolen else "not found"

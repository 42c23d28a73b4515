# target: stdin
# attack: read the harness, its job file and everything in the work dir looking for expected outputs
import json
import os
found = None
for name in os.listdir("."):
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError:
        continue
    try:
        job = json.loads(data)
    except ValueError:
        continue
    if isinstance(job, dict):
        found = job.get("outputs") or job.get("expected") or job.get("input_output")
print(found[0] if found else "nothing to steal")

#!/usr/bin/env bash
# Install gVisor's runsc (Debian package, as root) and register it with the running dockerd as runtime
# `runsc`, skipping whatever is already there. The registration is merged into /etc/docker/daemon.json
# (other keys and runtimes are kept) and dockerd reloads it on SIGHUP: it is never restarted.
# runsc needs `--network=none`: with networking on it refuses to start in the root network namespace,
# and sandbox containers have no network anyway. `--oci-seccomp` makes gVisor apply the sandbox's seccomp
# profile inside its own kernel; without it runsc ignores the profile.
set -euo pipefail

ARGS='["--network=none", "--oci-seccomp"]'
registered() { timeout 20 docker info --format '{{json .Runtimes.runsc}}' 2>/dev/null | grep -q -- '--oci-seccomp'; }

if ! command -v runsc >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "runsc-up: install runsc (apt-get install runsc, needs root), then rerun" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runsc >/dev/null
fi
registered && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "runsc-up: register runsc in /etc/docker/daemon.json (needs root), then rerun" >&2
    exit 1
fi
mkdir -p /etc/docker
python3 - "$(command -v runsc)" "$ARGS" <<'PY'
import json, os, sys
path = "/etc/docker/daemon.json"
config = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
config.setdefault("runtimes", {})["runsc"] = {"path": sys.argv[1], "runtimeArgs": json.loads(sys.argv[2])}
with open(path + ".rest-em", "w") as handle:
    json.dump(config, handle, indent=2)
os.replace(path + ".rest-em", path)
PY
pid=$(pidof dockerd || true)
[ -n "$pid" ] || { echo "runsc-up: dockerd is not running; start it with scripts/docker-up.sh" >&2; exit 1; }
kill -HUP $pid
for _ in $(seq 1 30); do registered && exit 0; sleep 1; done
echo "runsc-up: dockerd did not pick up runsc from /etc/docker/daemon.json after SIGHUP" >&2
exit 1

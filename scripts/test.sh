#!/usr/bin/env bash
# The test command of the README and of CI: install, bring up the Docker sandbox and Chromium (the viewer's
# browser tests), build the isolated environments of scripts/envs/, run the whole suite.
# Without Docker (no root, no engine) the Docker tests are skipped with the reason; under CI=true they must run.
set -uo pipefail
cd "$(dirname "$0")/.."
pip install -q -r requirements-dev.txt || exit 1
if ! bash scripts/docker-up.sh; then
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "test: Docker sandbox unavailable; its tests will be skipped" >&2
elif ! bash scripts/runsc-up.sh; then  # the second runtime: the sandbox tests run under runc and gVisor
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "test: gVisor (runsc) unavailable; the sandbox tests under runsc will be skipped" >&2
fi
if ! bash scripts/chromium-up.sh; then  # the viewer's browser tests
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "test: Chromium unavailable; the viewer's browser tests will be skipped" >&2
fi
for setup in scripts/envs/*.sh; do
    [ -e "$setup" ] || continue
    if ! bash "$setup"; then
        if [ -n "${CI:-}" ]; then echo "test: $setup failed" >&2; exit 1; fi
        echo "test: $setup failed; the tests needing it will be skipped" >&2
    fi
done
python -m pytest "$@"

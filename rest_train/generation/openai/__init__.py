"""The `openai` backend: sampling from OpenAI-compatible servers (vllm serve, llama.cpp, TGI)."""

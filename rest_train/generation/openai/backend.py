"""Factory of the `openai` generator backend, registered by `rest_train.plugin`.

Kept apart from `rest_train.generation.openai.generator` so that loading plugins (every `rest-em` command) does not
import the HTTP client; it is imported when a run actually asks for this backend.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence

from rest_train.config import ConfigError

if TYPE_CHECKING:
    from rest_train.generation.openai.generator import OpenAIGenerator


class OpenAIBackend:
    """Factory of the `openai` backend. Options come from `[generation.options]` in the run config."""

    name = "openai"

    def __call__(self, model_path: str, device: str = "auto", *, batch_size: int = 64, dtype: str = "auto",
                 progress: bool | None = None, base_urls: str | Sequence[str] = (),
                 endpoint: str = "completions", model: str | None = None, concurrency: int = 8,
                 timeout: float = 600.0, attempts: int = 6, backoff: float = 0.5,
                 samples_per_request: int | None = None, system_prompt: str | None = None,
                 send_seed: bool = True, api_key_env: str | None = None) -> "OpenAIGenerator":
        # `device`, `batch_size` and `dtype` describe local backends; a server decides where and in which
        # numeric type it computes, and how it batches.
        from rest_train.generation.openai.generator import OpenAIGenerator

        headers = {"Authorization": f"Bearer {_api_key(api_key_env)}"} if api_key_env else {}
        return OpenAIGenerator(
            model or model_path, base_urls=[base_urls] if isinstance(base_urls, str) else list(base_urls),
            endpoint=endpoint, concurrency=concurrency, timeout=timeout,
            attempts=attempts, backoff=backoff, samples_per_request=samples_per_request,
            system_prompt=system_prompt, send_seed=send_seed, headers=headers, progress=progress)


def _api_key(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(f"environment variable {variable} (generation.options.api_key_env) is not set")
    return value

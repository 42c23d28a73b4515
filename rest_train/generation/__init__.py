"""Generation backends: what the E-step and evaluation sample from.

A backend is a factory registered through `register_generators`. The loop calls it as
`factory(model_path, device=..., batch_size=..., progress=..., dtype=..., **generation.options)`, `dtype`
being `model.dtype` (one of rest_verify.dtypes.DTYPES; a backend that computes elsewhere, like a server,
ignores it); it returns an
object with `generate(prompts, n, sampling) -> list[list[str]]` (n completions per prompt, in prompt
order, `sampling` a `Sampling`), optionally `generate_stream(prompts, n, sampling)` yielding
`(prompt index, its n completions)` as each prompt finishes, in any order, so that the loop grades them
while generation goes on, and optionally `close()`. The built-in `transformers`
backend imports torch only when a generator is made, so loading plugins stays cheap; vLLM or an
OpenAI-compatible server plug in the same way.
"""

from rest_train.generation.base import (GenerationError, PromptRefused, Sampling, adds_special_tokens,
                                       truncate_at_stop)

__all__ = ["GenerationError", "PromptRefused", "Sampling", "adds_special_tokens", "truncate_at_stop"]


def __getattr__(name: str) -> object:  # the flat layout's rest_train.generation module
    from rest_train._moved import moved_attribute

    return moved_attribute("rest_train.generation", "rest_train.generation.transformers", name)

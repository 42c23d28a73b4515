"""What every generation backend shares: the sampling settings, the errors, and the rules for stop strings
and special tokens. Backends are registered through `register_generators`; the contract is in
rest_train/generation/__init__.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from rest_verify.errors import RestEmError



class GenerationError(RestEmError):
    """The inference engine could not start, or could not generate for a prompt; the message says why."""


class PromptRefused(GenerationError):
    """The backend refused one prompt (too long for the model's context, say); the others are fine.

    It names the prompt by its index in the backend's call. A caller that handed the backend only some
    of its prompts (a resumed stage) renames it with `renamed`, so the message points at the right one.
    """

    def __init__(self, index: int, reason: str, model: str, name: str | None = None):
        self.index, self.reason, self.model = index, reason, model
        label = f"prompt {index}" if name is None else f"prompt {index} (problem {name!r})"
        super().__init__(f"{label} {reason} [model {model}]")

    def renamed(self, index: int, name: str) -> "PromptRefused":
        return PromptRefused(index, self.reason, self.model, name)


@dataclass(frozen=True)
class Sampling:
    """How to sample: the paper's knobs plus the seed that makes a stage reproducible."""

    temperature: float = 1.0
    top_k: int = 40
    top_p: float = 1.0
    max_new_tokens: int = 512
    stop: tuple[str, ...] = ()
    seed: int = 0


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text before the first stop string (a stop string itself is never part of a completion)."""
    cut = min((index for index in (text.find(s) for s in stop if s) if index >= 0), default=len(text))
    return text[:cut]


def adds_special_tokens(tokenizer: Any, prompt: str) -> bool:
    """Whether tokenising `prompt` should add the tokenizer's special tokens: not when the prompt already
    begins with BOS, as a prompt rendered by a chat template does (a second BOS degrades the model)."""
    bos = tokenizer.bos_token
    return not (bos and prompt.startswith(bos))



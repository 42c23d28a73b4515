"""Prompts for instruct models: the problem as a user turn, rendered by the tokenizer's own chat template.

An instruct model answers well only in the conversation format it was tuned on, so with `chat.template`
on, the loop renders [system?, few-shot user/assistant turns..., user: problem.prompt] and the model
writes the assistant turn. The improve step must then learn exactly that turn: the completion plus the
marker that closes it (`end_of_turn`), and nothing of the prompt.
"""

from __future__ import annotations

from typing import Any, Sequence

from rest_train.config import ChatConfig, ConfigError

# Stands for an assistant message while finding what the template writes after one.
_PROBE = "\x00rest-em-assistant-turn\x00"


class ChatFormat:
    """Renders problems as chat prompts with one tokenizer's template."""

    def __init__(self, tokenizer: Any, config: ChatConfig):
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError("chat.template is on, but the model's tokenizer has no chat template "
                              "(a base model: turn chat.template off)")
        self.tokenizer = tokenizer
        self.preamble: list[dict[str, str]] = [{"role": "system", "content": config.system}] if config.system else []
        for shot in config.shots:
            self.preamble += [{"role": "user", "content": shot["user"]},
                              {"role": "assistant", "content": shot["assistant"]}]

    @classmethod
    def for_model(cls, model_path: str, config: ChatConfig) -> "ChatFormat":
        from transformers import AutoTokenizer

        return cls(AutoTokenizer.from_pretrained(model_path), config)

    def render(self, user_text: str) -> str:
        """The prompt text, ending where the assistant's answer begins."""
        messages = self.preamble + [{"role": "user", "content": user_text}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def end_of_turn(tokenizer: Any) -> str:
    """What the chat template writes right after an assistant message (e.g. `<|im_end|>`), trailing
    whitespace removed: the completion-only loss teaches the model to close its turn with it."""
    messages: Sequence[dict[str, str]] = [{"role": "user", "content": "question"},
                                          {"role": "assistant", "content": _PROBE}]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False)
    if _PROBE not in rendered:
        raise ConfigError("the chat template does not write the assistant's message as given; "
                          "chat.template cannot be used with it")
    suffix = rendered.split(_PROBE, 1)[1].rstrip()
    return suffix or (tokenizer.eos_token or "")

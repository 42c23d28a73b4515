"""Chat-template prompts and the completion-only labels of the improve step under them."""

from __future__ import annotations

import pytest

from rest_train.generation.chat import ChatFormat, end_of_turn
from rest_train.config import ChatConfig, ConfigError, from_dict
from rest_train.training.finetune import IGNORE_INDEX, encode_example
from rest_train.models.tiny import build_tokenizer

# Built by scripts/envs/vllm.sh: SmolLM2-135M-Instruct, a real chat template (ChatML with a default system turn).
SMOLLM2 = "models/smollm2-135m-instruct"


@pytest.fixture
def smollm2_tokenizer(isolated_env):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(isolated_env / SMOLLM2)


@pytest.mark.isolated_env("vllm")
def test_labels_cover_exactly_the_assistant_turn_token_by_token(smollm2_tokenizer):
    tokenizer = smollm2_tokenizer
    config = ChatConfig(template=True, system="Answer with the sum only.",
                        shots=[{"user": "What is 10 + 20?", "assistant": "30"}])
    prompt = ChatFormat(tokenizer, config).render("What is 12 + 30?")
    completion = "12 + 30 = 42"
    example = encode_example(tokenizer, prompt, completion, max_length=512, end_of_turn=end_of_turn(tokenizer))

    # The training sequence is the template's own rendering of the whole conversation, token for token
    # (the template's newline after the closing marker is not part of the answer).
    conversation = [{"role": "system", "content": config.system},
                    {"role": "user", "content": "What is 10 + 20?"}, {"role": "assistant", "content": "30"},
                    {"role": "user", "content": "What is 12 + 30?"}, {"role": "assistant", "content": completion}]
    rendered = tokenizer.apply_chat_template(conversation, tokenize=False)
    assert rendered.endswith("<|im_end|>\n")
    expected_ids = tokenizer(rendered.removesuffix("\n"), add_special_tokens=False)["input_ids"]
    assert example["input_ids"] == expected_ids

    prompt_length = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    for position, (token, label) in enumerate(zip(example["input_ids"], example["labels"])):
        piece = tokenizer.decode([token])
        if position < prompt_length:
            assert label == IGNORE_INDEX, f"prompt token {position} {piece!r} is trained on"
        else:
            assert label == token, f"answer token {position} {piece!r} is not trained on"
    # The shot's answer and the system text are prompt: no label reaches them.
    assert tokenizer.decode(example["input_ids"][:prompt_length]).endswith("<|im_start|>assistant\n")
    learned = [label for label in example["labels"] if label != IGNORE_INDEX]
    assert tokenizer.decode(learned) == completion + "<|im_end|>"
    assert learned[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>")


@pytest.mark.isolated_env("vllm")
def test_rendered_prompt_is_the_templates_generation_prompt(smollm2_tokenizer):
    prompt = ChatFormat(smollm2_tokenizer, ChatConfig(template=True)).render("What is 2 + 3?")
    assert prompt.startswith("<|im_start|>system\n")  # the template's default system turn
    assert prompt.endswith("<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n")
    # Already carrying its special tokens, the prompt gets no second BOS when tokenised for training.
    example = encode_example(smollm2_tokenizer, prompt, "5", max_length=512, end_of_turn="<|im_end|>")
    assert example["input_ids"][0] == smollm2_tokenizer.convert_tokens_to_ids("<|im_start|>")
    assert example["input_ids"][1] != example["input_ids"][0]


def test_a_tokenizer_without_template_is_a_config_error():
    with pytest.raises(ConfigError, match="no chat template"):
        ChatFormat(build_tokenizer("abc"), ChatConfig(template=True))


def test_shots_need_user_and_assistant():
    with pytest.raises(ConfigError, match=r"chat.shots\[0\]"):
        from_dict({"chat": {"template": True, "shots": [{"user": "hi"}]}})
    config = from_dict({"chat": {"template": True, "system": "Be brief.",
                                 "shots": [{"user": "1+1?", "assistant": "2"}]}})
    assert config.chat.shots == [{"user": "1+1?", "assistant": "2"}]

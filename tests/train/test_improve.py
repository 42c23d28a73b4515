"""The M-step: completion-only labels, the weighted loss, and a real fine-tuning run."""

from __future__ import annotations

import json

import pytest
import torch

from rest_train.config import ConfigError, TrainConfig
from rest_train.training.finetune import (IGNORE_INDEX, TRAINING_RECORD, PadCollator, encode_example, finetune,
                                weighted_token_loss)
from rest_train.models.tiny import build_model, build_tokenizer, save_random_model

ALPHABET = "Q: Answer0123456789+-=\n"


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer(ALPHABET)


def test_prompt_tokens_are_masked_and_completion_ends_with_eos(tokenizer):
    prompt, completion = "Q: 1+2\n", "1+2=3\nAnswer: 3"
    example = encode_example(tokenizer, prompt, completion, max_length=64)
    prompt_length = len(tokenizer(prompt)["input_ids"])
    assert example["labels"][:prompt_length] == [IGNORE_INDEX] * prompt_length
    assert example["labels"][prompt_length:] == example["input_ids"][prompt_length:]
    assert example["input_ids"][-1] == tokenizer.eos_token_id
    assert tokenizer.decode(example["input_ids"][prompt_length:], skip_special_tokens=True) == completion


def test_truncation_keeps_the_prompt_and_drops_examples_with_nothing_to_learn(tokenizer):
    example = encode_example(tokenizer, "Q: 1+2\n", "1+2=3\nAnswer: 3", max_length=10)
    assert len(example["input_ids"]) == len(example["labels"]) == 10
    assert encode_example(tokenizer, "Q: 1+2+3+4\n", "x", max_length=5) is None


def test_collator_pads_ids_labels_and_mask(tokenizer):
    features = [encode_example(tokenizer, "Q: 1\n", "1", 64, weight=0.5),
                encode_example(tokenizer, "Q: 12+3\n", "12+3=15", 64)]
    batch = PadCollator(tokenizer.pad_token_id)(features)
    width = len(features[1]["input_ids"])
    assert batch["input_ids"].shape == batch["labels"].shape == batch["attention_mask"].shape == (2, width)
    short = len(features[0]["input_ids"])
    assert (batch["labels"][0, short:] == IGNORE_INDEX).all()
    assert (batch["attention_mask"][0, short:] == 0).all()
    assert batch["weights"].tolist() == [0.5, 1.0]


def test_unit_weights_give_the_standard_causal_lm_loss(tokenizer):
    model = build_model(tokenizer, layers=1, width=16, heads=2, context=32)
    features = [encode_example(tokenizer, "Q: 1+2\n", "1+2=3", 32), encode_example(tokenizer, "Q: 9\n", "9", 32)]
    batch = PadCollator(tokenizer.pad_token_id)(features)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          labels=batch["labels"]).loss
        ours = weighted_token_loss(logits, batch["labels"], torch.ones(2))
        half = weighted_token_loss(logits, batch["labels"], torch.full((2,), 0.5))
        only_first = weighted_token_loss(logits, batch["labels"], torch.tensor([1.0, 0.0]))
        first_alone = weighted_token_loss(logits[:1], batch["labels"][:1], torch.ones(1))
    assert ours.item() == pytest.approx(reference.item(), rel=1e-5)
    assert half.item() == pytest.approx(ours.item() / 2, rel=1e-5)
    tokens = (batch["labels"][:, 1:] != IGNORE_INDEX).sum(dim=1)
    # a zero weight removes an example's tokens from the numerator, not from the token count
    expected = first_alone.item() * tokens[0].item() / tokens.sum().item()
    assert only_first.item() == pytest.approx(expected, rel=1e-5)


def test_finetune_lowers_the_loss_and_saves_a_loadable_checkpoint(tmp_path):
    from transformers import AutoModelForCausalLM

    initial = save_random_model(tmp_path / "init", alphabet=ALPHABET, layers=1, width=32, heads=2, context=32)
    examples = [{"prompt": f"Q: {a}+1\n", "completion": f"{a}+1={a + 1}\nAnswer: {a + 1}", "reward": 1.0}
                for a in range(8)]
    record = finetune(initial, examples, tmp_path / "out", TrainConfig(learning_rate=3e-3, epochs=3, batch_size=4,
                                                                       max_length=32), seed=0, device="cpu",
                      progress=False)
    assert record["examples"] == 8 and record["steps"] == 6 and record["train_loss"] > 0
    assert json.loads((tmp_path / "out" / TRAINING_RECORD).read_text())["examples"] == 8
    AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    assert not any("partial" in p.name for p in tmp_path.iterdir())


def test_no_examples_keeps_the_initial_model(tmp_path):
    initial = save_random_model(tmp_path / "init", alphabet=ALPHABET, layers=1, width=16, heads=2, context=32)
    record = finetune(initial, [], tmp_path / "out", TrainConfig(), seed=0, device="cpu", progress=False)
    assert record["examples"] == 0 and record["steps"] == 0
    assert (tmp_path / "out" / "model.safetensors").read_bytes() == (initial / "model.safetensors").read_bytes()


def test_unknown_trainer_args_are_a_config_error(tmp_path):
    initial = save_random_model(tmp_path / "init", alphabet=ALPHABET, layers=1, width=16, heads=2, context=32)
    examples = [{"prompt": "Q: 1\n", "completion": "1", "reward": 1.0}]
    with pytest.raises(ConfigError, match="trainer_args"):
        finetune(initial, examples, tmp_path / "out", TrainConfig(trainer_args={"no_such_option": 1}), seed=0,
                 device="cpu", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("dtype, expected", [("auto", torch.float32), ("bfloat16", torch.bfloat16),
                                             ("float16", torch.float32)])  # fp16 trains float32 weights
def test_finetune_trains_in_the_chosen_dtype_and_records_it(tmp_path, dtype, expected):
    from transformers import AutoModelForCausalLM

    initial = save_random_model(tmp_path / "init", alphabet=ALPHABET, layers=1, width=16, heads=2, context=32)
    examples = [{"prompt": "Q: 1\n", "completion": "1+1=2", "reward": 1.0}]
    record = finetune(initial, examples, tmp_path / "out", TrainConfig(epochs=1, batch_size=1, max_length=32),
                      seed=0, device="cpu", dtype=dtype, progress=False)
    assert record["dtype"] == ("float32" if dtype == "auto" else dtype) and record["steps"] == 1
    assert AutoModelForCausalLM.from_pretrained(tmp_path / "out").dtype == expected

"""Tiny checkpoints built here (no downloads): a random one-logit GPT-2 classifier and a causal LM."""

from __future__ import annotations

import string
from pathlib import Path

import pytest


def char_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(["<pad>", "<eos>", "<unk>"] + sorted(set(string.printable)))}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def save_tiny(path: Path, head: str, *, context: int = 64, seed: int = 0) -> Path:
    import torch
    import transformers

    tokenizer = char_tokenizer()
    config = transformers.GPT2Config(vocab_size=len(tokenizer), n_positions=context, n_embd=32, n_layer=2, n_head=2,
                                     num_labels=1, pad_token_id=tokenizer.pad_token_id,
                                     eos_token_id=tokenizer.eos_token_id,
                                     bos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(seed)
    getattr(transformers, head)(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="package", autouse=True)
def single_torch_thread():
    """Tiny models gain nothing from more threads, and extra threads stall a shared machine."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def reward_model(tmp_path_factory) -> Path:
    return save_tiny(tmp_path_factory.mktemp("rm") / "classifier", "GPT2ForSequenceClassification")


@pytest.fixture(scope="session")
def causal_lm(tmp_path_factory) -> Path:
    return save_tiny(tmp_path_factory.mktemp("rm") / "causal", "GPT2LMHeadModel")


@pytest.fixture(scope="session")
def other_lm(tmp_path_factory) -> Path:
    """A second causal LM on the same vocabulary, with other weights: a reference to score against."""
    return save_tiny(tmp_path_factory.mktemp("rm") / "other", "GPT2LMHeadModel", seed=1)


@pytest.fixture
def tiny_checkpoint():
    """`save_tiny` itself, for a test that needs a checkpoint of its own to change."""
    return save_tiny

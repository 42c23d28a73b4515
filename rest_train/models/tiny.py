"""Small models built here from nothing: a character-level tokenizer and a tiny causal LM.

Used by the demo (which pre-trains one from scratch) and by tests (which need a real checkpoint
without downloading one). The tokenizer is a `tokenizers` word-level model over single characters,
wrapped as a `PreTrainedTokenizerFast`, so it saves and loads with the model like any other.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
PRINTABLE = "".join(sorted(set(string.printable) - set("\t\r\x0b\x0c")))


def build_tokenizer(alphabet: str = PRINTABLE) -> Any:
    """One token per character of `alphabet` (others map to <unk>); decoding concatenates characters."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    characters = sorted(set(alphabet))
    vocab = {token: index for index, token in enumerate([PAD, EOS, UNK] + characters)}
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token=PAD, eos_token=EOS, unk_token=UNK)


def build_model(tokenizer: Any, *, layers: int = 2, width: int = 128, heads: int = 4, context: int = 128,
                seed: int = 0) -> Any:
    """A randomly initialised GPT-2-style causal LM sized for `tokenizer`, reproducible from `seed`."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=len(tokenizer), n_positions=context, n_embd=width, n_layer=layers,
                        n_head=heads, bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(seed)
    return GPT2LMHeadModel(config)


def save_random_model(path: Path, *, alphabet: str = PRINTABLE, seed: int = 0, **sizes: Any) -> Path:
    """Write a random tiny model and its tokenizer to `path`; returns `path`."""
    tokenizer = build_tokenizer(alphabet)
    model = build_model(tokenizer, seed=seed, **sizes)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return Path(path)

"""Train a small reward model here: a sequence classifier fitted to verifier-labelled samples.

The model reads exactly what the `rm` plugin's scorer feeds it, `tokenizer(prompt, completion)` (the
problem's prompt and the completion as a text pair), and learns the verifier's 0/1 label by regression,
so its score reads as the probability that a sample is correct. The demo uses it to show ReST with a
learned reward, and where that reward is fooled.
"""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path
from typing import Any, Mapping, Sequence

from rest_train.config import TrainConfig
from rest_train.files import atomic_directory, write_json
from rest_train.generation import resolve_device

RECORD = "rest_em_reward_model.json"


def build_reward_model(tokenizer: Any, *, layers: int, width: int, heads: int, context: int, seed: int) -> Any:
    """A randomly initialised GPT-2 sequence classifier with one output (the score), sized for `tokenizer`."""
    import torch
    from transformers import GPT2Config, GPT2ForSequenceClassification

    config = GPT2Config(vocab_size=len(tokenizer), n_positions=context, n_embd=width, n_layer=layers,
                        n_head=heads, num_labels=1, problem_type="regression",
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(seed)
    return GPT2ForSequenceClassification(config)


class _PairCollator:
    """Encodes (prompt, completion) pairs as the scorer does, right-padded, with float labels."""

    def __init__(self, tokenizer: Any, max_length: int):
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __call__(self, examples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        import torch

        batch = self.tokenizer([e["prompt"] for e in examples], [e["completion"] for e in examples],
                               truncation="longest_first", max_length=self.max_length, padding=True,
                               return_tensors="pt")
        batch["labels"] = torch.tensor([float(e["label"]) for e in examples])
        return dict(batch)


def split_examples(examples: Sequence[Mapping[str, Any]], held_out: float,
                   seed: int) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Examples split by problem, so the held-out accuracy measures problems the model never saw."""
    problems = sorted({e["problem_id"] for e in examples})
    random.Random(seed).shuffle(problems)
    unseen = set(problems[:math.ceil(held_out * len(problems))])
    return ([e for e in examples if e["problem_id"] not in unseen], [e for e in examples if e["problem_id"] in unseen])


def train_reward_model(examples: Sequence[Mapping[str, Any]], tokenizer: Any, model: Any, output: Path,
                       config: TrainConfig, *, seed: int, device: str = "cpu", held_out: float = 0.2,
                       progress: bool | None = None) -> dict[str, Any]:
    """Fit `model` to `examples` (prompt, completion, label in {0, 1}, problem_id) and save it at `output`.

    A share `held_out` of the problems is kept aside; the record (also `output/rest_em_reward_model.json`)
    gives the accuracy there at score 0.5, the honest measure of how far the reward can be trusted.
    """
    import torch
    from transformers import Trainer, TrainingArguments

    train, unseen = split_examples(examples, held_out, seed)
    with atomic_directory(output) as temporary:
        args = TrainingArguments(
            output_dir=str(temporary / "trainer-scratch"), num_train_epochs=config.epochs,
            learning_rate=config.learning_rate, per_device_train_batch_size=config.batch_size,
            warmup_steps=int(config.warmup_ratio * math.ceil(len(train) / config.batch_size) * config.epochs),
            seed=seed, data_seed=seed, save_strategy="no", report_to="none", logging_strategy="no",
            disable_tqdm=None if progress is None else not progress, use_cpu=resolve_device(device) == "cpu",
            remove_unused_columns=False, dataloader_num_workers=0)
        collate = _PairCollator(tokenizer, config.max_length)
        result = Trainer(model=model, args=args, train_dataset=list(train), data_collator=collate).train()
        model.eval()
        correct = 0
        with torch.inference_mode():
            for start in range(0, len(unseen), 256):
                batch = collate(unseen[start:start + 256])
                labels = batch.pop("labels")
                scores = model(**{k: v.to(model.device) for k, v in batch.items()}).logits[:, 0].cpu()
                correct += int(((scores >= 0.5).float() == labels).sum())
        record = {"examples": len(train), "held_out": len(unseen), "positive_share": sum(e["label"] for e in train)
                  / max(len(train), 1), "held_out_accuracy": correct / len(unseen) if unseen else None,
                  "train_loss": result.training_loss}
        model.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
        shutil.rmtree(temporary / "trainer-scratch", ignore_errors=True)
        write_json(temporary / RECORD, record)
    return record

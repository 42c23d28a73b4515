"""The M-step: fine-tune a causal LM on kept (prompt, completion) pairs with the loss on completions only.

Prompt tokens get label -100, so the model learns to solve, not to reproduce questions it is given.
The Hugging Face Trainer does the optimisation, so accelerate, DeepSpeed and FSDP settings pass through
`TrainConfig.deepspeed` and `TrainConfig.trainer_args` unchanged: that is how a run grows past one machine.
Under a launcher every rank calls `finetune` and trains; only rank 0 writes the checkpoint's files.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from rest_train.run import ranks as distributed
from rest_train.training import adapters
from rest_train.generation.chat import end_of_turn
from rest_train.config import ConfigError, TrainConfig
from rest_verify.dtypes import resolve_device, resolve_dtype, torch_dtype, training_setup
from rest_train.run.files import write_json
from rest_train.generation import adds_special_tokens

IGNORE_INDEX = -100
TRAINING_RECORD = "rest_em_training.json"


def encode_example(tokenizer: Any, prompt: str, completion: str, max_length: int,
                   weight: float = 1.0, end_of_turn: str | None = None) -> dict[str, Any] | None:
    """Token ids and labels for one pair; None when truncation leaves no completion token to learn.

    Prompt and completion are tokenised separately, exactly as generation sees them (the prompt alone,
    then new tokens). The completion ends with what closes the model's answer, so the model learns where
    to stop: `end_of_turn` for a chat-template prompt (the prompt is then the whole conversation so far,
    special tokens included), else EOS.
    """
    prompt_ids = tokenizer(prompt, add_special_tokens=adds_special_tokens(tokenizer, prompt))["input_ids"]
    if end_of_turn is not None:
        completion_ids = tokenizer(completion + end_of_turn, add_special_tokens=False)["input_ids"]
    else:
        completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        if tokenizer.eos_token_id is not None:
            completion_ids = completion_ids + [tokenizer.eos_token_id]
    input_ids = (prompt_ids + completion_ids)[:max_length]
    labels = ([IGNORE_INDEX] * len(prompt_ids) + completion_ids)[:max_length]
    if all(label == IGNORE_INDEX for label in labels):
        return None
    return {"input_ids": input_ids, "labels": labels, "weight": float(weight)}


class PadCollator:
    """Right-pads a batch: ids with the pad token, labels with -100, and carries per-example weights."""

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        ids, labels, mask = [], [], []
        for feature in features:
            padding = width - len(feature["input_ids"])
            ids.append(list(feature["input_ids"]) + [self.pad_token_id] * padding)
            labels.append(list(feature["labels"]) + [IGNORE_INDEX] * padding)
            mask.append([1] * len(feature["input_ids"]) + [0] * padding)
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels),
                "attention_mask": torch.tensor(mask),
                "weights": torch.tensor([float(f["weight"]) for f in features])}


def weighted_token_loss(logits: Any, labels: Any, weights: Any, normaliser: Any = None) -> Any:
    """Mean next-token NLL over completion tokens, each example's tokens scaled by its weight.

    With all weights 1 this is the standard causal-LM loss (ReST-EM's `nll`); with weights = rewards it
    is the reward-weighted loss. `normaliser` is the Trainer's token count across accumulated batches.
    """
    import torch.nn.functional as F

    targets = labels[:, 1:]
    token_loss = F.cross_entropy(logits[:, :-1].float().transpose(1, 2), targets, ignore_index=IGNORE_INDEX,
                                 reduction="none")
    mask = targets != IGNORE_INDEX
    total = (token_loss * weights[:, None].to(token_loss.dtype) * mask).sum()
    count = mask.sum() if normaliser is None else normaliser
    return total / max(int(count), 1)


def _trainer_class() -> type:
    from transformers import Trainer

    class CompletionTrainer(Trainer):
        """Trainer whose loss is `weighted_token_loss` (completion tokens only, optional weights)."""

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            weights = inputs.pop("weights")
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            loss = weighted_token_loss(outputs.logits, labels, weights, num_items_in_batch)
            return (loss, outputs) if return_outputs else loss

    return CompletionTrainer


def _quiet_logs(trainer: Any) -> None:
    """Keep the Trainer's progress bar but stop it printing log dicts to stdout (our record keeps the loss)."""
    from transformers import PrinterCallback, ProgressCallback

    class BarOnly(ProgressCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            return None

    trainer.remove_callback(PrinterCallback)
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(BarOnly())


def loss_curve(log_history: Sequence[Mapping[str, Any]]) -> list[dict[str, float]]:
    """(step, loss, learning rate) of each logged optimiser step, from the Trainer's log history."""
    return [{"step": entry["step"], "loss": entry["loss"], "learning_rate": entry.get("learning_rate")}
            for entry in log_history if "loss" in entry]


def finetune(init_path: str | Path, examples: Sequence[Mapping[str, Any]], output: Path, config: TrainConfig,
             *, seed: int, device: str = "auto", dtype: str = "auto", progress: bool | None = None,
             origin: str | None = None, chat: bool = False, adapter_from: Path | None = None) -> dict[str, Any]:
    """Fine-tune the checkpoint at `init_path` on `examples` and save the result atomically at `output`.

    Each example has `prompt`, `completion` and `reward`. With no usable example the checkpoint is
    the initial model unchanged (an iteration that solved nothing has nothing to learn). Returns the
    training record also saved as `output/rest_em_training.json`; `origin` names the starting point
    there when `init_path` is a temporary directory. `chat`: the prompts were rendered by the tokenizer's
    chat template, so each completion is learned as an assistant turn, closed as the template closes it.
    `dtype` is `model.dtype` (rest_verify.dtypes; `train.trainer_args` may still set bf16 or fp16 itself).
    With `config.peft` a LoRA adapter is trained instead (fresh, or the one saved at `adapter_from`,
    continued) and the checkpoint is the merged model, with the adapter in its `adapter/` folder.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainingArguments

    started = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(init_path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = resolve_device(device)
    chosen = resolve_dtype(dtype, device, init_path).dtype
    weights, precision = training_setup(chosen, device)
    model = AutoModelForCausalLM.from_pretrained(init_path, dtype=torch_dtype(weights))
    if config.peft is not None:
        model = adapters.attach(model, config.peft, adapter_from)
    reward_weighted = config.loss == "reward_weighted"
    turn_end = end_of_turn(tokenizer) if chat else None
    features = [feature for feature in (
        encode_example(tokenizer, ex["prompt"], ex["completion"], config.max_length,
                       float(ex.get("reward", 1.0)) if reward_weighted else 1.0, turn_end)
        for ex in examples) if feature is not None]
    record: dict[str, Any] = {"init_from": origin or str(init_path), "examples": len(features),
                              "dropped": len(examples) - len(features), "steps": 0, "train_loss": None,
                              "dtype": chosen}
    if config.peft is not None:
        record["peft"] = {"adapter_from": None if adapter_from is None else str(adapter_from),
                          "trainable_parameters": adapters.trainable_parameters(model)}
    ranks = distributed.current()
    with ranks.atomic_directory(output) as temporary:
        if features:
            examples_per_step = config.batch_size * config.gradient_accumulation_steps * ranks.world_size
            steps_per_epoch = math.ceil(len(features) / examples_per_step)
            total_steps = math.ceil(steps_per_epoch * config.epochs)
            # The loss of every optimiser step goes to the training record (the run's trackers read it from
            # there), not to a Trainer integration: one run, one set of trackers (rest_train.run.tracking).
            options: dict[str, Any] = {"logging_strategy": "steps", "logging_steps": 1}
            if config.deepspeed:
                options["deepspeed"] = config.deepspeed
            options.update(precision)
            options.update(config.trainer_args)
            scratch = temporary / "trainer-scratch"
            try:
                args = TrainingArguments(
                    output_dir=str(scratch), num_train_epochs=config.epochs, learning_rate=config.learning_rate,
                    per_device_train_batch_size=config.batch_size,
                    gradient_accumulation_steps=config.gradient_accumulation_steps,
                    warmup_steps=int(config.warmup_ratio * total_steps), weight_decay=config.weight_decay,
                    seed=seed, data_seed=seed, save_strategy="no", report_to="none",
                    disable_tqdm=None if progress is None else not progress,
                    use_cpu=device == "cpu", remove_unused_columns=False,
                    dataloader_num_workers=0, **options)
            except TypeError as exc:
                raise ConfigError(f"train.trainer_args: {exc}") from None
            trainer = _trainer_class()(model=model, args=args, train_dataset=features,
                                       data_collator=PadCollator(tokenizer.pad_token_id))
            _quiet_logs(trainer)
            result = trainer.train()
            record.update(steps=result.global_step, train_loss=result.training_loss,
                          loss_curve=loss_curve(trainer.state.log_history))
            if config.peft is None:
                trainer.save_model(str(temporary))  # on every rank: DeepSpeed and FSDP gather the shards here
            if ranks.is_main:
                shutil.rmtree(scratch, ignore_errors=True)
        if ranks.is_main and config.peft is not None:
            adapters.save_merged(model, temporary)
        elif ranks.is_main and not features:
            model.save_pretrained(temporary)
        if ranks.is_main:
            tokenizer.save_pretrained(temporary)
            record["seconds"] = round(time.monotonic() - started, 2)
            write_json(temporary / TRAINING_RECORD, record)
    return record

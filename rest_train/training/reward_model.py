"""Train small reward models here from verifier-labelled samples, for the scorers of the `rest-em-rm` plugin.

Two kinds, both started from a language model's weights, as in ReST: the policy's knowledge of the task
is where judging it starts.

- A sequence classifier (`train_reward_model`, scorer `rm`): reads exactly what the scorer feeds it,
  `tokenizer(prompt, completion)` (the problem's prompt and the completion as a text pair), and learns the
  0/1 label by regression, so its score reads as the probability that a sample is correct.
- A likelihood pair (`train_likelihood_reward_model`, scorer `rm-likelihood`): one copy of the language
  model fine-tuned on the correct samples, one on the wrong ones; a completion's reward compares how
  likely each finds it, token by token. Learning what correct text looks like is what a language model
  does well, so this pair ranks samples far better than a classifier trained on the same labels.

The demo uses them to show ReST with a learned reward, and where that reward is fooled.
"""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path
from typing import Any, Mapping, Sequence

from rest_train.config import TrainConfig
from rest_verify.dtypes import resolve_device
from rest_train.run.files import atomic_directory, write_json
from rest_train.training.finetune import finetune

RECORD = "rest_em_reward_model.json"
POSITIVE, NEGATIVE = "positive", "negative"


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


def from_language_model(path: str | Path) -> Any:
    """A one-output sequence classifier with the transformer of the causal LM at `path` and a fresh head."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(path), num_labels=1, problem_type="regression")
    if model.config.pad_token_id is None:
        model.config.pad_token_id = model.config.eos_token_id
    return model


def separate_pairs(tokenizer: Any) -> Any:
    """Make the tokenizer put EOS between the two texts of a pair, so the model sees where the question ends.

    A character tokenizer has no pair template: "7-2" then "7-2=5" would read "7-27-2=5". Saved with the
    reward model, the template is what the scorer's `tokenizer(prompt, completion)` uses too.
    """
    from tokenizers.processors import TemplateProcessing

    eos = tokenizer.eos_token
    tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
        single="$A", pair=f"$A {eos} $B:1", special_tokens=[(eos, tokenizer.eos_token_id)])
    return tokenizer


def ranking_accuracy(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """The chance that a random correct sample outscores a random wrong one (ties count half): ROC AUC.

    Thresholds on quantiles use only this order, so it is the measure of a reward model ReST depends on.
    """
    pairs = sorted(zip(scores, labels))
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    wins = 0.0
    negatives_below = 0
    index = 0
    while index < len(pairs):  # walk groups of equal scores
        end = index
        while end < len(pairs) and pairs[end][0] == pairs[index][0]:
            end += 1
        group_positives = sum(label for _, label in pairs[index:end])
        group_negatives = (end - index) - group_positives
        wins += group_positives * (negatives_below + 0.5 * group_negatives)
        negatives_below += group_negatives
        index = end
    return wins / (positives * negatives)


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
    gives the accuracy there at score 0.5 and the ranking accuracy (ROC AUC), the honest measures of how
    far the reward can be trusted.
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
        scores: list[float] = []
        with torch.inference_mode():
            for start in range(0, len(unseen), 256):
                batch = collate(unseen[start:start + 256])
                batch.pop("labels")
                scores += model(**{k: v.to(model.device) for k, v in batch.items()}).logits[:, 0].tolist()
        labels = [int(e["label"]) for e in unseen]
        record = {**held_out_record("classifier", train, unseen, scores),
                  "held_out_accuracy": sum((s >= 0.5) == bool(y) for s, y in zip(scores, labels)) / len(unseen)
                  if unseen else None,
                  "train_loss": result.training_loss}
        model.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
        shutil.rmtree(temporary / "trainer-scratch", ignore_errors=True)
        write_json(temporary / RECORD, record)
    return record


def within_problem_accuracy(examples: Sequence[Mapping[str, Any]], scores: Sequence[float]) -> float | None:
    """The chance that a correct sample outscores a wrong one *of the same problem* (ties count half).

    A reward model can rank well overall by knowing which problems are easy; only this ranking tells
    the samples of one problem apart, which is what a policy learns from when it imitates the best.
    Each problem's ranking accuracy counts as many times as it has (correct, wrong) pairs.
    """
    by_problem: dict[Any, tuple[list[float], list[int]]] = {}
    for example, score in zip(examples, scores):
        problem_scores, problem_labels = by_problem.setdefault(example["problem_id"], ([], []))
        problem_scores.append(score)
        problem_labels.append(int(example["label"]))
    wins = pairs = 0.0
    for problem_scores, problem_labels in by_problem.values():
        accuracy = ranking_accuracy(problem_scores, problem_labels)
        if accuracy is not None:
            positives = sum(problem_labels)
            count = positives * (len(problem_labels) - positives)
            wins, pairs = wins + accuracy * count, pairs + count
    return wins / pairs if pairs else None


def held_out_record(kind: str, train: Sequence[Mapping[str, Any]], unseen: Sequence[Mapping[str, Any]],
                    scores: Sequence[float]) -> dict[str, Any]:
    """What every trained reward model records: its data, and how it ranks the held-out samples."""
    return {"kind": kind, "examples": len(train), "held_out": len(unseen),
            "positive_share": sum(int(e["label"]) for e in train) / max(len(train), 1),
            "held_out_auc": ranking_accuracy(scores, [int(e["label"]) for e in unseen]),
            "held_out_within_problem_auc": within_problem_accuracy(unseen, scores)}


def train_likelihood_reward_model(examples: Sequence[Mapping[str, Any]], base: str | Path, output: Path,
                                  config: TrainConfig, *, scorer_options: Mapping[str, Any], seed: int,
                                  device: str = "cpu", held_out: float = 0.2,
                                  progress: bool | None = None) -> dict[str, Any]:
    """Fine-tune `base` on the correct and on the wrong `examples`, into `output/positive` and `/negative`.

    Examples carry `prompt` (the problem's text, as the scorer receives it), `completion`, `label` and
    `problem_id`; `scorer_options` configure the `rm-likelihood` scorer (its `prompt_format` renders a
    prompt as the policy saw it, for training as for scoring). A share `held_out` of the problems is
    kept aside and scored by the finished pair: the record (`output/rest_em_reward_model.json`, written
    last, so its presence means the pair is complete) gives the ranking accuracy there, overall and
    within problems.
    """
    from rest_verify import Problem
    from rest_verify.plugins import get_verifier

    render = str(scorer_options.get("prompt_format", "{prompt}")).format
    train, unseen = split_examples(examples, held_out, seed)
    output.mkdir(parents=True, exist_ok=True)
    for name, label in ((POSITIVE, 1), (NEGATIVE, 0)):
        if not (output / name).exists():
            rows = [{"prompt": render(prompt=e["prompt"]), "completion": e["completion"]}
                    for e in train if int(e["label"]) == label]
            finetune(base, rows, output / name, config, seed=seed, device=device, progress=progress,
                     origin=f"{base} fine-tuned on the {name} samples")
    scorer = get_verifier("rm-likelihood").configure(checkpoint=str(output / POSITIVE),
                                                      reference=str(output / NEGATIVE), **scorer_options)
    verdicts = scorer.verify_batch([Problem(str(e["problem_id"]), e["prompt"], None, "rm") for e in unseen],
                                   [e["completion"] for e in unseen])
    record = {**held_out_record("likelihood", train, unseen, [v.reward for v in verdicts]),
              "scorer_options": dict(scorer_options)}
    write_json(output / RECORD, record)
    return record

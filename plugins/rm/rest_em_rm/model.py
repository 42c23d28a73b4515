"""Reward models over local `transformers` checkpoints, and the sequence-classifier one.

`CheckpointScorer` holds what every checkpoint-backed scorer shares: the checkpoint's path (or the
REST_EM_RM_CHECKPOINT variable), lazy loading in the scoring process, `configure`, and a cache version
that fingerprints the weights. `TransformersScorer` scores with a sequence classifier; the likelihood
scorer (rest_em_rm/likelihood.py) with causal language models.

Sequence-classifier input format (what a reward model trained for this scorer must see): the problem's prompt and the
completion encoded as a text pair, `tokenizer(prompt, completion)`, with whatever special tokens the
tokenizer adds to a pair. An over-long pair is cut to `max_length` by dropping tokens from the start of
the longer of the two (`longest_first`, left side), so the end of the question and the end of the
completion, where a final answer lives, survive; the verdict says so in `info["truncated"]`. A one-logit model's score is that logit; a two-label model's score is the
log-odds of label 1 (logit 1 minus logit 0).
"""

from __future__ import annotations

import hashlib
import os
from abc import abstractmethod
from pathlib import Path
from typing import Any

from rest_verify.errors import PluginError

from rest_verify.dtypes import check_dtype, resolve_device, resolve_dtype, torch_dtype

from rest_em_rm.scorer import BatchScorer, Scored

CHECKPOINT_VARIABLE = "REST_EM_RM_CHECKPOINT"
PLUGIN_VERSION = "1"
_FINGERPRINT_BYTES = 1 << 20
CHARACTERS_PER_TOKEN = 32  # more than any tokenizer packs into a token on average


class RewardModelError(PluginError):
    """The reward-model checkpoint is missing, unreadable or not the kind of model its scorer needs."""


# kind -> (class-name endings that qualify, what the error says is needed). GPT-2's causal LM is
# GPT2LMHeadModel, older than the ForCausalLM naming.
_ARCHITECTURES = {
    "ForSequenceClassification": (("ForSequenceClassification",),
                                  "sequence classifier; a reward model must be saved from an "
                                  "AutoModelForSequenceClassification (e.g. GPT2ForSequenceClassification with "
                                  "num_labels=1)"),
    "ForCausalLM": (("ForCausalLM", "LMHeadModel"),
                    "causal language model; a likelihood reward model must be saved from an AutoModelForCausalLM"),
}


def check_architecture(path: str | Path, kind: str) -> Any:
    """The checkpoint's config, or a `RewardModelError` saying why it is not a model of `kind`.

    `kind` is the ending of a transformers class name: "ForSequenceClassification" or "ForCausalLM".
    """
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(str(path))
    except (OSError, ValueError) as exc:
        raise RewardModelError(f"{path} is not a readable transformers checkpoint: {exc}") from None
    architectures = list(config.architectures or [])
    if not any(name.endswith(ending) for name in architectures for ending in _ARCHITECTURES[kind][0]):
        held = ", ".join(architectures) or "a model that declares no architecture"
        raise RewardModelError(f"{path} holds {held}, not a {_ARCHITECTURES[kind][1]}")
    return config


def check_sequence_classifier(path: str | Path) -> Any:
    """The checkpoint's config, or a `RewardModelError` saying why it cannot be a classifier reward model."""
    config = check_architecture(path, "ForSequenceClassification")
    if config.num_labels not in (1, 2):
        raise RewardModelError(f"{path} has {config.num_labels} labels; a reward model has one score "
                               f"(num_labels=1) or a good/bad pair (num_labels=2)")
    return config


def fingerprint(path: str | Path) -> str:
    """A short digest of the checkpoint's config and weights, so another model never reuses cached scores.

    Weights are sampled (size plus first and last MiB of each file) to keep this fast for large models.
    """
    digest = hashlib.blake2b(digest_size=8)
    root = Path(path)
    for file in sorted(root.iterdir()):
        if file.name == "config.json" or file.suffix in (".safetensors", ".bin"):
            size = file.stat().st_size
            digest.update(f"{file.name}:{size}".encode())
            with file.open("rb") as handle:
                digest.update(handle.read(_FINGERPRINT_BYTES))
                handle.seek(max(0, size - _FINGERPRINT_BYTES))
                digest.update(handle.read(_FINGERPRINT_BYTES))
    return digest.hexdigest()


def encode_pairs(tokenizer: Any, prompts: list[str], completions: list[str],
                 max_length: int) -> list[tuple[list[int], bool]]:
    """Model input ids for each pair and whether it had to be cut (see the module docstring)."""
    # Texts far longer than any input the model takes lose their start by characters first, so a
    # megabyte of output costs no more to tokenise than an ordinary long one; the cut keeps the end.
    limit = max_length * CHARACTERS_PER_TOKEN
    precut = {i for i, (p, c) in enumerate(zip(prompts, completions)) if len(p) > limit or len(c) > limit}
    prompts = [p[-limit:] for p in prompts]
    completions = [c[-limit:] for c in completions]
    full = tokenizer(prompts, completions)["input_ids"]
    over = [i for i, ids in enumerate(full) if len(ids) > max_length or i in precut]
    if over:
        side = tokenizer.truncation_side
        tokenizer.truncation_side = "left"  # drop tokens from the start: the ends hold question and answer
        try:
            cut = tokenizer([prompts[i] for i in over], [completions[i] for i in over], truncation="longest_first",
                            max_length=max_length)["input_ids"]
        finally:
            tokenizer.truncation_side = side
        for index, ids in zip(over, cut):
            full[index] = ids
    overlong = set(over)
    return [(list(ids), index in overlong) for index, ids in enumerate(full)]


def checkpoint_fingerprint(path: str | None) -> str:
    """`fingerprint(path)`, or "unconfigured" while there is no checkpoint folder to read."""
    return fingerprint(path) if path and Path(path).is_dir() else "unconfigured"


def load_tokenizer(path: str) -> Any:
    """The checkpoint's tokenizer, padding with EOS when it declares no pad token."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token_id is None:
            raise RewardModelError(f"the tokenizer of {path} has neither a pad nor an EOS token to pad with")
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def right_padded(rows: list[list[int]], pad: int) -> tuple[Any, Any]:
    """Token ids and attention mask of `rows` as right-padded tensors (padding never shifts a position)."""
    import torch

    width = max(len(tokens) for tokens in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, tokens in enumerate(rows):
        ids[row, :len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        mask[row, :len(tokens)] = 1
    return ids, mask


class CheckpointScorer(BatchScorer):
    """A scorer over a local checkpoint (default: the REST_EM_RM_CHECKPOINT variable), loaded lazily.

    The model loads on first use (or `prepare()`), in the process that scores; pickling sends only the
    settings. Subclasses name the `architecture` they need, extend `settings` (the names `configure`
    accepts) and implement `_load` and `_score`.
    """

    architecture = ""
    settings: tuple[str, ...] = ("checkpoint", "max_length", "batch_size", "device", "dtype", "normalise", "deadline",
                                 "name", "prompt_format")

    def __init__(self, checkpoint: str | None = None, *, max_length: int = 512, batch_size: int = 64,
                 device: str = "cpu", dtype: str = "float32", normalise: str = "none", deadline: float = 60.0,
                 name: str = "rm", prompt_format: str = "{prompt}"):
        super().__init__(normalise=normalise, batch_size=batch_size, deadline=deadline)
        if max_length < 4:
            raise ValueError(f"max_length must be >= 4, got {max_length}")
        self.dtype = check_dtype(dtype)
        try:
            prompt_format.format(prompt="")
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ValueError(f"prompt_format must be a format string with one field, {{prompt}}; "
                             f"{prompt_format!r} fails: {type(exc).__name__}: {exc}") from None
        self.prompt_format = prompt_format
        self.checkpoint = str(checkpoint) if checkpoint else None
        self.max_length = max_length
        self.device = device
        self.name = name
        if self.checkpoint is not None:
            self._check(self.checkpoint)
        self._model: Any = None
        self._tokenizer: Any = None
        self._version: tuple[str | None, str] | None = None  # (checkpoint it describes, version)

    def configure(self, **options: Any) -> "CheckpointScorer":
        """A scorer with these settings changed (see `settings` for the names)."""
        unknown = sorted(set(options) - set(self.settings))
        if unknown:
            raise TypeError(f"unknown reward-model option {unknown[0]!r}; known: {', '.join(sorted(self.settings))}")
        return type(self)(**{**{name: getattr(self, name) for name in self.settings}, **options})

    @property
    def version(self) -> str:  # type: ignore[override]
        """Keys the score cache: the plugin's scoring rules, the checkpoints' fingerprints and the settings."""
        path = self._resolved_checkpoint(required=False)
        if self._version is None or self._version[0] != path:
            parts = [*self._version_parts(path), self.normalise, str(self.max_length)]
            if self.dtype != "float32":  # scores computed in another type are other scores
                parts.append(self._dtype(path) if path else self.dtype)
            if self.prompt_format != "{prompt}":
                parts.append(hashlib.blake2b(self.prompt_format.encode(), digest_size=4).hexdigest())
            self._version = (path, f"{PLUGIN_VERSION}+" + ".".join(parts))
        return self._version[1]

    def prepare(self) -> None:
        """Load the model now (the engine does this before its deadlines start)."""
        if self._model is None:
            path = self._resolved_checkpoint(required=True)
            self._check(path)
            self._load(path)

    def _check(self, path: str) -> None:
        check_architecture(path, self.architecture)

    def _rendered(self, prompts: list[str]) -> list[str]:
        """The prompts as the model was trained to read them (`prompt_format`, e.g. the task's template)."""
        return prompts if self.prompt_format == "{prompt}" else [self.prompt_format.format(prompt=p) for p in prompts]

    def _version_parts(self, path: str | None) -> list[str]:
        return [checkpoint_fingerprint(path)]

    @abstractmethod
    def _load(self, path: str) -> None:
        """Load the model(s) and tokenizer from `path` (already checked) onto the scorer's device."""

    def _device(self) -> str:
        return resolve_device(self.device)

    def _dtype(self, path: str) -> str:
        """The type the models compute in: `dtype`, its `auto` chosen for this device and checkpoint."""
        return resolve_dtype(self.dtype, self._device(), path).dtype

    def _resolved_checkpoint(self, *, required: bool) -> str | None:
        path = self.checkpoint or os.environ.get(CHECKPOINT_VARIABLE)
        if required and not path:
            raise RewardModelError(f"no reward-model checkpoint: set {CHECKPOINT_VARIABLE} or "
                                   f"configure(checkpoint=...) (rest_train: rest.reward_options.checkpoint)")
        return path

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_model=None, _tokenizer=None)
        return state


class TransformersScorer(CheckpointScorer):
    """Scores with the sequence classifier at `checkpoint` (default: the REST_EM_RM_CHECKPOINT variable).

    Batches are sorted by length so padding stays small; scores do not depend on the batch.
    """

    architecture = "ForSequenceClassification"

    def _check(self, path: str) -> None:
        check_sequence_classifier(path)

    def _load(self, path: str) -> None:
        from transformers import AutoModelForSequenceClassification

        tokenizer = load_tokenizer(path)
        model = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch_dtype(self._dtype(path)))
        if model.config.pad_token_id is None:
            model.config.pad_token_id = tokenizer.pad_token_id  # the classifier pools at the last non-pad token
        self._model, self._tokenizer = model.to(self._device()).eval(), tokenizer

    def _score(self, prompts: list[str], completions: list[str]) -> list[Scored]:
        import torch

        self.prepare()
        encoded = encode_pairs(self._tokenizer, self._rendered(prompts), completions, self.max_length)
        scores: list[float] = [0.0] * len(encoded)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
        device = self._model.device
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            ids, mask = right_padded([encoded[i][0] for i in batch], self._tokenizer.pad_token_id)
            with torch.inference_mode():
                logits = self._model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
            batch_scores = logits[:, 0] if logits.shape[1] == 1 else logits[:, 1] - logits[:, 0]
            for index, score in zip(batch, batch_scores.tolist()):
                scores[index] = score
        return [(score, {"truncated": truncated}) for score, (_, truncated) in zip(scores, encoded)]

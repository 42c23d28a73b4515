"""A generative reward model: how likely a causal LM finds a completion, against a reference LM.

    score = reduce over the completion's tokens t of  log p(t | prompt, earlier tokens) - log q(t | ...)

with p the checkpoint and q the reference (without a reference, q = 1). Why a language model: a
sequence classifier must learn from a few thousand 0/1 labels to check every step of a solution and
carry that to its last token, which a small one does not manage; a language model fine-tuned on the
same labelled samples learns per token what a correct step looks like, which is what it is good at.

- `reduce="sum"` with p fine-tuned on correct samples and q on wrong ones is the log-odds of a generative
  (class-conditional) classifier, up to the classes' prior; with q the model p started from, it is the
  implicit reward of DPO (Rafailov et al. 2023), up to its scale.
- `reduce="min"`: the completion's least likely token relative to the reference; one wrong step in a
  worked solution is enough to sink the whole.
- `reduce="mean"`: the per-token average, so length alone earns nothing.

Input format: the prompt tokenised as the policy saw it (with the tokenizer's special tokens unless it
already begins with BOS), then the completion's tokens and, with `score_eos`, EOS, the way rest_train
fine-tunes (so the model also judges whether the answer ends there). Only completion tokens are scored.
An over-long pair loses prompt tokens from its start first, then completion tokens from their start, so
the end of the completion (where a final answer lives) is always scored; `info["truncated"]` says so.
"""

from __future__ import annotations

from typing import Any

from rest_verify.dtypes import torch_dtype

from rest_em_rm.model import (CHARACTERS_PER_TOKEN, CheckpointScorer, RewardModelError, check_architecture,
                              checkpoint_fingerprint, load_tokenizer, right_padded)
from rest_em_rm.scorer import Scored

REDUCTIONS = ("sum", "mean", "min")


class LikelihoodScorer(CheckpointScorer):
    """Scores by the log-likelihood of the completion under `checkpoint`, minus that under `reference`."""

    architecture = "ForCausalLM"
    settings = (*CheckpointScorer.settings, "reference", "reduce", "score_eos")

    def __init__(self, checkpoint: str | None = None, *, reference: str | None = None, reduce: str = "sum",
                 score_eos: bool = True, name: str = "rm-likelihood", **options: Any):
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduce!r}")
        self.reference = str(reference) if reference else None
        self.reduce = reduce
        self.score_eos = bool(score_eos)
        self._reference_model: Any = None
        super().__init__(checkpoint, name=name, **options)
        if self.reference is not None and self.checkpoint is None:  # the checkpoint comes later: check q now
            check_architecture(self.reference, self.architecture)

    def _check(self, path: str) -> None:
        """Both models are causal LMs that read the same tokens (checked before anything is scored)."""
        super()._check(path)
        if self.reference is not None:
            check_architecture(self.reference, self.architecture)
            if load_tokenizer(self.reference).get_vocab() != load_tokenizer(path).get_vocab():
                raise RewardModelError(f"the reference {self.reference} has another vocabulary than {path}; "
                                       f"both models must read the same tokens")

    def _version_parts(self, path: str | None) -> list[str]:
        return [checkpoint_fingerprint(path), checkpoint_fingerprint(self.reference) if self.reference else "none",
                self.reduce, "eos" if self.score_eos else "noeos"]

    def _load(self, path: str) -> None:
        from transformers import AutoModelForCausalLM

        tokenizer = load_tokenizer(path)
        device, dtype = self._device(), torch_dtype(self._dtype(path))  # p and q in one type: scores compare
        self._model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device).eval()
        if self.reference is not None:
            self._reference_model = AutoModelForCausalLM.from_pretrained(self.reference, dtype=dtype).to(device).eval()
        self._tokenizer = tokenizer

    def _score(self, prompts: list[str], completions: list[str]) -> list[Scored]:
        import torch

        self.prepare()
        encoded = self._encode(self._rendered(prompts), completions)
        scores: list[float] = [0.0] * len(encoded)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            ids, mask = right_padded([encoded[i][0] for i in batch], self._tokenizer.pad_token_id)
            scored = torch.zeros_like(ids, dtype=torch.bool)  # positions whose token is scored
            for row, index in enumerate(batch):
                tokens, prompt_length, _ = encoded[index]
                scored[row, prompt_length:len(tokens)] = True
            per_token = self._token_log_probs(self._model, ids, mask)
            if self._reference_model is not None:
                per_token = per_token - self._token_log_probs(self._reference_model, ids, mask)
            targets = scored[:, 1:]  # the logits at position i predict token i + 1
            for row, index in enumerate(batch):
                values = per_token[row][targets[row]]
                scores[index] = float(getattr(values, self.reduce)())  # each reduction is a tensor method
        return [(score, {"truncated": truncated, "reduce": self.reduce})
                for score, (_, _, truncated) in zip(scores, encoded)]

    @staticmethod
    def _token_log_probs(model: Any, ids: Any, mask: Any) -> Any:
        """log p(token i + 1 | tokens ..i) for every position of a right-padded batch, in float32."""
        import torch

        with torch.inference_mode():
            logits = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device)).logits.float()
        log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
        return log_probs.gather(-1, ids[:, 1:, None].to(model.device))[..., 0].cpu()

    def _encode(self, prompts: list[str], completions: list[str]) -> list[tuple[list[int], int, bool]]:
        """For each pair: (token ids, how many of them are prompt, whether it was cut to fit `max_length`)."""
        tokenizer = self._tokenizer
        limit = self.max_length * CHARACTERS_PER_TOKEN
        precut = [len(p) > limit or len(c) > limit for p, c in zip(prompts, completions)]
        prompts, completions = [p[-limit:] for p in prompts], [c[-limit:] for c in completions]
        bos = tokenizer.bos_token
        with_specials = [not (bos and p.startswith(bos)) for p in prompts]
        prompt_ids: list[list[int]] = [[] for _ in prompts]
        for flag in (True, False):
            group = [i for i, f in enumerate(with_specials) if f is flag]
            if group:
                for i, ids in zip(group, tokenizer([prompts[i] for i in group], add_special_tokens=flag)["input_ids"]):
                    prompt_ids[i] = ids
        completion_ids = tokenizer(completions, add_special_tokens=False)["input_ids"]
        eos = tokenizer.eos_token_id
        # The first token is never predicted, so an empty prompt gets EOS to predict the completion from.
        start = eos if eos is not None else tokenizer.pad_token_id
        return [self._fit(prompt or [start], completion + ([eos] if self.score_eos and eos is not None else []), cut)
                for prompt, completion, cut in zip(prompt_ids, completion_ids, precut)]

    def _fit(self, prompt: list[int], completion: list[int], truncated: bool) -> tuple[list[int], int, bool]:
        """Cut a pair to `max_length`: prompt tokens from the start first, then completion tokens."""
        prompt_room = max(1, self.max_length - len(completion))
        if len(prompt) > prompt_room:
            prompt, truncated = prompt[-prompt_room:], True
        if len(prompt) + len(completion) > self.max_length:
            completion, truncated = completion[-(self.max_length - len(prompt)):], True
        return prompt + completion, len(prompt), truncated

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "_reference_model": None}

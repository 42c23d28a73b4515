"""The built-in `transformers` backend: batched sampling with `model.generate`, on CPU or GPU.

It imports torch only when a generator is made, so loading plugins stays cheap.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

from rest_verify.dtypes import resolve_device, resolve_dtype, torch_dtype

from rest_train.generation.base import PromptRefused, Sampling, adds_special_tokens, truncate_at_stop


def context_length(config: Any) -> int | None:
    """The most tokens, prompt and completion together, a model reads: its config's
    `max_position_embeddings` (GPT-2's `n_positions`), as vLLM's `max_model_len` defaults to; None for
    a model that sets none (a recurrent one), which gets no check."""
    limit = getattr(config.get_text_config(), "max_position_embeddings", None)
    return limit if isinstance(limit, int) and limit > 0 else None


class TransformersBackend:
    """Factory of the built-in `transformers` backend: batched sampling with `model.generate`."""

    name = "transformers"

    def __call__(self, model_path: str, device: str = "auto", *, batch_size: int = 64, dtype: str = "auto",
                 progress: bool | None = None) -> "TransformersGenerator":
        return TransformersGenerator(model_path, device=device, batch_size=batch_size, dtype=dtype,
                                     progress=progress)


class TransformersGenerator:
    """A causal LM and its tokenizer, loaded once and sampled in batches of `batch_size` sequences.

    A completion never passes the model's context (`context_length`). A prompt with no room for one new
    token is a `GenerationError` raised before its batch is sampled, so the batches before it have been
    streamed. The cap is per prompt: a prompt within `max_new_tokens` of the context gets
    `context - its length` new tokens, and its batch-mates keep their full `max_new_tokens` (prompts
    with the same room are generated together). Output depends only on the seed and the batch size.
    """

    def __init__(self, model_path: str, *, device: str = "auto", batch_size: int = 64, dtype: str = "auto",
                 progress: bool | None = None):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model_path = model_path
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.progress = progress
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.tokenizer.padding_side = "left"  # decoder-only: new tokens must follow the prompt directly
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.dtype = resolve_dtype(dtype, self.device, model_path).dtype
        self.model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch_dtype(self.dtype)).to(self.device)
        self.model.eval()
        self.context = context_length(self.model.config)

    def generate(self, prompts: Sequence[str], n: int, sampling: Sampling) -> list[list[str]]:
        results: list[list[str]] = [[] for _ in prompts]
        for index, texts in self.generate_stream(prompts, n, sampling):
            results[index] = texts
        return results

    def generate_stream(self, prompts: Sequence[str], n: int, sampling: Sampling) -> Iterator[tuple[int, list[str]]]:
        """`(prompt index, its n completions)` for each prompt of a batch as soon as that batch is done."""
        import torch
        from tqdm import tqdm

        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        torch.manual_seed(sampling.seed)
        distinct = n if sampling.temperature > 0 else 1  # greedy decoding gives one answer, repeated
        per_call = min(distinct, self.batch_size)
        prompts_per_batch = max(1, self.batch_size // per_call)
        bar = tqdm(total=len(prompts) * n, desc="generating", unit="sample", dynamic_ncols=True,
                   disable=None if self.progress is None else not self.progress)
        try:
            for start in range(0, len(prompts), prompts_per_batch):
                batch = self._encode(prompts[start:start + prompts_per_batch], start)
                texts_of: list[list[str]] = [[] for _ in batch]
                for repeat in range(math.ceil(distinct / per_call)):
                    count = min(per_call, distinct - repeat * per_call)
                    texts = self._sample(batch, count, sampling)
                    for offset in range(len(batch)):
                        texts_of[offset].extend(texts[offset * count:(offset + 1) * count])
                    bar.update(len(batch) * count * n // distinct)
                for offset, texts in enumerate(texts_of):
                    yield start + offset, texts * (n // distinct)
        finally:
            bar.close()

    def _encode(self, prompts: Sequence[str], first_index: int) -> list[list[int]]:
        """Each prompt's token ids; a prompt that leaves no room for a new token is a `PromptRefused`
        naming its index among the prompts of the call (`first_index` is the first one's)."""
        token_ids = self.tokenizer(list(prompts), add_special_tokens=adds_special_tokens(self.tokenizer, prompts[0])
                                   )["input_ids"]
        for offset, ids in enumerate(token_ids):
            if self.context is not None and len(ids) >= self.context:
                raise PromptRefused(first_index + offset, f"has {len(ids)} tokens, more than the model's context "
                                    f"of {self.context} allows (shorten it, or use a model with a longer context)",
                                    self.model_path)
        return token_ids

    def _sample(self, token_ids: list[list[int]], count: int, sampling: Sampling) -> list[str]:
        """`count` completions per prompt, prompt by prompt. Prompts are generated in groups that have the
        same room for new tokens, so that no sequence of a group passes the context."""
        rooms = [self._room(len(ids), sampling.max_new_tokens) for ids in token_ids]
        texts = [""] * (len(token_ids) * count)
        for room in sorted(set(rooms), reverse=True):  # widest first: with no prompt near the limit, one group
            members = [index for index, own in enumerate(rooms) if own == room]
            generated = self._generate([token_ids[index] for index in members], count, sampling, room)
            for position, index in enumerate(members):
                texts[index * count:(index + 1) * count] = generated[position * count:(position + 1) * count]
        return texts

    def _room(self, prompt_length: int, max_new_tokens: int) -> int:
        """How many new tokens fit after a prompt of `prompt_length` tokens, at most `max_new_tokens`."""
        return max_new_tokens if self.context is None else min(max_new_tokens, self.context - prompt_length)

    def _generate(self, token_ids: list[list[int]], count: int, sampling: Sampling, max_new_tokens: int) -> list[str]:
        import torch

        encoded = self.tokenizer.pad({"input_ids": token_ids}, return_tensors="pt").to(self.device)
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens, "num_return_sequences": count,
                                   "pad_token_id": self.tokenizer.pad_token_id}
        if sampling.temperature > 0:
            options.update(do_sample=True, temperature=sampling.temperature, top_k=sampling.top_k or None,
                           top_p=sampling.top_p)
        else:
            options.update(do_sample=False)
        if sampling.stop:
            options["stopping_criteria"] = _stop_on_strings(self.tokenizer, sampling.stop,
                                                            encoded["input_ids"].shape[1])
        with torch.inference_mode():
            output = self.model.generate(**encoded, **options)
        new_tokens = output[:, encoded["input_ids"].shape[1]:]
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [truncate_at_stop(text, sampling.stop) for text in texts]

    def close(self) -> None:
        """Free the model's memory now, before the next stage loads another one."""
        import torch

        del self.model
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()


def _stop_on_strings(tokenizer: Any, stop: Sequence[str], prompt_length: int) -> Any:
    """Criteria that end each sequence once its new text contains a stop string.

    Only the last few tokens are decoded each step, so the check stays cheap for long completions;
    `truncate_at_stop` then cuts the stop string off exactly. (transformers' own `stop_strings` needs
    to re-tokenise a fixed prefix, which fails for small custom vocabularies.)
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    window = max(len(s) for s in stop) + 2

    class StopOnStrings(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            start = max(prompt_length, input_ids.shape[1] - window)
            tails = tokenizer.batch_decode(input_ids[:, start:], skip_special_tokens=True)
            return torch.tensor([any(s in tail for s in stop if s) for tail in tails], device=input_ids.device)

    return StoppingCriteriaList([StopOnStrings()])

"""The child process of the `vllm` generator backend: one vLLM engine, driven by JSON lines.

Run by file path with the python of an environment that has vLLM (vLLM pins its own torch, so it
often lives apart from rest-em); it imports only vLLM and the standard library. Generation runs in
a child so that the engine's memory is certainly freed when the child exits, before the improve step.

Protocol, one JSON object per line. The parent writes the engine settings first,
`{"model": PATH, "seed": S, "engine": {...LLM keyword arguments...}}`, and the child answers
`{"ready": true, "max_model_len": N}` once the engine is up. Then each request
`{"prompts": [...], "n": K, "seed": S, "sampling": {...SamplingParams keywords...}}` is answered by one
`{"index": I, "completions": [...]}` per prompt, in the order they finish, then `{"done": true}`.
Any failure is `{"error": MESSAGE}`; when a prompt was too long it also carries `"engine_usable": true`
and the prompt's position in `"prompt"` (nothing was generated; the engine takes the next request).
Stdin closing ends the child.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Iterator


def main() -> None:
    # vLLM logs to stdout; the protocol gets the original stdout, everything else goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message, ensure_ascii=False) + "\n")

    settings = json.loads(sys.stdin.readline())
    try:
        engine = Engine(settings["model"], settings["seed"], settings["engine"])
    except Exception as exc:  # any failure to start is reported to the parent, which raises it
        send({"error": f"the vLLM engine did not start: {type(exc).__name__}: {exc}"})
        return
    send({"ready": True, "max_model_len": engine.max_model_len})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            for index, completions in engine.generate(request["prompts"], request["n"], request["seed"],
                                                      request["sampling"]):
                send({"index": index, "completions": completions})
        except PromptTooLong as exc:
            send({"error": str(exc), "prompt": exc.index, "engine_usable": True})
            continue
        except Exception as exc:  # reported with its type; the parent raises it
            send({"error": f"vLLM generation failed: {type(exc).__name__}: {exc}"})
            return
        send({"done": True})


class PromptTooLong(ValueError):
    """A prompt leaves no room for a single new token in the model's context."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


class Engine:
    """A vLLM `LLM` whose requests are streamed back prompt by prompt as they finish."""

    def __init__(self, model: str, seed: int, engine_options: dict[str, Any]):
        from vllm import LLM

        self.llm = LLM(model=model, seed=seed, **engine_options)
        self.tokenizer = self.llm.get_tokenizer()
        self.max_model_len = self.llm.llm_engine.model_config.max_model_len

    def generate(self, prompts: list[str], n: int, seed: int,
                 sampling: dict[str, Any]) -> Iterator[tuple[int, list[str]]]:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        token_ids = [self._encode(index, prompt) for index, prompt in enumerate(prompts)]
        # Per-request seeds crash vLLM's CPU sampler; reseeding the engine's generators before each
        # request batch makes a call reproducible on CPU and GPU alike.
        self.llm.collective_rpc(reseed, args=(seed,))
        params = SamplingParams(n=n, output_kind=RequestOutputKind.FINAL_ONLY, **sampling)
        engine = self.llm.llm_engine
        for index, ids in enumerate(token_ids):
            engine.add_request(str(index), {"prompt_token_ids": ids}, params)
        while engine.has_unfinished_requests():
            for output in engine.step():
                if output.finished:
                    yield int(output.request_id), [choice.text for choice in output.outputs]

    def _encode(self, index: int, prompt: str) -> list[int]:
        # A prompt rendered by a chat template already carries its special tokens.
        bos = self.tokenizer.bos_token
        ids = self.tokenizer.encode(prompt, add_special_tokens=not (bos and prompt.startswith(bos)))
        if len(ids) >= self.max_model_len:
            raise PromptTooLong(index, f"has {len(ids)} tokens, more than the model's context of "
                                       f"{self.max_model_len} allows (shorten it, or raise max_model_len)")
        return ids


def reseed(worker: Any, seed: int) -> None:
    """Seed every generator a vLLM worker samples from (runs inside each worker via collective_rpc)."""
    import random

    import torch

    random.seed(seed)
    torch.manual_seed(seed)


if __name__ == "__main__":
    main()
    # Nothing is left to save, and vLLM's exit hooks can take half a minute: end now, the OS frees the rest.
    sys.stderr.flush()
    os._exit(0)

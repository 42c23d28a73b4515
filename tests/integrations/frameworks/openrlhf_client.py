"""Run inside .envs/frameworks: OpenRLHF's own remote reward client against `rest-em serve` on loopback.

OpenRLHF's single-turn executor (`openrlhf.utils.agent.SingleTurnAgentExecutor`, what `--remote_rm_url`
configures) generates a response, decodes prompt + response into the query and posts it with the prompt and
the label to the reward server. Generation is the only part replaced here — by an engine answering from a
table — because this checks the reward path, not vLLM. Prints one JSON line: reward and score per sample.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field
from importlib.metadata import version

from openrlhf.utils.agent import SingleTurnAgentExecutor

from rest_train.models.tiny import build_tokenizer

SAMPLES = [  # (prompt, response the engine gives, label)
    ("Q: What is 1/2 + 1/4?\nA:", " Adding, $\\boxed{\\frac34}$", "0.75"),
    ("Q: What is 2^10?\nA:", " It is $\\boxed{1000}$", "1024"),
    ("Q: Solve x + 3 = 5.\nA:", " So $x = \\boxed{2}$.", "2"),
]


@dataclass
class Sampling:
    """The attributes of vLLM's SamplingParams that the executor reads."""

    max_tokens: int | None = 64
    logprobs: int | None = None


@dataclass
class Completion:
    token_ids: list[int]
    finish_reason: str = "stop"
    logprobs: None = None


@dataclass
class RequestOutput:
    outputs: list[Completion] = field(default_factory=list)


class TableEngine:
    """Stands in for OpenRLHF's vLLM engine: the response for each prompt comes from SAMPLES."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.responses = {tuple(tokenizer(p, add_special_tokens=False)["input_ids"]): r for p, r, _ in SAMPLES}

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None):
        response = self.responses[tuple(prompt_token_ids)]
        return RequestOutput([Completion(self.tokenizer(response, add_special_tokens=False)["input_ids"])])


async def main(url: str) -> None:
    tokenizer = build_tokenizer()
    executor = SingleTurnAgentExecutor(remote_rm_url=url)
    engine = TableEngine(tokenizer)
    outputs = [await executor.execute(prompt, label, Sampling(), 256, tokenizer, engine)
               for prompt, _, label in SAMPLES]
    print(json.dumps({"rewards": [o["reward"] for o in outputs], "scores": [o["scores"] for o in outputs],
                      "extra_logs": sorted(outputs[0]["extra_logs"]), "openrlhf": version("openrlhf")}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

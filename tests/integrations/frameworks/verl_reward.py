"""Run inside .envs/frameworks: rest-em's verl reward function through verl's own config, loader and managers.

verl's trainer config is composed with Hydra from verl's packaged `ppo_trainer.yaml` with the overrides the
README gives (argv[2:]), the reward manager is built by verl's `load_reward_manager` — which loads our
one-line `reward.py` through `custom_reward_function.path` — and each item of a real `DataProto` is scored
by the manager's `run_single`, as verl's reward loop does. Prints one JSON line: the manager's class, the
custom function verl resolved (or null), the scores, the extra-info keys, and items/s over a second
batch of distinct items scored after the first (so worker start-up is not in the timing).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import verl
from hydra import compose, initialize_config_dir
from verl import DataProto
from verl.trainer.ppo.reward import get_custom_reward_fn, load_reward_manager
from verl.utils.ray_utils import get_event_loop

from rest_train.models.tiny import build_tokenizer

ITEMS = [  # (data_source, prompt, response, ground truth)
    ("lighteval/MATH", "What is 1/2 + 1/4?", "We add: $\\boxed{\\frac{3}{4}}$", "0.75"),
    ("HuggingFaceH4/MATH-500", "What is 2^10?", "So $\\boxed{1000}$", "1024"),
    ("openai/gsm8k", "Tom has 3 apples and buys 4.", "3 + 4 = 7 apples.\n#### 7", "7"),
    ("lighteval/MATH", "Solve x + 3 = 5.", "no idea", "2"),
]


def timed_items(count: int = 128) -> list[tuple[str, str, str, str]]:
    """Distinct items that need symbolic algebra (half right), none alike, so neither the cache nor
    in-flight dedupe shortens the timing."""
    return [("lighteval/MATH", f"Expand (x + {i})^2.", f"So $\\boxed{{x^2 + {2 * i}x + {i * i}}}$.",
             f"(x + {i + i % 2})^2") for i in range(count)]


def compose_config(overrides: list[str]):
    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


def make_batch(tokenizer, items) -> DataProto:
    prompts = tokenizer([p for _, p, _, _ in items], padding="max_length", max_length=64, return_tensors="pt")
    responses = tokenizer([r for _, _, r, _ in items], padding="max_length", max_length=64, return_tensors="pt")
    return DataProto.from_dict(
        tensors={"prompts": prompts["input_ids"], "responses": responses["input_ids"],
                 "attention_mask": torch.cat([prompts["attention_mask"], responses["attention_mask"]], dim=1)},
        non_tensors={"data_source": np.array([s for s, _, _, _ in items], dtype=object),
                     "reward_model": np.array([{"ground_truth": g} for _, _, _, g in items], dtype=object),
                     "extra_info": np.array([{"question": p} for _, p, _, _ in items], dtype=object)})


async def score_concurrently(manager, batch: DataProto) -> list[dict]:
    """One `run_single` task per item, gathered: how verl's RewardLoopWorker drives a manager."""
    return await asyncio.gather(*(manager.run_single(batch[i:i + 1]) for i in range(len(batch))))


def main(reward_file: str, overrides: list[str]) -> None:
    config = compose_config([o.replace("REWARD_FILE", reward_file) for o in overrides])
    custom = get_custom_reward_fn(config)
    tokenizer = build_tokenizer()
    tokenizer.padding_side = "right"
    manager = load_reward_manager(config, tokenizer)
    loop = get_event_loop()
    results = loop.run_until_complete(score_concurrently(manager, make_batch(tokenizer, ITEMS)))
    timed = make_batch(tokenizer, timed_items())
    started = time.perf_counter()
    timed_results = loop.run_until_complete(score_concurrently(manager, timed))
    elapsed = time.perf_counter() - started
    print(json.dumps({
        "manager": type(manager).__name__,
        "custom_reward_fn": getattr(getattr(custom, "args", [None])[0], "__name__", None),
        "scores": [r["reward_score"] for r in results],
        "statuses": [r["reward_extra_info"].get("status") for r in results],
        "timed_correct": sum(r["reward_score"] for r in timed_results),
        "extra_info_keys": sorted(results[0]["reward_extra_info"]),
        "items_per_s": len(timed_results) / elapsed,
        "verl": verl.__version__,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

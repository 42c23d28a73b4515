"""LoRA M-steps through peft: only the adapter trains, the merged checkpoint samples, a run resumes and continues."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from rest_train.config import ConfigError, TrainConfig
from rest_train.demo.rest_em import QUICK
from rest_train.generation import Sampling
from rest_train.run import runner
from rest_train.training import adapters
from rest_train.training.finetune import TRAINING_RECORD, finetune
from rest_verify.plugins import get_generator_factory, get_task

from tests.train.test_loop import quick_config

LORA = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["c_attn"]}


def arith_examples(count: int) -> list[dict[str, str]]:
    task = get_task("arith")
    problems = task.load(None, split="train", count=count, seed=5, **QUICK.problems())
    return [{"prompt": task.format_prompt(p), "completion": p.meta["solution"]} for p in problems]


def weights(path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    return {name: tensor.clone() for name, tensor in AutoModelForCausalLM.from_pretrained(path).state_dict().items()}


def test_lora_trains_the_adapter_only_and_its_merged_checkpoint_samples(tmp_path, base_model):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    output = tmp_path / "checkpoint"
    train = TrainConfig(learning_rate=1e-2, epochs=2, batch_size=8, max_length=64, peft=LORA)
    record = finetune(base_model, arith_examples(16), output, train, seed=0, device="cpu")

    before, merged = weights(base_model), weights(output)
    changed = {name for name in before if not torch.equal(before[name], merged[name])}
    assert changed and all(".c_attn." in name for name in changed)  # the targets alone: the adapter merged in
    adapter = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_model), output / adapters.ADAPTER)
    lora = {name: tensor for name, tensor in adapter.state_dict().items() if "lora_" in name}
    assert lora and any(tensor.abs().sum() > 0 for name, tensor in lora.items() if "lora_B" in name)
    untouched = {name: tensor for name, tensor in adapter.state_dict().items() if "lora_" not in name}
    assert all(torch.equal(tensor, before[name.replace("base_model.model.", "").replace("base_layer.", "")])
               for name, tensor in untouched.items())
    remerged = adapter.merge_and_unload().state_dict()
    assert all(torch.allclose(remerged[name], merged[name], atol=1e-6) for name in changed)

    assert 0 < record["peft"]["trainable_parameters"] < sum(t.numel() for t in before.values())
    assert json.loads((output / TRAINING_RECORD).read_text())["peft"]["adapter_from"] is None
    generator = get_generator_factory("transformers")(str(output), device="cpu", batch_size=4, progress=False)
    texts = generator.generate([arith_examples(1)[0]["prompt"]], 2, Sampling(max_new_tokens=8, seed=0))
    assert len(texts[0]) == 2 and all(isinstance(text, str) for text in texts[0])


@pytest.mark.parametrize("options, message", [
    ({"rank": 4}, "train.peft.rank is not a LoraConfig field"),
    ({"alpha": 8, "lora_alpha": 8}, "train.peft.alpha and train.peft.lora_alpha are the same field"),
    ({"task_type": "SEQ_CLS"}, "train.peft.task_type is not a LoraConfig field"),
])
def test_a_lora_setting_peft_does_not_take_is_a_config_error_naming_it(options, message):
    with pytest.raises(ConfigError, match=message):
        adapters.lora_config(options)


def test_a_lora_target_that_matches_no_module_stops_the_run_before_sampling(tmp_path, base_model):
    root = tmp_path / "run"
    config = quick_config(root, base_model)
    config = dataclasses.replace(config, train=dataclasses.replace(
        config.train, peft={"target_modules": ["c_attn", "q_proj"]}))
    with pytest.raises(ConfigError, match=r"train.peft.target_modules: 'q_proj' matches no module .*c_attn"):
        runner.run(config, progress=False)
    assert not root.exists()


def test_a_continued_lora_run_trains_the_previous_adapter_and_resumes_redoing_nothing(tmp_path, base_model):
    root = tmp_path / "run"
    config = quick_config(root, base_model, iterations=2)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, init_from="previous", peft=LORA))
    runner.run(config, progress=False)
    ran: list[tuple[int, str]] = []
    runner.run(config, stage_hook=lambda i, s: ran.append((i, s)), progress=False)
    assert ran == []

    first = json.loads((root / "iter_01" / "metrics.json").read_text())["mstep"]
    second = json.loads((root / "iter_02" / "metrics.json").read_text())["mstep"]
    assert first["init_from"] == second["init_from"] == str(base_model)  # the adapter rides on the base weights
    assert first["peft"]["adapter_from"] is None
    assert second["peft"]["adapter_from"] == str(root / "iter_01" / "checkpoint" / adapters.ADAPTER)
    assert (root / "iter_02" / "checkpoint" / adapters.ADAPTER / "adapter_config.json").exists()
    assert (root / "report.md").exists()

"""LoRA for the M-step, through `peft`: `train.peft` read as a `LoraConfig`, checked against the model, the
adapter attached for training, then merged into a full checkpoint.

The checkpoint a LoRA M-step writes is merged (`merge_and_unload`), so the transformers and vllm backends load
a plain checkpoint as they load any other; the adapter itself is kept beside it in `checkpoint/adapter/`, for
ReST's continued training (init_from = 'previous'). vLLM could load adapters without merging, but only with
`enable_lora` and an adapter handed to every replica's requests: a possible later change.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any, Mapping

from rest_train.config import ConfigError
from rest_verify.errors import RestEmError

ADAPTER = "adapter"  # the adapter's folder inside a LoRA M-step's checkpoint
SHORT_NAMES = {"alpha": "lora_alpha", "dropout": "lora_dropout"}
# Fields the M-step sets itself: a causal LM's adapter, trainable, of the model the run names.
OWN_FIELDS = {"task_type", "peft_type", "base_model_name_or_path", "inference_mode", "revision", "auto_mapping",
              "peft_version"}


def require_peft() -> None:
    """One line naming the install when peft is missing: a full fine-tune needs no peft."""
    if importlib.util.find_spec("peft") is None:
        raise RestEmError("train.peft needs the peft package: pip install peft (or 'rest-em[train]')")


def lora_config(options: Mapping[str, Any]) -> Any:
    """`train.peft` as a peft `LoraConfig`; an unknown key or a bad value is a ConfigError naming it."""
    require_peft()
    from peft import LoraConfig

    known = {item.name for item in dataclasses.fields(LoraConfig) if item.init} - OWN_FIELDS
    settings: dict[str, Any] = {}
    spelt: dict[str, str] = {}
    for key, value in options.items():
        name = SHORT_NAMES.get(key, key)
        if name not in known:
            raise ConfigError(f"train.peft.{key} is not a LoraConfig field this run can set; use r, alpha, "
                              f"dropout, target_modules or another field of peft.LoraConfig")
        if name in settings:
            raise ConfigError(f"train.peft.{spelt[name]} and train.peft.{key} are the same field; keep one")
        settings[name], spelt[name] = value, key
    try:
        return LoraConfig(task_type="CAUSAL_LM", **settings)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"train.peft: {exc}") from None


def check_targets(model_path: str | Path, options: Mapping[str, Any]) -> None:
    """Raise a ConfigError naming the first LoRA target that matches no module of the model at `model_path`.

    peft itself only objects when no target matches at all; a misspelt one of several would silently train
    fewer layers. The model is built on the meta device, so no weight is read.
    """
    config = lora_config(options)
    names, model_type = _module_names(model_path)
    targets = config.target_modules
    if targets is None:
        from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as DEFAULTS

        if model_type not in DEFAULTS:
            raise ConfigError(f"train.peft.target_modules is required: peft has no default targets for model "
                              f"type {model_type!r}")
        return
    if targets == "all-linear":
        return
    for target in [targets] if isinstance(targets, str) else sorted(targets):
        if not any(_matches(dataclasses.replace(config, target_modules=target if isinstance(targets, str)
                                                else [target]), name) for name in names):
            raise ConfigError(f"train.peft.target_modules: {target!r} matches no module of {model_path} "
                              f"(its modules end in: {', '.join(_leaf_names(names))})")


def attach(model: Any, options: Mapping[str, Any], adapter_from: Path | None) -> Any:
    """`model` with a trainable LoRA adapter: a fresh one, or the one saved at `adapter_from` to keep training."""
    from peft import PeftModel, get_peft_model

    if adapter_from is not None:
        return PeftModel.from_pretrained(model, str(adapter_from), is_trainable=True)
    return get_peft_model(model, lora_config(options))


def trainable_parameters(model: Any) -> int:
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)


def save_merged(model: Any, directory: Path) -> None:
    """The adapter into `directory/adapter`, then the merged full model into `directory` itself."""
    model.save_pretrained(str(directory / ADAPTER))
    model.merge_and_unload().save_pretrained(str(directory))


def _matches(config: Any, name: str) -> bool:
    from peft.tuners.tuners_utils import check_target_module_exists

    return bool(check_target_module_exists(config, name))


def _module_names(model_path: str | Path) -> tuple[list[str], str]:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model_path)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return [name for name, _ in model.named_modules() if name], config.model_type


def _leaf_names(names: list[str]) -> list[str]:
    return sorted({name.rsplit(".", 1)[-1] for name in names if not name.rsplit(".", 1)[-1].isdigit()})

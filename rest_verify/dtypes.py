"""Where and in which floating-point type a model computes: the one owner of `model.device` and
`model.dtype`'s `auto`.

Why it matters: a CPU without native bf16 (AVX2 only, no AVX512-BF16 and no AMX) multiplies bfloat16
matrices tens of times slower than float32, so a bf16 checkpoint sampled and fine-tuned as it is saved
crawls there. `auto` therefore follows the checkpoint only where the hardware computes its type natively:

- on a GPU the checkpoint's type (bfloat16 only where `torch.cuda.is_bf16_supported()`, else float16;
  float32 for a checkpoint that names no type), as vLLM's own `dtype="auto"` does;
- on a CPU bfloat16 only for a bf16 checkpoint on a processor with native bf16, else float32.

An explicit type is always honoured; the reason says when it will be slow. `choose_dtype` is pure (the
hardware facts are its arguments); `resolve_dtype` gathers the facts, and logs each distinct choice once.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, NamedTuple

log = logging.getLogger("rest_verify")

DTYPES = ("auto", "float32", "bfloat16", "float16")
# oneDNN, which runs torch's bf16 matmuls on x86 CPUs, computes bf16 natively only from these ISA levels
# on; ONEDNN_MAX_CPU_ISA (or its old name DNNL_MAX_CPU_ISA) set to a lower level emulates bf16.
_ONEDNN_BF16_ISAS = ("ALL", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX", "AVX10")
# Hardware flags of `torch.cpu.get_capabilities()` that mean bf16 dot products in silicon (x86).
_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


class DtypeChoice(NamedTuple):
    """The type a model computes in, and why (written to the run's record)."""

    dtype: str
    reason: str


def resolve_device(device: str) -> str:
    """'auto' becomes 'cuda' when a GPU is visible, else 'cpu'; anything else is returned unchanged."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def check_dtype(requested: str, key: str = "dtype") -> str:
    """`requested` if it is one of DTYPES, else a ValueError naming `key`."""
    if requested not in DTYPES:
        raise ValueError(f"{key} must be one of {', '.join(map(repr, DTYPES))}, got {requested!r}")
    return requested


def choose_dtype(requested: str, device: str, checkpoint_dtype: str | None, *, native_bf16: bool) -> DtypeChoice:
    """The dtype for `requested` on `device` ('cpu', 'cuda', 'cuda:N'), given the checkpoint's saved type
    and whether that device computes bfloat16 natively."""
    check_dtype(requested)
    gpu = device.startswith("cuda")
    if requested != "auto":
        return DtypeChoice(requested, _explicit_reason(requested, gpu, native_bf16))
    saved = checkpoint_dtype if checkpoint_dtype in DTYPES[1:] else None
    if gpu:
        if saved == "bfloat16" and not native_bf16:
            return DtypeChoice("float16", "auto: the checkpoint is bfloat16 but this GPU has no bf16 support")
        if saved is None:
            return DtypeChoice("float32", "auto: the checkpoint names no dtype")
        return DtypeChoice(saved, "auto: the checkpoint's dtype, which this GPU computes natively")
    if saved == "bfloat16" and native_bf16:
        return DtypeChoice("bfloat16", "auto: the checkpoint is bfloat16 and this CPU has native bf16")
    if saved == "bfloat16":
        return DtypeChoice("float32", "auto: the checkpoint is bfloat16 but this CPU has no native bf16 "
                                      "(AVX512-BF16 or AMX), where float32 is many times faster")
    return DtypeChoice("float32", f"auto: the checkpoint is {saved or 'of no named dtype'}; a CPU computes "
                                  f"float32 fastest")


def _explicit_reason(requested: str, gpu: bool, native_bf16: bool) -> str:
    if requested == "bfloat16" and not native_bf16:
        where = "this GPU has no bf16 support" if gpu else "this CPU has no native bf16: expect it to be slow"
        return f"requested ({where})"
    if requested == "float16" and not gpu:
        return "requested (float16 on a CPU: emulated by most processors, expect it to be slow)"
    return "requested"


def cpu_has_native_bf16(capabilities: Mapping[str, Any], aten_level: str, onednn_isa: str | None) -> bool:
    """Whether torch computes bf16 natively on this CPU: the processor has AVX512-BF16 or AMX-BF16, and
    neither ATEN_CPU_CAPABILITY (reflected in `aten_level`, torch's kernel level) nor ONEDNN_MAX_CPU_ISA
    caps torch below it. The variables are honoured because torch's own kernels honour them: a machine
    told to act as AVX2 computes bf16 as slowly as one that is."""
    if not any(capabilities.get(flag, False) for flag in _BF16_FLAGS):
        return False
    if aten_level.upper() != "AVX512":
        return False
    return onednn_isa is None or onednn_isa.strip().upper().startswith(_ONEDNN_BF16_ISAS)


def cpu_facts() -> dict[str, Any]:
    """This processor's model, torch's instruction-set level for it, and whether it has native bf16."""
    import torch

    capabilities = torch.cpu.get_capabilities()
    level = torch.backends.cpu.get_cpu_capability()
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA")
    return {"processor": capabilities.get("cpu_name") or platform.processor() or "unknown",
            "capability": level, "onednn_max_isa": isa,
            "native_bf16": cpu_has_native_bf16(capabilities, level, isa)}


def device_has_native_bf16(device: str) -> bool:
    """The hardware fact `choose_dtype` needs for `device` (a resolved device name)."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device == "cpu":
        return cpu_facts()["native_bf16"]
    return False  # another accelerator: auto keeps float32


def checkpoint_dtype(model_path: str | Path) -> str | None:
    """The dtype the checkpoint's config.json records (`dtype`, or `torch_dtype` before transformers 5)."""
    try:
        config = json.loads((Path(model_path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no readable config: loading the model reports that properly
    saved = (config.get("dtype") or config.get("torch_dtype")) if isinstance(config, dict) else None
    return saved if isinstance(saved, str) else None


def resolve_dtype(requested: str, device: str, model_path: str | Path) -> DtypeChoice:
    """`choose_dtype` with this machine's facts for the checkpoint at `model_path`; each distinct choice is
    logged once. `device` may be 'auto'."""
    check_dtype(requested)
    return _resolved(requested, resolve_device(device), checkpoint_dtype(model_path))


@lru_cache(maxsize=None)
def _resolved(requested: str, device: str, saved: str | None) -> DtypeChoice:
    native = False if requested in ("float32", "float16") else device_has_native_bf16(device)
    choice = choose_dtype(requested, device, saved, native_bf16=native)
    log.info("model dtype on %s: %s (%s)", device, choice.dtype, choice.reason)
    return choice


def torch_dtype(name: str) -> Any:
    """The torch dtype a concrete DTYPES name stands for."""
    import torch

    return getattr(torch, name)


def training_setup(dtype: str, device: str) -> tuple[str, dict[str, Any]]:
    """The weights' dtype and the Trainer's precision arguments that fine-tune in `dtype` on `device`.

    float16 weights cannot be trained without loss scaling (small gradients vanish), so they stay float32;
    on a GPU the Trainer's fp16 mixed precision then computes in float16 (a CPU has no such mode).
    """
    if dtype != "float16":
        return dtype, {}
    return "float32", ({"fp16": True} if device.startswith("cuda") else {})


def run_record(model_path: str, requested: str, device: str) -> dict[str, Any]:
    """The dtype entry of a run's record (run.json): what was asked, what was chosen, and why."""
    choice = resolve_dtype(requested, device, model_path)
    return {"requested": requested, "dtype": choice.dtype, "reason": choice.reason, "device": device}

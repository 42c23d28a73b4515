"""model.dtype: the choice table with the hardware facts injected, the CPU probe, and this machine's probe
under an emulated AVX2-only CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rest_verify.dtypes import (checkpoint_dtype, choose_dtype, cpu_has_native_bf16, run_record, training_setup,
                               _resolved)


@pytest.mark.parametrize("device, saved, native, expected", [
    # CPU: bf16 only for a bf16 checkpoint on a processor that computes it natively
    ("cpu", "bfloat16", True, "bfloat16"),
    ("cpu", "bfloat16", False, "float32"),
    ("cpu", "float32", True, "float32"),
    ("cpu", "float16", True, "float32"),
    ("cpu", None, True, "float32"),
    # GPU: the checkpoint's type where the card computes it, float16 for bf16 where it does not
    ("cuda", "bfloat16", True, "bfloat16"),
    ("cuda:1", "bfloat16", False, "float16"),
    ("cuda", "float16", False, "float16"),
    ("cuda", "float32", True, "float32"),
    ("cuda", None, True, "float32"),
])
def test_auto_follows_the_checkpoint_only_where_the_device_computes_its_type(device, saved, native, expected):
    choice = choose_dtype("auto", device, saved, native_bf16=native)
    assert choice.dtype == expected and choice.reason.startswith("auto:")


def test_the_reason_says_why_a_cpu_without_native_bf16_gets_float32():
    assert "no native bf16" in choose_dtype("auto", "cpu", "bfloat16", native_bf16=False).reason


@pytest.mark.parametrize("requested", ["float32", "bfloat16", "float16"])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("native", [True, False])
def test_an_explicit_dtype_is_honoured_everywhere(requested, device, native):
    assert choose_dtype(requested, device, "bfloat16", native_bf16=native).dtype == requested


def test_explicit_choices_that_will_be_slow_say_so():
    assert "expect it to be slow" in choose_dtype("bfloat16", "cpu", None, native_bf16=False).reason
    assert "float16 on a CPU" in choose_dtype("float16", "cpu", None, native_bf16=True).reason
    assert choose_dtype("float16", "cuda", None, native_bf16=False).reason == "requested"


def test_an_unknown_dtype_is_refused_by_name():
    with pytest.raises(ValueError, match="dtype must be one of 'auto', 'float32', 'bfloat16', 'float16', got 'fp8'"):
        choose_dtype("fp8", "cpu", None, native_bf16=True)


BF16_CPU = {"avx512_f": True, "avx512_bf16": True, "amx_bf16": False}


@pytest.mark.parametrize("capabilities, level, isa, expected", [
    (BF16_CPU, "AVX512", None, True),
    ({"avx512_f": True, "avx512_bf16": False, "amx_bf16": True}, "AVX512", None, True),  # AMX
    ({"avx2": True, "avx512_bf16": False}, "AVX2", None, False),  # the AVX2-only EPYC
    ({"avx512_f": True, "avx512_bf16": False}, "AVX512", None, False),  # AVX-512 without its bf16 part
    (BF16_CPU, "AVX2", None, False),  # ATEN_CPU_CAPABILITY=avx2
    (BF16_CPU, "AVX512", "AVX2", False),  # ONEDNN_MAX_CPU_ISA=AVX2
    (BF16_CPU, "AVX512", "avx512_core_bf16", True),
    (BF16_CPU, "AVX512", "ALL", True),
    ({"architecture": "aarch64", "bf16": True}, "SVE256", None, False),
])
def test_native_bf16_needs_the_hardware_and_no_variable_capping_torch_below_it(capabilities, level, isa, expected):
    assert cpu_has_native_bf16(capabilities, level, isa) is expected


def test_an_emulated_avx2_cpu_is_seen_as_lacking_native_bf16():
    probe = "import json; from rest_verify.dtypes import cpu_facts; print(json.dumps(cpu_facts()))"
    environment = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    output = subprocess.run([sys.executable, "-c", probe], env=environment, capture_output=True, text=True,
                            timeout=120, check=True).stdout
    facts = json.loads(output)
    assert facts["native_bf16"] is False and facts["capability"] == "AVX2" and facts["processor"]


def test_the_checkpoints_dtype_is_read_from_either_config_key(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"dtype": "bfloat16"}))
    assert checkpoint_dtype(tmp_path) == "bfloat16"
    (tmp_path / "config.json").write_text(json.dumps({"torch_dtype": "float16"}))
    assert checkpoint_dtype(tmp_path) == "float16"
    (tmp_path / "config.json").write_text("{not json")
    assert checkpoint_dtype(tmp_path) is None
    assert checkpoint_dtype(tmp_path / "nowhere") is None


def test_float16_fine_tuning_keeps_float32_weights_with_mixed_precision_on_a_gpu():
    assert training_setup("float16", "cuda") == ("float32", {"fp16": True})
    assert training_setup("float16", "cpu") == ("float32", {})
    assert training_setup("bfloat16", "cpu") == ("bfloat16", {})


def test_the_run_record_names_the_request_the_choice_and_the_reason(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text(json.dumps({"dtype": "bfloat16"}))
    monkeypatch.setattr("rest_verify.dtypes.device_has_native_bf16", lambda device: False)
    _resolved.cache_clear()
    try:
        record = run_record(str(tmp_path), "auto", "cpu")
    finally:
        _resolved.cache_clear()
    assert record == {"requested": "auto", "dtype": "float32", "device": "cpu",
                      "reason": choose_dtype("auto", "cpu", "bfloat16", native_bf16=False).reason}

"""GGUF -> plain checkpoint: clear errors for what cannot be converted, and the converted SmolLM2 folder."""

from __future__ import annotations

import json

import pytest

from rest_train.models.gguf import convert_gguf, find_gguf
from rest_train.models.folder import ModelFileError, check_model_folder


def test_sources_that_name_no_gguf_file_are_errors(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        find_gguf(str(tmp_path / "model.gguf"))
    with pytest.raises(ModelFileError, match="neither a .gguf file nor an installed package"):
        find_gguf("no_such_package_here")
    with pytest.raises(ModelFileError, match="ships 0 .gguf files"):
        find_gguf("json")


@pytest.mark.parametrize("content", [b"not a gguf file at all", b"GGUF\x03\x00\x00\x00cut short"])
def test_a_damaged_gguf_file_is_named_and_leaves_no_output(tmp_path, content):
    damaged = tmp_path / "model.gguf"
    damaged.write_bytes(content)
    with pytest.raises(ModelFileError, match=r"model\.gguf is not a readable GGUF model"):
        convert_gguf(damaged, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.isolated_env("vllm")
def test_the_converted_smollm2_is_a_plain_bf16_checkpoint(isolated_env):
    folder = isolated_env / "models" / "smollm2-135m-instruct"
    check_model_folder(folder)
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["dtype"] == "bfloat16" and config["architectures"] == ["LlamaForCausalLM"]
    assert (folder / "chat_template.jinja").exists() or "chat_template" in (folder / "tokenizer_config.json").read_text()


def test_the_rest_em_verb_reports_a_missing_source_in_one_line(tmp_path):
    from click.testing import CliRunner

    from rest_verify.cli import main

    result = CliRunner().invoke(main, ["convert-gguf", str(tmp_path / "model.gguf"), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"GGUF file {tmp_path / 'model.gguf'} does not exist" in result.output
    assert not (tmp_path / "out").exists()


def write_tiny_gguf(path):
    """A one-layer llama GGUF with an eight-token vocabulary, written with the gguf package."""
    import gguf
    import numpy as np

    vocab, width, hidden, heads = 8, 16, 32, 2
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(32)
    writer.add_embedding_length(width)
    writer.add_block_count(1)
    writer.add_feed_forward_length(hidden)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(width // heads)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<unk>", "<s>", "</s>", "a", "b", "c", "\u2581", "d"])
    writer.add_token_scores([0.0] * vocab)
    writer.add_token_types([2, 3, 3, 1, 1, 1, 1, 1])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    rng = np.random.default_rng(0)
    shapes = {"token_embd": (vocab, width), "output_norm": (width,), "output": (vocab, width),
              "blk.0.attn_q": (width, width), "blk.0.attn_k": (width, width), "blk.0.attn_v": (width, width),
              "blk.0.attn_output": (width, width), "blk.0.ffn_gate": (hidden, width),
              "blk.0.ffn_up": (hidden, width), "blk.0.ffn_down": (width, hidden), "blk.0.attn_norm": (width,),
              "blk.0.ffn_norm": (width,)}
    for name, shape in shapes.items():
        writer.add_tensor(f"{name}.weight", rng.standard_normal(shape).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_convert_gguf_writes_the_tensors_in_the_dtype_asked_for(tmp_path, dtype):
    from click.testing import CliRunner
    from safetensors import safe_open

    from rest_verify.cli import main

    source = write_tiny_gguf(tmp_path / "tiny.gguf")
    result = CliRunner().invoke(main, ["convert-gguf", str(source), str(tmp_path / "out"), "--dtype", dtype])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "config.json").read_text())["dtype"] == dtype
    with safe_open(str(tmp_path / "out" / "model.safetensors"), "pt") as weights:
        assert {str(weights.get_tensor(name).dtype) for name in weights.keys()} == {f"torch.{dtype}"}


def test_convert_gguf_offers_only_the_types_it_can_save_and_says_why_to_pick_one(tmp_path):
    from click.testing import CliRunner

    from rest_verify.cli import main

    refused = CliRunner().invoke(main, ["convert-gguf", "x.gguf", str(tmp_path / "out"), "--dtype", "int8"])
    assert refused.exit_code == 2 and "'int8' is not one of 'bfloat16', 'float32', 'float16'" in refused.output
    help_text = " ".join(CliRunner().invoke(main, ["convert-gguf", "--help"]).output.split())
    assert "a CPU without native bf16 computes float32 tens of times faster" in help_text

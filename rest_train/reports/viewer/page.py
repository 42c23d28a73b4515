"""The viewer's one self-contained HTML file: template, style, script and the model, embedded.

The model travels as gzip compressed, base64 encoded JSON inside a non-executed <script> element: base64
holds no `<`, so no completion (`</script>`, `<img onerror=...>`) can end the element early, and the
browser inflates it with its own DecompressionStream, so the page needs no network and no library.
A Content-Security-Policy allows only the page's own script and style (by hash): even markup that got
into the DOM could run nothing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from rest_train.run.files import write_text

PLACEHOLDERS = ("/*STYLE*/", "/*SCRIPT*/", "DATA", "CSP")


def render(model: dict[str, Any]) -> str:
    """The HTML page showing `model` (rest_train.reports.viewer.data)."""
    template = _static("template.html")
    style, script = _static("viewer.css"), _static("viewer.js")
    for name, text in (("viewer.css", style), ("viewer.js", script)):
        if "</" in text:
            raise ValueError(f"{name} must not contain '</': it would end its inline element")
    policy = (f"default-src 'none'; script-src '{_digest(script)}'; style-src '{_digest(style)}'; "
              "img-src data:; base-uri 'none'; form-action 'none'")
    payload = gzip.compress(json.dumps(model, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
                            .encode("ascii"), compresslevel=6, mtime=0)
    replacements = {"/*STYLE*/": style, "/*SCRIPT*/": script, "CSP": policy,
                    "DATA": base64.b64encode(payload).decode("ascii")}
    for placeholder in PLACEHOLDERS:
        before, marker, after = template.partition("{{" + placeholder + "}}")
        if not marker:
            raise ValueError(f"template.html lacks {{{{{placeholder}}}}}")
        template = before + replacements[placeholder] + after
    return template


def write(model: dict[str, Any], output: Path) -> Path:
    """Write the page atomically (a viewer opened while it is rewritten sees the old one whole)."""
    write_text(Path(output), render(model))
    return Path(output)


def _static(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")

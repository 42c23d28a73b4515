"""Models named on the hub (`hf://Qwen/Qwen2.5-Math-1.5B`): where they are, and whether the hub can be asked.

Every engine of a run (vLLM's check of the folder, the dtype choice, LoRA's module check, the trainer)
reads a local folder, so a hub model becomes its snapshot folder once, at the start of the run. The `hf://`
prefix, as for data sets, keeps a name apart from a relative folder that does not exist yet. Requests are
bounded by huggingface_hub's own timeouts (HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from rest_verify.errors import RestEmError, first_line
from rest_verify.records import HUB_SCHEME, is_hub_id

DEFAULT_ENDPOINT = "https://huggingface.co"
PROBE_TIMEOUT = 5.0  # seconds: a check on a machine without network should not wait long to say so


def is_hub_model(path: str | None) -> bool:
    """`hf://owner/name`; `hf://./folder` or `hf:///folder` name local folders, which need no network."""
    return bool(path) and path.startswith(HUB_SCHEME) and is_hub_id(path[len(HUB_SCHEME):])


def hub_unreachable() -> str | None:
    """Why the hub cannot be asked now (HF_HUB_OFFLINE set, or no answer), or None when it answers.

    Read at call time, not through huggingface_hub's constants, which are frozen when it is imported.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        return "HF_HUB_OFFLINE=1"
    endpoint = os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT)
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=PROBE_TIMEOUT).close()
    except urllib.error.HTTPError:
        return None  # it answered
    except (OSError, ValueError) as exc:
        return f"{endpoint} does not answer ({getattr(exc, 'reason', exc)})"
    return None


def local_model(path: str) -> str:
    """The folder `path` names: itself, or for a hub model the folder of its snapshot in the Hugging Face cache."""
    if not path.startswith(HUB_SCHEME):
        return path
    if not is_hub_model(path):
        return path[len(HUB_SCHEME):]
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(path[len(HUB_SCHEME):])
    except Exception as exc:  # huggingface_hub raises many types: not found, gated, offline, no network
        raise RestEmError(f"model.path: hub model {path!r} cannot be downloaded "
                          f"({first_line(exc)})") from None

"""Sandbox options from the command line or a config, handed to a verifier that runs a sandbox.

A verifier that runs programs in a sandbox offers `with_sandbox_options(options)`: a copy of itself
whose sandbox gets these options on top of its own, checked before any grading starts (e.g. `runtime=runsc`
where dockerd has no gVisor is refused here, not at the first submission).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from rest_verify.errors import RestEmError
from rest_verify.verifier_options import split_pair


class SandboxOptionError(RestEmError, ValueError):
    """A sandbox option is malformed, or given to a verifier that runs no sandbox."""


def parse_sandbox_options(pairs: Iterable[str]) -> dict[str, Any]:
    """`KEY=VALUE` strings as a dict; a VALUE that reads as JSON (numbers, true, null...) is taken as such."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, text = split_pair(pair, SandboxOptionError, "sandbox option", "runtime=runsc")
        try:
            options[key] = json.loads(text)
        except ValueError:
            options[key] = text
    return options


def runs_sandbox(verifier: Any) -> bool:
    """Whether the verifier runs programs in a sandbox, i.e. takes sandbox options."""
    return callable(getattr(verifier, "with_sandbox_options", None))


def with_sandbox_options(verifier: Any, options: Mapping[str, Any]) -> Any:
    """The verifier with these sandbox options applied (itself when there are none)."""
    if not options:
        return verifier
    if not runs_sandbox(verifier):
        raise SandboxOptionError(f"verifier {getattr(verifier, 'name', verifier)!r} runs no sandbox, so it takes "
                                 f"no sandbox options (given: {', '.join(sorted(options))})")
    return verifier.with_sandbox_options(dict(options))

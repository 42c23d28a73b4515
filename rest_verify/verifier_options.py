"""Options for a verifier (`extraction = "strict"`), from the command line or a config table.

A verifier that takes options has `configure(**options)`, returning a configured copy whose `version`
differs whenever the options change verdicts (the version keys the verdict cache). Verifiers without
`configure` take no options.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from rest_verify.engine import resolve_verifier
from rest_verify.errors import VerifierOptionError


def split_pair(pair: str, error: type[Exception], what: str, example: str) -> tuple[str, str]:
    """`KEY=VALUE` as (key, value), both stripped; `error` naming `what` and an `example` otherwise."""
    key, sep, value = pair.partition("=")
    if not sep or not key.strip():
        raise error(f"{what} {pair!r} is not KEY=VALUE (e.g. {example})")
    return key.strip(), value.strip()


def parse_options(pairs: Iterable[str]) -> dict[str, str]:
    """`["extraction=strict"]` -> `{"extraction": "strict"}`; a pair without `=` or a key is an error."""
    return dict(split_pair(pair, VerifierOptionError, "verifier option", "extraction=strict") for pair in pairs)


def configured(verifier: Any, options: Mapping[str, Any]) -> Any:
    """The verifier (an object or a registered name) with `options` applied; itself when there are none."""
    resolved = resolve_verifier(verifier)
    if not options:
        return resolved
    configure = getattr(resolved, "configure", None)
    if not callable(configure):
        raise VerifierOptionError(f"verifier {resolved.name!r} takes no options, got {', '.join(options)}")
    try:
        return configure(**options)
    except (TypeError, ValueError) as exc:
        raise VerifierOptionError(f"verifier {resolved.name!r}: {exc}") from None

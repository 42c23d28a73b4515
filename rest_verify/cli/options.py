"""Options several verbs share, defined once so they read and behave the same everywhere."""

from __future__ import annotations

from typing import Any, Callable

import click

from rest_verify.engine import AUTO, DEFAULT_TIMEOUT

verifier_option = click.option("--verifier", "-v", required=True,
                               help="Name of an installed verifier (see `rest-em plugins`).")


def timeout_option(overrun: str) -> Callable[[Any], Any]:
    """`--timeout S`, passed on as `AUTO` when not given so the verifier's own deadline applies."""
    return click.option(
        "--timeout", "-t", type=click.FloatRange(min=0, min_open=True), default=None,
        callback=lambda ctx, param, value: AUTO if value is None else value,
        help=f"Hard wall-clock seconds per item; an overrun {overrun} "
             f"(default: the verifier's own deadline, else {DEFAULT_TIMEOUT:g}).")

verifier_options_option = click.option(
    "--verifier-option", "verifier_options", multiple=True, metavar="KEY=VALUE",
    help="An option for the verifier, repeatable (e.g. `--verifier-option extraction=strict` for math).")

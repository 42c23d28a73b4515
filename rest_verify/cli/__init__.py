"""The `rest-em` command. Each core verb lives in its own module of this package; plugins add theirs
through the `register_commands` hook, and every verb is imported only when it runs."""

from __future__ import annotations

import click

from rest_verify.cli.group import VerbGroup
from rest_verify.plugins import get_registry


@click.group(cls=VerbGroup)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error (or set REST_EM_DEBUG=1).")
@click.version_option(package_name="rest-em")
def main(debug: bool) -> None:
    """rest-em: verifiable rewards and ReST-EM self-training."""
    for broken in get_registry().broken:  # said on every verb, so a plugin missing from a run is never silent
        click.echo(f"warning: {broken.describe()}", err=True)

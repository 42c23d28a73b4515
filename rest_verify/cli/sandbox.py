"""`rest-em sandbox build|doctor`: make the sandbox image, then prove the sandbox isolates."""

from __future__ import annotations

import sys

import click

from sandboxes.base import SandboxError
from sandboxes.image import DEFAULT_IMAGE, DEFAULT_MIRROR, METHODS


@click.group()
def sandbox() -> None:
    """Build and check the Docker sandbox that runs model-written code."""


@sandbox.command()
@click.option("--image", default=DEFAULT_IMAGE, show_default=True, help="Name[:tag] of the image to build.")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True,
              help="debootstrap: offline from a Debian mirror (root); dockerfile: needs registry access; "
                   "auto: debootstrap when installed and root, else dockerfile.")
@click.option("--mirror", default=DEFAULT_MIRROR, show_default=True, help="Debian mirror for debootstrap.")
@click.option("--force", is_flag=True, help="Rebuild even if the image exists.")
def build(image: str, method: str, mirror: str, force: bool) -> None:
    """Build the sandbox image (skipped when it already exists)."""
    from sandboxes.image import build_image

    try:
        build_image(name=image, method=method, mirror=mirror, force=force, log=click.echo)
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from exc


@sandbox.command()
@click.option("--image", default=DEFAULT_IMAGE, show_default=True, help="Image to check.")
def doctor(image: str) -> None:
    """Check the Docker SDK, daemon, image and every isolation property; exit 1 if any fails."""
    from sandboxes.doctor import report, run_checks

    try:
        healthy = report(run_checks(image), click.echo)
    except SandboxError as exc:
        click.echo(f"FAIL sandbox: {exc}")
        healthy = False
    if not healthy:
        sys.exit(1)

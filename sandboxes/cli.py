"""`rest-em sandbox build|doctor`: make the sandbox image, then prove the sandbox isolates.

Registered as a verb through `register_commands` in `sandboxes.plugin`; imported only when it runs.
"""

from __future__ import annotations

import click

from sandboxes.base import SandboxUnavailable
from sandboxes.image import DEFAULT_MIRROR, METHODS, default_image


@click.group()
def sandbox() -> None:
    """Build and check the Docker sandbox that runs model-written code."""


@sandbox.command()
@click.option("--image", default=default_image, show_default="rest-em-sandbox:<recipe hash>",
              help="Name[:tag] of the image to build.")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True,
              help="debootstrap: offline from a Debian mirror (root); dockerfile: needs registry access; "
                   "auto: debootstrap when installed and root, else dockerfile.")
@click.option("--mirror", default=DEFAULT_MIRROR, show_default=True, help="Debian mirror for debootstrap.")
@click.option("--force", is_flag=True, help="Rebuild even if the image exists.")
def build(image: str, method: str, mirror: str, force: bool) -> None:
    """Build the sandbox image (skipped when it already exists)."""
    from sandboxes.image import build_image

    build_image(name=image, method=method, mirror=mirror, force=force, log=click.echo)


@sandbox.command()
@click.option("--image", default=default_image, show_default="rest-em-sandbox:<recipe hash>", help="Image to check.")
@click.option("--runtime", default="runc", show_default=True,
              help="OCI runtime to check in full (runsc: gVisor); other registered runtimes get a smoke test.")
def doctor(image: str, runtime: str) -> None:
    """Check the Docker SDK, daemon, runtimes, image and every isolation property; exit 2 if any fails."""
    from sandboxes.doctor import report, run_checks

    failed = report(run_checks(image, runtime), click.echo)
    if failed:
        first = failed[0]
        raise SandboxUnavailable(f"sandbox not ready: {first.name}: {first.detail} (next: {first.remedy})")

"""`rest-em check NAME`: run the conformance kit against an installed verifier."""

from __future__ import annotations

import click

from rest_verify.plugins import get_verifier
from rest_verify.testing.checks import run_checks


@click.command()
@click.argument("name")
@click.option("--deadline", type=float, default=10.0, show_default=True,
              help="Seconds a single verification may take before the check fails.")
def check(name: str, deadline: float) -> None:
    """Check that verifier NAME is deterministic, picklable, safe on garbage and rewards no junk."""
    results = run_checks(get_verifier(name), deadline=deadline)
    for result in results:
        mark = click.style("PASS", fg="green") if result.passed else click.style("FAIL", fg="red")
        click.echo(f"{mark}  {result.name:<28} {result.description}")
        if not result.passed:
            click.echo(f"      {result.message}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)

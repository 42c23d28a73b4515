"""`rest-em check NAME`: run the conformance kit against an installed verifier."""

from __future__ import annotations

import click

from rest_verify.cli.options import verifier_options_option
from rest_verify.testing.checks import run_checks
from rest_verify.verifier_options import configured, parse_options


@click.command()
@click.argument("name")
@click.option("--deadline", type=float, default=10.0, show_default=True,
              help="Seconds a single verification may take before the check fails.")
@verifier_options_option
def check(name: str, deadline: float, verifier_options: tuple[str, ...]) -> None:
    """Check that verifier NAME is deterministic, picklable, safe on garbage and rewards no junk
    (the generic junk and the verifier's own `bad_examples`), configured with any --verifier-option."""
    results = run_checks(configured(name, parse_options(verifier_options)), deadline=deadline)
    for result in results:
        mark = click.style("PASS", fg="green") if result.passed else click.style("FAIL", fg="red")
        click.echo(f"{mark}  {result.name:<28} {result.description}")
        if not result.passed:
            click.echo(f"      {result.message}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)

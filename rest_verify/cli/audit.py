"""`rest-em audit`: the page a person reads before training on graded samples."""

from __future__ import annotations

from pathlib import Path

import click

from rest_verify.audit import audit as run_audit, read_graded
from rest_verify.cli.options import timeout_option


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--against", default=None, help="A second installed verifier to regrade with and compare.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the Markdown report here instead of standard output.")
@click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True)
@timeout_option("counts as the second verifier's `timeout`")
def audit(path: Path, against: str | None, output: Path | None, workers: int, timeout: float | str) -> None:
    """Status mix, disagreement with a second verifier and reward-hacking signs of PATH.

    PATH is a `rest-em grade` output file or a run directory (its iter_*/samples.jsonl and verdicts.jsonl).
    """
    report = run_audit(read_graded(path), against=against, workers=workers, timeout=timeout)
    text = report.render()
    if output is None:
        click.echo(text)
    else:
        output.write_text(text)
        click.echo(f"audit written to {output}", err=True)

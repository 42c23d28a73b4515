"""`rest-em plugins`: what is installed, so a run can say exactly what graded it."""

from __future__ import annotations

import json

import click

from rest_verify.plugins import KINDS, SINGULAR, get_registry


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="Only this kind of registration.")
def plugins(as_json: bool, kind: str | None) -> None:
    """List registered verifiers, sandboxes, tasks, generators and verbs with their distributions,
    and the plugins that are installed but broken, with their error and the way out."""
    registry = get_registry()
    registrations = registry.all(kind)
    rows = [{"kind": SINGULAR[r.kind], "name": r.name, "version": str(getattr(r.obj, "version", "") or ""),
             "distribution": r.distribution, "distribution_version": r.version} for r in registrations]
    broken = [{"kind": "broken plugin", "name": b.plugin, "version": "", "distribution": b.distribution,
               "distribution_version": b.version, "error": b.error, "way_out": b.way_out()}
              for b in registry.broken] if kind is None else []
    if as_json:
        click.echo(json.dumps(rows + broken, indent=2))
        return
    headers = ("kind", "name", "version", "distribution")
    table = [(r["kind"], r["name"], r["version"] or "-", f"{r['distribution']} {r['distribution_version']}")
             for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    for row in broken:
        click.echo(f"\nBROKEN  plugin {row['name']!r} from {row['distribution']} {row['distribution_version']}: "
                   f"{row['error']}\n        {row['way_out']}")

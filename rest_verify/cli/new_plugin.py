"""`rest-em new-plugin NAME`: render a ready-to-publish verifier plugin distribution."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import click

from rest_verify.errors import RestEmError

TEMPLATE = Path(__file__).resolve().parent.parent / "plugin_template"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def render_plugin(name: str, destination: Path) -> Path:
    """Write the distribution `rest-em-NAME` under `destination`; return its folder.

    An existing folder is a `RestEmError` (exit status 2 from the command): nothing already written is lost.
    """
    if not NAME_PATTERN.match(name):
        raise click.BadParameter(f"{name!r}: use lowercase letters, digits and underscores, starting with a letter")
    package = f"rest_em_{name}"
    values = {
        "name": name,
        "verb": name.replace("_", "-"),
        "package": package,
        "distribution": f"rest-em-{name.replace('_', '-')}",
        "class_name": "".join(part.capitalize() for part in name.split("_")) + "Verifier",
        "rest_em_version": importlib.metadata.version("rest-em"),
    }
    root = destination / values["distribution"]
    if root.exists():
        raise RestEmError(f"{root} already exists; choose another NAME or --directory, or remove it")
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE).with_suffix("")
        parts = [package if part == "package" else part for part in relative.parts]
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text().format(**values))
    return root


@click.command("new-plugin")
@click.argument("name")
@click.option("--directory", "-d", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to create the distribution's folder.")
def new_plugin(name: str, directory: Path) -> None:
    """Create rest-em-NAME: a verifier plugin that already passes the conformance kit."""
    root = render_plugin(name, directory)
    click.echo(f"created {root}\nnext: pip install -e '{root}[test]' && rest-em check {name}")

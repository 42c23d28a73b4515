"""The `rest-em` command. Each verb lives in its own module of this package."""

from __future__ import annotations

import importlib

import click

# (module, attribute) of every verb; imported lazily so `rest-em grade` never pays for torch.
VERBS = {
    "grade": ("rest_verify.cli.grade", "grade"),
    "plugins": ("rest_verify.cli.plugins", "plugins"),
    "check": ("rest_verify.cli.check", "check"),
    "audit": ("rest_verify.cli.audit", "audit"),
    "serve": ("rest_verify.cli.serve", "serve"),
    "new-plugin": ("rest_verify.cli.new_plugin", "new_plugin"),
    "sandbox": ("rest_verify.cli.sandbox", "sandbox"),
    "run": ("rest_train.cli", "run"),
    "demo": ("rest_train.cli", "demo"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(VERBS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in VERBS:
            return None
        module_name, attribute = VERBS[name]
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup)
@click.version_option(package_name="rest-em")
def main() -> None:
    """rest-em: verifiable rewards and ReST-EM self-training."""

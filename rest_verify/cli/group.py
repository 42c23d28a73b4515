"""The root `rest-em` group: verbs come from the plugin registry, and user errors end at its edge.

Each verb is a `Command` registration (the core's own through `rest_verify.builtin.commands`), so
`rest-em --help` lists verbs from their one-line help without importing any of them. Errors a user can
cause (rest-em's typed errors, files that cannot be read or written) are turned into one line and exit
status 2 here, once, instead of in every verb; `--debug` or REST_EM_DEBUG=1 lets the traceback through.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

import click

from rest_verify.commands import Command
from rest_verify.errors import RestEmError
from rest_verify.plugins import get_registry

DEBUG_VARIABLE = "REST_EM_DEBUG"


class UserError(click.ClickException):
    """A mistake in the input or the environment, shown as one line; exit status 2, like a usage error."""

    exit_code = 2


def describe(exc: BaseException) -> str:
    """One line naming the problem: an OSError as "FILE: reason", anything else as its message."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines) or type(exc).__name__


@contextlib.contextmanager
def user_errors(debug: bool) -> Iterator[None]:
    """Turn rest-em's typed errors and OSErrors into a `UserError`, unless a traceback was asked for."""
    try:
        yield
    except (RestEmError, OSError) as exc:
        if debug:
            raise
        raise UserError(describe(exc)) from exc


def debug_wanted(flag: bool = False) -> bool:
    """Whether `--debug` was given or REST_EM_DEBUG is set (to anything but 0)."""
    return flag or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def verbs() -> dict[str, Command]:
    """Every registered verb by name, core and plugin alike."""
    return {registration.name: registration.obj for registration in get_registry().all("commands")}


class VerbGroup(click.Group):
    """A click group whose commands are the registry's verbs, loaded only when one is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(verbs())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        verb = verbs().get(name)
        return None if verb is None else verb.load()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, verb.help) for name, verb in sorted(verbs().items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        # Parsing can fail before `--debug` is parsed (`--help` lists verbs, so loads every plugin).
        with user_errors(debug_wanted("--debug" in args)):
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with user_errors(debug_wanted(ctx.params.get("debug", False))):
            return super().invoke(ctx)

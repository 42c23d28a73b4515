"""`Command`: a verb of the `rest-em` command, registered by name and imported only when it runs.

Listing verbs (`rest-em --help`) must not import what a verb needs (torch, a Docker SDK, a plugin's
heavy modules), so a registration carries the verb's one-line help and the import path of its click
command; `load()` imports it on use.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

import click

from rest_verify.errors import PluginError

VERB_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
TARGET_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Command:
    """The verb `rest-em NAME`: `target` is "package.module:attribute" of a click command or group.

    `help` is the one line `rest-em --help` shows beside the verb.
    """

    name: str
    target: str
    help: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not VERB_PATTERN.match(self.name):
            raise PluginError(f"command name {self.name!r}: use lowercase letters, digits and hyphens, "
                              "starting with a letter")
        if not isinstance(self.target, str) or not TARGET_PATTERN.match(self.target):
            raise PluginError(f"command {self.name!r}: target {self.target!r} is not 'package.module:attribute'")
        if not isinstance(self.help, str) or not self.help.strip() or "\n" in self.help.strip():
            raise PluginError(f"command {self.name!r}: help must be one non-empty line")

    def load(self) -> click.Command:
        """Import the target; a `PluginError` naming the verb when it is missing or not a click command."""
        module_name, attribute = self.target.split(":")
        try:
            command = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"command {self.name!r}: cannot load {self.target} ({exc})") from exc
        if not isinstance(command, click.Command):
            raise PluginError(f"command {self.name!r}: {self.target} is a {type(command).__name__}, "
                              "not a click command")
        return command

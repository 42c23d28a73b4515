"""The core's own verbs, registered through `register_commands` like any plugin's.

So a plugin verb that would shadow one of these is a clash naming both distributions, and
`rest-em --help` lists core and plugin verbs alike without importing any of them.
"""

from __future__ import annotations

from typing import Any, Callable

from rest_verify.commands import Command
from rest_verify.hookspecs import hookimpl

CORE_COMMANDS = (
    Command("grade", "rest_verify.cli.grade:grade", "Grade a JSONL file of completions with an installed verifier."),
    Command("plugins", "rest_verify.cli.plugins:plugins",
            "List what each installed distribution registers, verbs included."),
    Command("check", "rest_verify.cli.check:check", "Run the conformance kit against an installed verifier."),
    Command("audit", "rest_verify.cli.audit:audit", "Status mix, second-verifier disagreement, reward-hacking signs."),
    Command("serve", "rest_verify.cli.serve:serve", "Serve a verifier over HTTP as an OpenRLHF reward server."),
    Command("new-plugin", "rest_verify.cli.new_plugin:new_plugin",
            "Create rest-em-NAME: a verifier plugin that passes the kit."),
)


@hookimpl
def register_commands(register: Callable[[Any], None]) -> None:
    for command in CORE_COMMANDS:
        register(command)

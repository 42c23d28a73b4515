"""Every extension point of rest-em. A plugin implements any of these with `@rest_verify.hookimpl`.

Each hook receives a `register` callable and calls it once per thing it provides. Names must be unique
across all loaded plugins for each kind; a clash is an error naming both distributions.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("rest_em")
hookimpl = pluggy.HookimplMarker("rest_em")


@hookspec
def register_verifiers(register: Callable[[Any], None]) -> None:
    """Called once when rest-em loads plugins; call `register(verifier)` for each verifier you provide.

    A verifier has `name` (str, unique), `version` (str; bump it whenever a verdict can change, because it
    keys the cache) and `verify(problem, completion) -> Verdict`; it may add
    `verify_batch(problems, completions) -> list[Verdict]`, and `configure(**options)` returning a configured
    copy (options come from `rest-em grade --verifier-option KEY=VALUE` and `grading.verifier_options`; the
    copy's `version` must differ when its verdicts can). It must be picklable: the engine ships it to
    worker processes, and it is killed there when it overruns its deadline.
    """


@hookspec
def register_sandboxes(register: Callable[[Any], None]) -> None:
    """Called once at load; call `register(factory)` for each execution backend you provide.

    `factory` has a `name` attribute and, called with keyword options, returns an object with
    `run(ExecRequest) -> ExecResult` and `close()`. Backends are for running untrusted code.
    """


@hookspec
def register_tasks(register: Callable[[Any], None]) -> None:
    """Called once at load; call `register(task)` for each dataset family you provide.

    A task has `name`, `verifier` (the name of the verifier that grades it) and
    `load(path, **options) -> Iterator[Problem]`; it may add `format_prompt(problem) -> str`.
    """


@hookspec
def register_generators(register: Callable[[Any], None]) -> None:
    """Called once at load; call `register(factory)` for each text-generation backend you provide.

    `factory` has a `name`; called with keyword options it returns a generator with
    `generate(prompts, n, sampling) -> list[list[str]]` (n completions per prompt, in order), and
    optionally `generate_stream(prompts, n, sampling)` yielding `(prompt index, its n completions)` as
    each prompt finishes, in any order, so that training grades them while generation goes on.
    """


@hookspec
def register_commands(register: Callable[[Any], None]) -> None:
    """Called once at load; call `register(Command(name, target, help))` for each `rest-em` verb you add.

    `name` is the verb (`rest-em NAME`; lowercase letters, digits, hyphens), `target` the import path
    "package.module:attribute" of a click command or group, and `help` the one line `rest-em --help`
    shows. The target is imported only when someone runs the verb, so keep this hook free of imports
    beyond `rest_verify`: listing verbs and running `rest-em grade` must not pay for your dependencies.
    A verb registered twice, by two plugins or by a plugin and rest-em itself, is an error naming both
    distributions. `Command` is `rest_verify.Command`.
    """


@hookspec
def register_languages(register: Callable[[Any], None]) -> None:
    """Called once at load; call `register(Language(...))` for each programming language you provide.

    `Language` is `rest_verify.languages.Language`: its `name` (what `meta["language"]` says), `aliases`,
    the `fences` of code blocks that hold it, its `source_file`, an optional `CompileStep` (command,
    time, memory, output cap), the `run` command, the Debian `packages` its toolchain needs (the sandbox
    image installs every registered language's; its tag changes with them), an `environment` (values
    may say `{workdir}` for the sandbox's writable tmpfs work dir) and optional per-language memory
    defaults. Code verifiers (`apps`) look languages up by name or fence tag; a name registered twice is
    an error naming both distributions.
    """

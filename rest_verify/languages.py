"""`Language`: how a code verifier writes, compiles and runs a program in one programming language.

Languages come from plugins through the `register_languages` hook, so a third party adds one without
forking the verifier that runs it (plugins must not import each other: this type lives in the core).
The sandbox image installs every registered language's Debian `packages`, so a language brings its own
toolchain.

Commands run in the sandbox's work dir, a small tmpfs that is the only writable place; environment
values may name it as `{workdir}` (a compiler's cache or home goes there, e.g.
`GOCACHE={workdir}/.cache/go`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from rest_verify.errors import PluginError


@dataclass(frozen=True)
class CompileStep:
    """The command that turns the source file into what `Language.run` runs, once per submission, with
    its own limits: compilers need more time and memory than most programs, and a flood of diagnostics
    is stopped after `output_bytes`."""

    argv: tuple[str, ...]
    seconds: float = 20.0
    memory_mb: int = 1024
    output_bytes: int = 1 << 16


@dataclass(frozen=True)
class Language:
    """A programming language a code verifier can run.

    `name` is what `meta["language"]` says (as do the `aliases`); `fences` are the info strings of the
    fenced code blocks that hold it. `source_file` is what the program is saved as; `run` the command that
    runs one test (its standard input is the test's input). `memory_mb`, when set, raises the per-test
    memory a verifier gives the language by default (a JVM needs more than a C program), and
    `limit_address_space=False` leaves its address space unlimited for runtimes that reserve far more
    than they use (JVM, Go, V8): the container's memory cgroup and the runtime's own heap flag bound them.
    `version_command` proves the toolchain starts under the sandbox's hardening (`rest-em sandbox
    doctor` runs it). `in_process` is the apps verifier's fast path for Python (its harness runs the
    program itself).
    """

    name: str
    source_file: str
    run: tuple[str, ...]
    fences: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    compile: CompileStep | None = None
    packages: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int | None = None
    limit_address_space: bool = True
    version_command: tuple[str, ...] = ()
    in_process: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or self.name != self.name.lower():
            raise PluginError(f"language name {self.name!r} must be a non-empty lowercase string")
        if not self.source_file or "/" in self.source_file:
            raise PluginError(f"language {self.name!r}: source_file {self.source_file!r} must be a plain file name")
        if not self.run or not all(isinstance(part, str) and part for part in self.run):
            raise PluginError(f"language {self.name!r}: run must be a non-empty command (a tuple of strings)")
        if self.memory_mb is not None and not (isinstance(self.memory_mb, int) and self.memory_mb >= 64):
            raise PluginError(f"language {self.name!r}: memory_mb must be an integer of at least 64")

    @property
    def call_based(self) -> bool:
        """Whether `fn_name` problems can be graded: they need the harness to call into the program."""
        return self.in_process

    def names(self) -> set[str]:
        """Every lowercase name that selects this language: its name, aliases and fence tags."""
        return {self.name, *(alias.lower() for alias in self.aliases), *(fence.lower() for fence in self.fences)}


def registered_languages() -> dict[str, Language]:
    """Every language the loaded plugins register, by name."""
    from rest_verify.plugins import get_registry

    return {registration.name: registration.obj for registration in get_registry().all("languages")}


def find_language(name: str) -> Language | None:
    """The registered language called `name`, or with `name` as an alias or fence tag (`c++` is cpp),
    any case; None when no language answers to it."""
    wanted = name.strip().lower()
    languages = registered_languages()
    if wanted in languages:
        return languages[wanted]
    return next((language for language in languages.values() if wanted in language.names()), None)


def image_packages() -> tuple[str, ...]:
    """The Debian packages every registered language needs, sorted and without repeats."""
    return tuple(sorted({package for language in registered_languages().values() for package in language.packages}))

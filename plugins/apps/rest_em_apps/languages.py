"""How each language is written to the sandbox, compiled and run: one table entry per language.

A program in a language with `in_process=False` is run per test by `execve`-ing `argv` inside the
harness's child (same stdin/stdout plumbing, limits and deadlines). A language with a `compile` command
is compiled once per submission inside the sandbox, under its own time and memory limits, before any
test runs. Python is run faster: the harness's already-started interpreter forks and executes the
compiled program itself, and only Python can be call-based (import the solution, call `fn_name`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """A programming language the verifier can run."""

    name: str
    source_file: str  # what the extracted program is saved as in the work dir
    argv: tuple[str, ...]  # the command that runs one test (when not in-process)
    fences: tuple[str, ...]  # info strings of fenced code blocks that hold this language
    in_process: bool = False  # run inside the harness's forked interpreter (Python only)
    compile: tuple[str, ...] = ()  # the command that turns source_file into what argv runs, if any

    @property
    def call_based(self) -> bool:
        """Whether `fn_name` problems can be graded: they need the harness to call into the program."""
        return self.in_process


LANGUAGES: dict[str, Language] = {
    "python": Language("python", "solution.py", ("python3", "-I", "solution.py"),
                       ("python", "py", "python3", "py3"), in_process=True),
    # The usual competitive-programming build: GNU C++17, optimised, no temporary files (-pipe).
    "cpp": Language("cpp", "solution.cpp", ("./solution",), ("cpp", "c++", "cxx", "cc"),
                    compile=("g++", "-std=gnu++17", "-O2", "-pipe", "-o", "solution", "solution.cpp")),
}


def find_language(name: str) -> Language | None:
    """The language called `name` or written with `name` as a fence tag (`c++` is cpp), any case."""
    wanted = name.strip().lower()
    for language in LANGUAGES.values():
        if wanted == language.name or wanted in language.fences:
            return language
    return None


# Starts the harness inside the sandbox; the harness itself is always Python.
HARNESS_FILE = "harness.py"
JOB_FILE = "job.json"
HARNESS_ARGV = ("python3", "-I", HARNESS_FILE, JOB_FILE)

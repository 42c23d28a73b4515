"""How each language is written to the sandbox and run: one table entry per language, no new code.

A program in a language with `in_process=False` is run per test by `execve`-ing `argv` inside the
harness's child (same stdin/stdout plumbing, limits and deadlines). Python is run faster: the harness's
already-started interpreter forks and executes the compiled program itself, and only Python can be
call-based (import the solution, call `fn_name`).
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

    @property
    def call_based(self) -> bool:
        """Whether `fn_name` problems can be graded: they need the harness to call into the program."""
        return self.in_process


LANGUAGES: dict[str, Language] = {
    "python": Language("python", "solution.py", ("python3", "-I", "solution.py"),
                       ("python", "py", "python3", "py3"), in_process=True),
}

# Starts the harness inside the sandbox; the harness itself is always Python.
HARNESS_FILE = "harness.py"
JOB_FILE = "job.json"
HARNESS_ARGV = ("python3", "-I", HARNESS_FILE, JOB_FILE)

"""The documentation's examples run and its links resolve, so a reader who copies one is not misled.

Python blocks run for real, each document's blocks in one namespace as a reader would type them, in a
temporary directory; a block preceded by `<!-- not run: REASON -->` (it needs a model, a GPU, a network
or a package the reader writes) is only compiled. Shell blocks run for real when the command is one of
the cheap verbs below, in a temporary copy of `examples/`; every other shell line must name something
real: a registered `rest-em` verb, a script or file of this repository, a known program.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest

from rest_verify import get_registry

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted({*ROOT.glob("README.md"), *ROOT.glob("*/README.md"), *ROOT.glob("plugins/*/README.md"),
               *ROOT.glob("docs/*.md")})
SHELL = {"bash", "sh", "shell"}
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.+?)\s*-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
TIMEOUT = 120

# Cheap commands run for real: (argv prefix, whether more arguments may follow).
RUNNABLE = [
    (["rest-em", "--help"], False), (["rest-em", "plugins"], False), (["rest-em", "check", "exact"], False),
    (["rest-em", "run", "--config-help"], False), (["rest-em", "grade", "examples/"], True),
    (["rest-em", "sandbox", "--help"], False), (["rest-em", "check", "--help"], False),
]
# Programs a shell line may start with beyond this repository's own; their arguments are not checked.
KNOWN_PROGRAMS = {"pip", "vllm", "ray", "git", "docker", "sudo", "torchrun", "time", "cd", "export"}
REPO_PREFIXES = ("benchmarks/", "scripts/", "plugins/", "tests/", "examples/", "sandboxes/", "rest_train/",
                 "rest_verify/", "docs/", "requirements")
@dataclass
class Block:
    doc: Path
    line: int
    language: str
    text: str
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced blocks of one document, with the `not run` reason written right before each."""
    found, lines, index = [], doc.read_text().splitlines(), 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        reason = NOT_RUN.match(previous.strip())
        found.append(Block(doc, index + 1, opening.group(1).lower(), "\n".join(lines[index + 1:end]),
                           reason.group(1) if reason else None))
        index = end + 1
    return found


def python_blocks(doc: Path) -> list[Block]:
    return [block for block in blocks(doc) if block.language == "python"]


def shell_lines(block: Block) -> list[str]:
    """Logical command lines: continuations joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block.text)
    commands = []
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        commands += [part.strip() for part in re.split(r"&&|;", line) if part.strip()]
    return commands


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.S | re.M)
    return {slug(match) for match in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def rest_em(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from rest_verify.cli import main; main()", *arguments],
                          cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


def problem_with(argv: list[str]) -> str | None:
    """Why a shell command names nothing real, or None."""
    words = [word for word in argv if not re.match(r"^[A-Z_][A-Z0-9_]*=", word)]
    if not words:
        return None
    program, rest = words[0], words[1:]
    if program == "rest-em":
        verbs = set(get_registry().names("commands")) | {"--help", "--version"}
        verb = next((word for word in rest if word != "--debug"), "--help")
        if verb not in verbs:
            return f"`rest-em {verb}` is not a registered verb"
    elif program in {"python", "python3"}:
        if rest[:1] == ["-m"]:
            module = rest[1]
            if module.split(".")[0] in {"rest_verify", "rest_train", "sandboxes"} and not find_spec(module):
                return f"no module {module}"
        elif rest and not rest[0].startswith("-") and not (ROOT / rest[0]).exists():
            return f"{rest[0]} does not exist"
    elif program == "bash":
        if not (ROOT / rest[0]).is_file():
            return f"{rest[0]} does not exist"
    elif program not in KNOWN_PROGRAMS:
        return f"unknown program {program!r}"
    nested = [i for i, word in enumerate(words[1:], start=1) if word == "rest-em" or word.endswith("rest-em)")]
    if program != "rest-em" and nested:
        return problem_with(["rest-em", *words[nested[0] + 1:]])
    for word in words[1:]:
        path = word.split("=", 1)[-1]
        if path.startswith(REPO_PREFIXES) and not any(c in path for c in "*<>[]|{}") and \
                not (ROOT / path.rstrip("/")).exists() and program != "rest-em":
            return f"{path} does not exist"
    return None


def runnable(argv: list[str]) -> bool:
    """Whether a command is one of the cheap ones: its words start as a RUNNABLE entry's (the last one as a prefix)."""
    for prefix, more in RUNNABLE:
        head = argv[:len(prefix)]
        if len(head) == len(prefix) and head[:-1] == prefix[:-1] and head[-1].startswith(prefix[-1]) \
                and (more or len(argv) == len(prefix)):
            return True
    return False


DOC_IDS = [str(doc.relative_to(ROOT)) for doc in DOCS]


def test_the_documents_are_found():
    assert {"README.md", "rest_train/README.md", "docs/benchmarks.md", "plugins/rm/README.md"} <= set(DOC_IDS)


@pytest.mark.parametrize("doc", DOCS, ids=DOC_IDS)
def test_every_relative_link_resolves(doc: Path):
    broken = []
    text = re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.S | re.M)
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{doc.relative_to(ROOT)}: " + "; ".join(broken)


@pytest.mark.parametrize("doc", DOCS, ids=DOC_IDS)
def test_every_shell_line_names_something_real(doc: Path):
    problems = []
    for block in (b for b in blocks(doc) if b.language in SHELL):
        for command in shell_lines(block):
            try:
                argv = shlex.split(command)
            except ValueError as exc:
                problems.append(f"{block.where}: {command!r}: {exc}")
                continue
            why = problem_with(argv)
            if why:
                problems.append(f"{block.where}: {command!r}: {why}")
    assert not problems, "\n".join(problems)


def cheap_commands() -> list[tuple[str, list[str]]]:
    found = []
    for doc in DOCS:
        for block in (b for b in blocks(doc) if b.language in SHELL and not b.not_run):
            for command in shell_lines(block):
                argv = shlex.split(command)
                if runnable(argv):
                    found.append((f"{block.where} {command}", argv))
    return found


CHEAP = cheap_commands()


def test_the_cheap_commands_are_found():
    assert any(argv[:2] == ["rest-em", "grade"] for _, argv in CHEAP)


@pytest.mark.parametrize("argv", [argv for _, argv in CHEAP], ids=[where for where, _ in CHEAP])
def test_a_cheap_command_runs(argv: list[str], tmp_path: Path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = rest_em(argv[1:], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("doc", [d for d in DOCS if python_blocks(d)],
                         ids=[str(d.relative_to(ROOT)) for d in DOCS if python_blocks(d)])
def test_the_python_examples_run(doc: Path, tmp_path: Path):
    to_run, skipped = [], []
    for block in python_blocks(doc):
        compile(block.text, block.where, "exec")
        (skipped if block.not_run else to_run).append(block)
    program = "namespace = {}\n" + "".join(
        f"print({block.where!r}, flush=True)\nexec(compile({block.text!r}, {block.where!r}, 'exec'), namespace)\n"
        for block in to_run)
    result = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True,
                            timeout=TIMEOUT, env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    reached = result.stdout.strip().splitlines()[-1:] if result.stdout.strip() else ["(before the first)"]
    assert result.returncode == 0, f"block at {reached[0]} failed:\n{result.stderr[-3000:]}"
    for block in skipped:
        print(f"not run: {block.where}: {block.not_run}")

"""Find the final answer inside a model completion (or a worked reference solution).

Extraction is linear-time string scanning, never a backtracking regex over the whole completion, so a
20,000-character completion costs microseconds. Every extractor returns the raw answer text or `None`.
"""

from __future__ import annotations

import re

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_MAX_ANSWER_CHARS = 2000

_FINAL_ANSWER = re.compile(r"final answer is", re.IGNORECASE)
_HOPE = re.compile(r"I hope it is correct", re.IGNORECASE)
_THE_ANSWER = re.compile(r"\bthe (?:final )?answer is\b:?", re.IGNORECASE)
_HASHES = "####"
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+", re.ASCII)


def last_boxed(text: str) -> str | None:
    """Contents of the last `\\boxed{...}` / `\\fbox{...}` (nested braces honoured), or `\\boxed 5`.

    An unclosed box is skipped for the one before it; each scan stops where the previous failed one
    began (a brace that never closes there cannot be closed by anything earlier), so this is linear.
    """
    limit = len(text)
    found = {cmd: text.rfind(cmd) for cmd in _BOX_COMMANDS}
    while True:
        cmd = max(found, key=found.__getitem__)
        start = found[cmd]
        if start < 0:
            return None
        content = _box_argument(text, start + len(cmd), limit)
        if content is not None:
            return content
        limit = start
        found[cmd] = text.rfind(cmd, 0, start)


def _box_argument(text: str, pos: int, limit: int) -> str | None:
    """`{...}` after the command (spaces allowed before it), or a bare token after a space: `\\boxed 5`."""
    window = text[pos:min(limit, pos + _MAX_ANSWER_CHARS)]
    stripped = window.lstrip(" \t")
    if stripped.startswith("{"):
        return _braced(text, pos + len(window) - len(stripped), limit)
    if stripped is window:
        return None
    match = re.match(r"[^\s${}]+", stripped)
    return match.group(0).rstrip(".") if match else None


def _braced(text: str, open_pos: int, limit: int) -> str | None:
    """Text between the brace at `open_pos` and its partner before `limit`; `\\{`, `\\}` are literal."""
    depth = 0
    i = open_pos
    while i < limit:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[open_pos + 1:i]
        i += 1
    return None


def minerva_final_answer(text: str) -> str | None:
    """Minerva style: "Final Answer: The final answer is X. I hope it is correct." (last occurrence)."""
    matches = list(_FINAL_ANSWER.finditer(text))
    if not matches:
        return None
    tail = text[matches[-1].end():]
    hope = _HOPE.search(tail)
    answer = tail[:hope.start()] if hope else tail.split("\n", 1)[0]
    return _clean(answer)


def the_answer_is(text: str) -> str | None:
    """The rest of the line after the last "The answer is"."""
    matches = list(_THE_ANSWER.finditer(text))
    if not matches:
        return None
    return _clean(text[matches[-1].end():].split("\n", 1)[0])


def after_hashes(text: str) -> str | None:
    """GSM8K style: the rest of the line after the last "####"."""
    pos = text.rfind(_HASHES)
    if pos < 0:
        return None
    return _clean(text[pos + len(_HASHES):].split("\n", 1)[0])


def last_number(text: str) -> str | None:
    """The last number written in the text (GSM8K's fallback when no answer marker is present)."""
    found = None
    for found in _NUMBER.finditer(text):
        pass
    return found.group(0) if found else None


def _clean(answer: str) -> str | None:
    answer = answer.strip()
    boxed = last_boxed(answer)
    if boxed is not None:
        answer = boxed
    answer = answer.strip().strip("$").strip()
    if answer.endswith("."):
        answer = answer[:-1].rstrip()
    answer = answer.strip("$").strip()
    return answer or None


def extract_math_answer(text: str) -> str | None:
    """The final answer of a MATH-style completion: boxed, then Minerva, then "The answer is", then ####."""
    for extractor in (last_boxed, minerva_final_answer, the_answer_is, after_hashes):
        answer = extractor(text)
        if answer is not None and answer.strip():
            return answer.strip()
    return None


def extract_gsm8k_answer(text: str) -> str | None:
    """The final answer of a GSM8K completion: ####, then boxed, then "The answer is", then the last number."""
    for extractor in (after_hashes, last_boxed, the_answer_is, minerva_final_answer):
        answer = extractor(text)
        if answer is not None and answer.strip():
            return answer.strip()
    return last_number(text)

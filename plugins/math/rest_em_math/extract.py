"""Find the final answer inside a model completion (or a worked reference solution).

Extraction is linear-time string scanning, never a backtracking regex over the whole completion, so a
20,000-character completion costs microseconds. Every extractor returns the raw answer text or `None`.
"""

from __future__ import annotations

import re
from typing import Callable

from rest_em_math.unmarked import Found, drop_remark, last_number, unmarked_answer

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_MAX_ANSWER_CHARS = 2000

_FINAL_ANSWER = re.compile(r"final answer is", re.IGNORECASE)
_HOPE = re.compile(r"I hope it is correct", re.IGNORECASE)
_THE_ANSWER = re.compile(r"\bthe (?:final )?answer is\b:?", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"^[ \t*#_>-]*(?:final[ \t]+)?answer[ \t*_]*:", re.IGNORECASE | re.MULTILINE)
_NEW_TURN = re.compile(r"\n[ \t]*(?:Question|Problem|Q|Human|User)[ \t]*:"
                       r"|<\|(?:im_start|im_end|endoftext|eot_id)\|>|</s>")
_HASHES = "####"
# What may stand between two listed boxes: delimiters, commas, `and`/`or`, a few words (`\\boxed{1} papers and`).
_JOINER = re.compile(r"(?:\\[()\]\[]|\\quad|\\text\{[^{}]{0,20}\}|[A-Za-z]{1,12}|[\s$,;]){0,8}$")
_MATH_OPEN = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}


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
    answer = tail[:hope.start()] if hope else _rest_of_line(text, matches[-1].end())
    return _clean(answer)


def the_answer_is(text: str) -> str | None:
    """The rest of the line after the last "The answer is"."""
    matches = list(_THE_ANSWER.finditer(text))
    if not matches:
        return None
    return _clean(_rest_of_line(text, matches[-1].end()))


def _rest_of_line(text: str, pos: int) -> str:
    """The phrase's line after `pos`; when that is empty, a display formula starting on the next line."""
    end = text.find("\n", pos)
    line = text[pos:] if end < 0 else text[pos:end]
    if line.strip(" \t:*"):
        return line
    display = text[pos:pos + _MAX_ANSWER_CHARS].lstrip(" \t\n:*")
    return display if display.startswith(tuple(_MATH_OPEN)) else line


def answer_line(text: str) -> str | None:
    """A line of its own starting "Answer:" or "Final answer:" (markdown bold allowed): the rest of it."""
    matches = list(_ANSWER_LINE.finditer(text))
    if not matches:
        return None
    line = _rest_of_line(text, matches[-1].end())
    hope = _HOPE.search(line)
    line = line[:hope.start()] if hope else line
    if line.lstrip()[:1].isalpha() and " is " in line:  # "Final Answer: The volume of $V$ is 120."
        line = line.rsplit(" is ", 1)[-1]
    return _clean(line)


def last_boxes(text: str, count: int) -> list[str]:
    """The contents of the last `count` boxes, in reading order (fewer if the text has fewer)."""
    found: list[str] = []
    limit = len(text)
    while len(found) < count:
        start = max(text.rfind(cmd, 0, limit) for cmd in _BOX_COMMANDS)
        if start < 0:
            break
        command = next(cmd for cmd in _BOX_COMMANDS if text.startswith(cmd, start))
        content = _box_argument(text, start + len(command), limit)
        if content is not None:
            found.append(content)
        limit = start
    return found[::-1]


def listed_boxes(text: str, most: int = 8) -> str | None:
    """`\\boxed{1} and \\boxed{2}`, `\\boxed{2}, \\boxed{3}`: the boxes at the end of the text, when two or more are
    written one after another (joined by at most a few words, never a sentence end), as one list `1, 2`."""
    listed: list[str] = []
    limit = len(text)
    while len(listed) < most:
        start = max(text.rfind(cmd, 0, limit) for cmd in _BOX_COMMANDS)
        if start < 0:
            break
        command = next(cmd for cmd in _BOX_COMMANDS if text.startswith(cmd, start))
        opening = text.find("{", start + len(command), limit)
        content = _braced(text, opening, limit) if opening >= 0 else None
        if content is None or text[start + len(command):opening].strip():
            break
        if listed and not _JOINER.match(text, opening + len(content) + 2, limit):
            break
        listed.append(content)
        limit = start
    return ", ".join(reversed(listed)) if len(listed) > 1 else None


def after_hashes(text: str) -> str | None:
    """GSM8K style: the rest of the line after the last "####"."""
    pos = text.rfind(_HASHES)
    if pos < 0:
        return None
    return _clean(text[pos + len(_HASHES):].split("\n", 1)[0])


def _clean(answer: str) -> str | None:
    """The answer part of a phrase: its box, else its leading math span (`$12$ because ...` is 12), else the
    phrase up to a remark (`24 (since 4! = 24)` is 24)."""
    answer = answer.strip().strip("*").strip()
    boxed = last_boxed(answer)
    if boxed is not None:
        answer = boxed
    else:
        leading = _leading_math(answer)
        answer = drop_remark(answer) if leading is answer else leading
    answer = answer.strip().strip("$").strip()
    if answer.endswith("."):
        answer = answer[:-1].rstrip()
    answer = answer.strip("$").strip()
    return answer or None


def _leading_math(answer: str) -> str:
    for left, right in _MATH_OPEN.items():
        if answer.startswith(left):
            end = answer.find(right, len(left))
            if end > len(left):
                return answer[len(left):end]
            break
    return answer


def end_of_turn(text: str) -> int:
    """Where a model that kept generating starts a new turn ("\\n\\nQuestion:", "Human:", `<|im_end|>`), or -1."""
    match = _NEW_TURN.search(text)
    return match.start() if match else -1


def own_turn(text: str) -> str:
    """The model's own turn: the text before an invented new turn (all of it when there is none)."""
    cut = end_of_turn(text)
    return text[:cut] if cut > 0 else text


def _first_found(text: str, extractors: tuple[Callable[[str], str | None], ...]) -> str | None:
    for extractor in extractors:
        answer = extractor(text)
        if answer is not None and answer.strip():
            return answer.strip()
    return None


MARKERS: tuple[tuple[str, Callable[[str], str | None]], ...] = (
    ("boxed", last_boxed), ("final answer is", minerva_final_answer), ("the answer is", the_answer_is),
    ("answer line", answer_line), ("####", after_hashes))


def _marked(text: str) -> Found | None:
    for rule, extractor in MARKERS:
        answer = extractor(text)
        if answer is not None and answer.strip():
            return Found(answer.strip(), rule)
    return None


def math_answer(text: str, lenient: bool = True) -> Found | None:
    """The final answer of a MATH-style completion and the rule that found it.

    The model's own turn (the text before an invented new turn) is read first: explicit markers (boxed,
    Minerva, "The answer is", "Answer:", ####), then, when `lenient`, the unmarked fallbacks of
    `rest_em_math.unmarked`. The whole text is read only when the own turn states no answer by any rule
    (under `strict` too), so a marker after an invented question never outranks the model's own answer.
    """
    own = own_turn(text)
    found = _answer_in(own, lenient)
    if found is not None or own is text or unmarked_answer(own) is not None:
        return found
    return _answer_in(text, lenient)


def _answer_in(text: str, lenient: bool) -> Found | None:
    found = _marked(text)
    return unmarked_answer(text) if found is None and lenient else found


def extract_math_answer(text: str) -> str | None:
    """The final answer of a MATH-style completion by its explicit markers only (strict extraction)."""
    found = math_answer(text, lenient=False)
    return found.answer if found else None


_GSM8K_EXTRACTORS = (after_hashes, last_boxed, the_answer_is, minerva_final_answer, answer_line)


def extract_gsm8k_answer(text: str) -> str | None:
    """The final answer of a GSM8K completion: ####, boxed, the phrases, then the last number."""
    cut = end_of_turn(text)
    answer = _gsm8k_answer_in(text[:cut]) if cut > 0 else None
    return answer if answer is not None else _gsm8k_answer_in(text)


def _gsm8k_answer_in(part: str) -> str | None:
    marked = _first_found(part, _GSM8K_EXTRACTORS)
    if marked is not None:
        return marked
    number = last_number(part)
    return number[0] if number else None

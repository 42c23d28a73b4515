"""Find the answer of a completion that marks none (no box, no "The answer is"): the lenient fallbacks.

Policy, tried only after every explicit marker failed (see `extract.math_answer`):
  * `whole`: a one-line completion that is itself an answer (`7,425,000`, `$\\frac{1}{3}$`, `x \\le 2`,
    `Paris`, `28 percent`): no prose in it, or a single word, or a number and a unit;
  * otherwise the value written last, from six candidates, the one ending latest in the text winning
    (on a tie the earlier-listed kind): `final line`, the last line when it is a short statement of a value
    (`So x = 1/3.`, `Thus 42.`, `Step 3: 2+3=5`, `The roots are -1 and 4`: a label, leading words and a
    closing remark dropped, values joined by `and`/`or` read as a list, nothing but mathematics left);
    `number words`, a number in words ending the last line's statement (`Each gets one half.`); `emphasis`,
    the last markdown-emphasised value alone on its line (`So the total is **73** marbles.`); `last math`, the last
    `$...$`, `$$...$$`, `\\(...\\)` or `\\[...\\]`; `last number`, the last number in the text (GSM8K's
    usual fallback: `he pays $18.90.` ends in 18.90, the `$` being a currency sign, not a delimiter);
    `last choice`, the last option letter `(A)`..`(E)` (`So (C) is correct.`).
A model can write many numbers, but only the last counts, so writing more of them buys no extra chance.
Everything here is a single left-to-right scan or a bounded regex: linear in the completion's length.
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple

from rest_em_math.answer import spelled_number

MAX_FINAL_LINE_WORDS = 12
MAX_WHOLE_CHARS = 300
MAX_WHOLE_WORDS = 3  # a number and its unit: `28 percent`, `15 square feet`
MAX_SPAN_CHARS = 2000
MAX_LISTED_SPANS = 8

# `1,000.99`, `7425000`, `1000,99` (a decimal comma), `.4`, `10/9`, `1½`, with what belongs to the value after
# it: `25%`, `3.2 × 10^5`, `1.5 million`. Digits are ASCII only. Only a number standing alone counts, never a
# piece of an expression: not the 13 of `3\sqrt{13}`, the 6 of `x-6`, the 145 of `-(145)` or the 2 of `2^{10}`.
_NUMBER = re.compile(r"(?=[-.\d½⅓⅔¼¾⅕⅛])(?<![\w.,{}^_/\\*])(?<![\w)}][-+])(?<!-\()-?"
                     r"(?:(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+)(?:/\d+)?(?!\d)[½⅓⅔¼¾⅕⅛]?|[½⅓⅔¼¾⅕⅛])"
                     r"(?:\s*(?:×|\\times|\*)\s*10\^\{?-?\d+\}?|\s*\\?%|\s+(?:thousand|million|billion)\b)?"
                     r"(?![\d{}^_(*/]|[.,]\d|\\[a-zA-Z]|[A-Za-z](?![A-Za-z²³]))", re.ASCII)
# An option letter in running text: `(C)`, `\text{(E)}`, `\textbf{(B)}`.
_CHOICE = re.compile(r"(?=[\\(])(?<![A-Za-z(])(?:\\text(?:bf)?\{\s*)?\(([A-E])\)(?:\s*\})?(?![A-Za-z])")
# A word of prose: two letters or more, not a LaTeX command (`_WRAPPED` removes `\\text{...}` first).
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
_WRAPPED = re.compile(r"\\(?:text\w*|mbox|mathrm|mathbf|operatorname)\s*\{[^{}]*\}")
# A label opening a line: `Step 3:`, `Case 2:`, `Part (a):`, `1.`, `2)`, `(b)`.
_LINE_LABEL = re.compile(r"^(?:[A-Za-z]{2,}[ \t]+\(?[0-9A-Za-z]{1,3}\)?[ \t]*:|\(?\d{1,2}[.)]|\([a-z]\))[ \t]+")
# Where a remark after an answer starts: a parenthesis opening with a word or holding one (`24 (since 4! = 24)`),
# a clause after `since`, `because`, ... or a semicolon, or a dash and words (`12 - the rows times the columns`).
_REMARK_SOURCE = (r"\s+\((?=\s*[A-Za-z]{2,}\b|[^()\n]*\s[A-Za-z]{3,}\b)"
                  r"|[,;]?\s+(?:since|because|as|where|using|given|when|after|from|which<RESTATED>)\b"
                  r"|;\s*(?=[A-Za-z]{2,}\b)"
                  r"|\s+(?:-{1,2}|–|—)\s+(?=[A-Za-z])")
_REMARK = re.compile(_REMARK_SOURCE.replace("<RESTATED>", ""), re.IGNORECASE)
# Without a marker, a `which is` clause that states a number is the value restated, not a remark (`the number is
# 10 which is 1,000.99€`, `1/2, which is 0.5`): the later statement is the answer, as everywhere in the fallbacks.
_REMARK_UNMARKED = re.compile(_REMARK_SOURCE.replace(
    "<RESTATED>", r"(?!\s+(?:is|equals|gives|makes)\s+(?:about\s+|approximately\s+)?[-+$\\*(.\d])"), re.IGNORECASE)
# `x = -1 and x = 4`, `1, 2, and 3`, `2 or -2`: values joined as a list.
_LIST_JOIN = re.compile(r"[ \t]*,?[ \t]+(?:and|or)[ \t]+")
# Markdown emphasis around a value: `**73**`, `__18__`, `*$\frac{3}{4}$*` (a lone `*` only between spaces,
# never the product sign of `2*3*4`).
_EMPHASIS_SPAN = re.compile(r"(\*\*|__)(?=\S)([^*_\n]{1,200}?)(?<=\S)\1(?![*_])"
                            r"|(?<![\w*])\*(?=[^\s*])([^*\n]{1,200}?)(?<=\S)\*(?![\w*])")
_NUMBER_WORD = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
                r"thousand|halves|half|thirds?|quarters?|fourths?|fifths?|sixths?|sevenths?|eighths?|ninths?|tenths?|"
                r"negative|minus|and|an?)")
# A run of number words (`one hundred fifty`, `twenty-four`, `a half`), then at most two words (a unit,
# `of them`) before the line ends.
_SPELLED = re.compile(rf"(?<![A-Za-z-])({_NUMBER_WORD}(?:(?:[ \t]+|-){_NUMBER_WORD})*)(?![A-Za-z-])"
                      r"((?:[ \t]+[A-Za-z]+){0,2})[ \t]*$", re.IGNORECASE)
_WORD_RUN = re.compile(r"\S+")
_LEADING_WORDS = re.compile(r"^(?:[A-Za-z]{2,}[,:]?\s+|[A-Za-z]{2,}[,:]\s*)+")
_JOINED = re.compile(r"[ \t]*(?:,|,?[ \t]*(?:and|or))[ \t]*$")
_COURTESY = re.compile(r"I hope it is correct\.?$", re.IGNORECASE)
_TRAILING_PUNCTUATION = " \t.;,!"
_NOT_A_START = ":;,.!?)]}"
_EMPHASIS = "*_`"  # markdown around a value: `**42**`, `` `42` ``
_OPENER = re.compile(r"(?<!\\)\$\$|\\\[|\\\(|(?<!\\)\$|\\begin\{(?:align|equation|eqnarray|gather|multline)\*?\}")
_CLOSER = {"$$": "$$", "\\[": "\\]", "\\(": "\\)", "$": "$"}
_OPENING_RELATION = re.compile(r"^(?:=|\\approx|\\equiv|\\le|\\ge|<|>)(?![A-Za-z])")
_SAME_LINE = {"$", "\\("}


FALLBACK_RULES = frozenset({"whole", "final line", "number words", "emphasis", "last math", "last number",
                            "last choice"})


class Found(NamedTuple):
    """An extracted answer and the rule that found it (a marker, or one of `FALLBACK_RULES`)."""

    answer: str
    rule: str

    @property
    def info(self) -> dict[str, object]:
        """What a verdict records about the extraction: the rule, and whether it was a fallback."""
        return {"extraction": self.rule, "fallback": self.rule in FALLBACK_RULES}


def unmarked_answer(text: str) -> Found | None:
    """The answer of a completion without any marker, by the policy in the module docstring, or None."""
    trails_off = text.rstrip().endswith(("...", "…"))  # `Thinking...` is unfinished, not a one-word answer
    text = _without_courtesy(text.replace("−", "-")).rstrip(_TRAILING_PUNCTUATION + "\n")
    if not text.strip():
        return None
    whole = None if trails_off else _whole(text)
    if whole is not None:
        return Found(whole, "whole")
    candidates: list[tuple[int, int, Found]] = []
    line = _final_line(text)
    if line is not None:
        candidates.append((len(text), 0, Found(line, "final line")))
    spelled = _spelled_value(text)
    if spelled is not None:
        candidates.append((spelled[1], 1, Found(spelled[0], "number words")))
    emphasised = _emphasised_value(text)
    if emphasised is not None:
        candidates.append((emphasised[1], 2, Found(emphasised[0], "emphasis")))
    span = last_math_span(text)
    if span is not None:
        candidates.append((span[1], 3, Found(span[0], "last math")))
    number = last_number(text)
    if number is not None:
        candidates.append((number[1], 4, Found(number[0], "last number")))
    choice = _last_match(_CHOICE, text)
    if choice is not None:
        candidates.append((choice.end(), 5, Found(f"({choice.group(1)})", "last choice")))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c[0], -c[1]))[2]


def _without_courtesy(text: str) -> str:
    """The text without a closing "I hope it is correct." (searched in the last characters only, so a long
    whitespace run before it is never rescanned from every start)."""
    text = text.rstrip()
    courtesy = _COURTESY.search(text, max(0, len(text) - len("I hope it is correct.")))
    return text[:courtesy.start()].rstrip() if courtesy else text


def _whole(text: str) -> str | None:
    """A completion of one short line is the answer as written when it holds no prose, or is one word
    (`Paris`), or a number with a unit (`28 percent`, `12 apples`)."""
    stripped = text.strip()
    if "\n" in stripped or len(stripped) > MAX_WHOLE_CHARS:
        return None
    words = stripped.split()
    if _has_prose(stripped) and not (len(words) == 1 or words[0][0].isdigit() and len(words) <= MAX_WHOLE_WORDS):
        return None
    return stripped


def _final_line(text: str) -> str | None:
    """The last line, when it is a short statement of a value (`Thus 42.`, `x = 3`, `So **42**`, `Step 3: 2+3=5`,
    `The roots are -1 and 4`): a label, leading words, a closing remark and markdown emphasis dropped, values
    joined by `and`/`or` read as a list, only mathematics left."""
    words = text[text.rfind("\n") + 1:].split()
    if not words or len(words) > MAX_FINAL_LINE_WORDS:
        return None
    line = " ".join(words)  # one space between words: no pattern below meets a long whitespace run
    value = drop_remark(_LEADING_WORDS.sub("", _LINE_LABEL.sub("", line)).strip(), _REMARK_UNMARKED)
    value = _LIST_JOIN.sub(", ", value.strip(_EMPHASIS).strip())
    if not value or value[0] in _NOT_A_START or _broken_math(value) or "**" in value or "__" in value:
        return None
    return None if _has_prose(value) else value


def drop_remark(answer: str, remark_pattern: re.Pattern[str] = _REMARK) -> str:
    """The answer without a remark after it: `24 (since 4! = 24)` is 24, `12 because ...` is 12.

    Whitespace is collapsed first (linear), so the pattern never scans a long whitespace run from every start."""
    answer = " ".join(answer.split())
    remark = remark_pattern.search(answer)
    return answer[:remark.start()].rstrip(" \t,;") if remark and remark.start() > 0 else answer


def _spelled_value(text: str) -> tuple[str, int] | None:
    """(the value, its end) of a number in words ending the last line's statement (`Each gets one half.`, `There
    are twenty-four of them.`), a short one, its remark dropped (`x = 5, since it ends in four zeroes` states no
    four); a run of number words that is no one number (`one two three`) states none."""
    line = text[text.rfind("\n") + 1:]
    if len(line.split()) > 2 * MAX_FINAL_LINE_WORDS:
        return None
    statement = drop_remark(line, _REMARK_UNMARKED)
    if len(statement.split()) > MAX_FINAL_LINE_WORDS:
        return None
    match = _SPELLED.search(statement)
    value = spelled_number(match.group(1)) if match else None
    if match is None or value is None:
        return None
    return str(value), len(text) - len(line) + _word_end(line, len(statement[:match.end(1)].split()))


def _word_end(line: str, count: int) -> int:
    """Where the `count`-th word of `line` ends (a place in the collapsed text, mapped back to the line)."""
    end = 0
    for end_match, _ in zip(_WORD_RUN.finditer(line), range(count)):
        end = end_match.end()
    return end


def _emphasised_value(text: str) -> tuple[str, int] | None:
    """(the value, its end) of the last markdown-emphasised value (`So the total is **73** marbles.`), when it
    is the only emphasised value on its line (`**1** **2** **3**` states none)."""
    values = [m for m in _EMPHASIS_SPAN.finditer(text) if _is_value(m.group(2) or m.group(3))]
    if not values:
        return None
    last = values[-1]
    if len(values) > 1 and "\n" not in text[values[-2].end():last.start()]:
        return None
    content = (last.group(2) or last.group(3)).strip()
    spelled = spelled_number(content)
    return (str(spelled) if spelled is not None else content.strip("$").strip()), last.end()


def _is_value(content: str) -> bool:
    stripped = content.strip()
    return bool(stripped) and (not _has_prose(stripped) or spelled_number(stripped) is not None)


def _broken_math(text: str) -> bool:
    """A delimiter left over outside complete math spans: the end of a display begun on an earlier line
    (`\\]`, `$$`), or a currency sign (`2,74 $`)."""
    rest = _math_only(text)
    return any(delimiter in rest for delimiter in ("$", "\\[", "\\]", "\\(", "\\)"))


def _has_prose(text: str) -> bool:
    """Words outside LaTeX commands and `\\text{}` (units after a number are prose too: `28 percent`)."""
    return _PROSE_WORD.search(_WRAPPED.sub(" ", _math_only(text))) is not None


def _math_only(text: str) -> str:
    """`$...$` contents count as mathematics even when they hold letters (`$x$`); drop them for the prose test."""
    out, pos = [], 0
    for start, end, _content in _math_spans(text):
        out.append(text[pos:start])
        out.append(" ")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def last_math_span(text: str) -> tuple[str, int] | None:
    """(contents, end position) of the last math span, or None. Spans joined only by a comma, `and` or `or`
    (`$x = 1$ and $x = 2$`) state several solutions: they are read together, as a list."""
    run: list[tuple[int, int, str]] = []
    for span in _math_spans(text):
        if not span[2].strip():
            continue
        if not (run and _JOINED.match(text, run[-1][1], span[0])):
            run = []
        run.append(span)
    if not run:
        return None
    return ", ".join(content.strip() for _s, _e, content in run[-MAX_LISTED_SPANS:]), run[-1][1]


def _last_row(display: str) -> str:
    """A display environment (`\\begin{align*} a &= b \\\\ &= 5 \\end{align*}`) concludes in its last row;
    alignment marks and the relation that opens the row are dropped (`&= 5` is 5)."""
    rows = [row for row in display.split("\\\\") if row.strip()]
    last = rows[-1].replace("&", " ").strip() if rows else ""
    return _OPENING_RELATION.sub("", last).strip()


def _math_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Every `$$...$$`, `\\[...\\]`, `\\(...\\)`, `$...$` and display environment (`align*`, `equation`, …) in
    reading order (start, end, contents).

    `\\$` is an escaped dollar, never a delimiter. An inline span (`$`, `\\(`) does not cross a line break.
    A `$` directly before a digit whose would-be span holds prose (`costs $5 and $10`) is a currency sign.
    Searches only move forward and each delimiter's next position is remembered, so the scan is linear.
    """
    finder = _Finder(text)
    pos = 0
    while True:
        opener = _OPENER.search(text, pos)
        if opener is None:
            return
        start, left = opener.start(), opener.group(0)
        right = _CLOSER.get(left) or left.replace("\\begin", "\\end")
        inner = start + len(left)
        close = finder.next(right, inner)
        content = text[inner:close] if close >= 0 else ""
        if (close < 0 or close - inner > MAX_SPAN_CHARS or left in _SAME_LINE and "\n" in content
                or left == "$" and _is_currency(content)):
            pos = inner
            continue
        yield start, close + len(right), _last_row(content) if left.startswith("\\begin") else content
        pos = close + len(right)


class _Finder:
    """`str.find` for the closing delimiters that remembers each one's next position (an escaped `\\$` skipped),
    so a run of unclosed openers does not search the rest of the text again for each."""

    def __init__(self, text: str):
        self.text = text
        self.known: dict[str, int] = {}

    def next(self, token: str, pos: int) -> int:
        found = self.known.get(token)
        if found is None or 0 <= found < pos:
            found = self.text.find(token, pos)
            while found > 0 and token[0] == "$" and self.text[found - 1] == "\\":
                found = self.text.find(token, found + 1)
            self.known[token] = found
        return found


def _is_currency(content: str) -> bool:
    """`$5 and $` is the text between two prices, not mathematics."""
    return content[:1].isdigit() and _PROSE_WORD.search(_WRAPPED.sub(" ", content)) is not None and " " in content


def last_number(text: str) -> tuple[str, int] | None:
    """(the last number written, its end position), or None."""
    found = _last_match(_NUMBER, text)
    return (found.group(0), found.end()) if found else None


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):
        pass
    return found

"""LaTeX answer normalisation: turn the many spellings of one answer into one canonical string.

Only rewrites that never change the mathematical value belong here (formatting commands, `\\dfrac`,
`\\left`, thousands separators, degree signs, currency, units, text wrappers). The result is compared as a
string first (the cheap path) and is what `parse` reads.
"""

from __future__ import annotations

import re

_WRAPPERS = ("text", "textbf", "textit", "textrm", "textnormal", "mbox", "mathrm", "mathbf", "mathit",
             "operatorname", "mathsf", "boldsymbol", "bf", "rm")
_WRAPPER = re.compile(r"\\(?:" + "|".join(_WRAPPERS) + r")\s*\{([^{}]*)\}")
_FONT_SWITCH = re.compile(r"\\(?:rm|bf|it|displaystyle|textstyle|scriptstyle)\b\s*")
_SPACING = re.compile(r"(?<!\\)\\[,;:! ]|\\q?quad\b|~|\\hspace\*?\{[^{}]*\}")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])\s*\.?")
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree\b|\^\s*\{\s*\\text\{\s*o\s*\}\s*\}")
_THOUSANDS = re.compile(r"^((?:[A-Za-z]\s*=\s*)?[+-]?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$", re.ASCII)
_UNIT_WORDS = ("cm", "mm", "km", "m", "meter", "metre", "inch", "inche", "in", "ft", "foot", "feet", "yd",
               "yard", "mile", "unit", "degree", "cent", "dollar", "hour", "hr", "minute", "min", "second",
               "sec", "day", "week", "month", "year", "mph", "pound", "lb", "ounce", "oz", "gallon",
               "liter", "litre", "gram", "kg", "g", "square", "sq", "cubic", "radian", "rad", "point",
               "student", "people", "person", "page", "mile per hour", "kilometer", "centimeter")
_UNITS = re.compile(r"(?:\s*\b(?:" + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
                    + r")(?:e?s)?\b\.?(?:\s*\^\s*\{?[23]\}?)?)+\s*$")
_MARKED_SEPARATOR = re.compile(r"(?<=\d)(?:,\\!\s*|\{,\})(?=\d{3}(?!\d))", re.ASCII)
_INFINITY = re.compile(r"\\inf(?:ty|inity)?(?![a-zA-Z])|∞")
_REALS = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?|ℝ")
_CONJUNCTION = re.compile(r"\\(?:text|mbox)\s*\{\s*(?:and|or|,)\s*\}")  # "x=1 \text{ or } x=2" lists answers
_SPACES = re.compile(r"\s+")
_MAX_PASSES = 10
MAX_CHARS = 2000


def unwrap_text(text: str) -> str:
    """Replace `\\text{...}`, `\\mbox{...}` and similar wrappers by their contents (innermost first)."""
    for _ in range(_MAX_PASSES):
        unwrapped = _WRAPPER.sub(r" \1 ", text)
        if unwrapped == text:
            break
        text = unwrapped
    return text


def strip_delimiters(text: str) -> str:
    """Remove math-mode delimiters around an answer: `$...$`, `\\(...\\)`, `\\[...\\]`."""
    text = text.strip()
    for _ in range(_MAX_PASSES):
        before = text
        if text.startswith("$") and text.endswith("$") and len(text) >= 2:
            text = text.strip("$").strip()
        for left, right in (("\\(", "\\)"), ("\\[", "\\]")):
            if text.startswith(left) and text.endswith(right):
                text = text[len(left):-len(right)].strip()
        if text == before:
            break
    return text


def normalise(answer: str) -> str:
    """Canonical spelling of a LaTeX answer; equal strings mean equal answers.

    Whitespace is collapsed first (linear time), so no rewrite below ever scans a long whitespace run;
    answers longer than `MAX_CHARS` only get that collapse, as no real final answer is that long.
    """
    text = " ".join(answer.split())
    if len(text) > MAX_CHARS:
        return text
    text = strip_delimiters(text)
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    text = text.replace("\\dbinom", "\\binom").replace("\\tbinom", "\\binom")
    text = _MARKED_SEPARATOR.sub("", text)
    text = _SPACING.sub("", text)
    text = _LEFT_RIGHT.sub("", text)
    text = _DEGREES.sub("", text)
    text = text.replace("\\%", "").replace("%", "").replace("\\$", "").replace("$", "")
    text = text.replace("\\lbrace", "\\{").replace("\\rbrace", "\\}")
    text = text.replace("\\lvert", "|").replace("\\rvert", "|").replace("\\vert", "|").replace("\\mid", "|")
    text = text.replace("\\leqslant", "\\le").replace("\\geqslant", "\\ge")
    text = text.replace("\\leq", "\\le").replace("\\geq", "\\ge").replace("\\neq", "\\ne")
    text = text.replace("≤", "\\le").replace("≥", "\\ge").replace("−", "-").replace("π", "\\pi")
    text = _INFINITY.sub(r"\\infty", text)
    text = text.replace("\\varnothing", "\\emptyset").replace("\\{\\}", "\\emptyset")
    text = _REALS.sub(r"(-\\infty,\\infty)", text)
    text = _CONJUNCTION.sub(",", text)
    text = unwrap_text(text)
    text = _FONT_SWITCH.sub("", text)
    text = _UNITS.sub("", text) if _has_quantity(text) else text
    text = _SPACES.sub(" ", text).strip()
    text = text.rstrip(".").strip()
    if text.startswith("{") and text.endswith("}") and _outer_group(text):
        text = text[1:-1].strip()
    return _join_thousands(text)


def _has_quantity(text: str) -> bool:
    """Units are only stripped after something numeric, so a one-word text answer survives."""
    head = _UNITS.sub("", text)
    return bool(head.strip()) and any(ch.isdigit() or ch == "\\" for ch in head)


def _outer_group(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def _join_thousands(text: str) -> str:
    """A plain comma is a thousands separator only in a lone number (`58,500`, `x = 58,500`): in `1,234`
    inside a list it may separate two answers. `,\\!` and `{,}` always are separators (joined earlier)."""
    match = _THOUSANDS.match(text)
    if not match:
        return text
    sign, digits, decimals = match.groups()
    return sign + digits.replace(",", "") + (decimals or "")


def compact(text: str) -> str:
    """The whitespace-free key used for the cheap string comparison."""
    return text.replace(" ", "")

"""LaTeX answer normalisation: turn the many spellings of one answer into one canonical string.

Only rewrites that never change the mathematical value belong here (formatting commands, `\\dfrac`,
`\\left`, thousands separators, degree signs, currency, units, text wrappers). The result is compared as a
string first (the cheap path) and is what `parse` reads.
"""

from __future__ import annotations

import functools
import re

_FUNCTIONS = ("arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sin", "cos", "tan", "cot", "sec", "csc",
              "ln", "log", "exp")
_WRAPPERS = ("text", "textbf", "textit", "textrm", "textnormal", "mbox", "mathrm", "mathbf", "mathit",
             "operatorname", "mathsf", "boldsymbol", "bf", "rm")
_WRAPPER = re.compile(r"\\(?:" + "|".join(_WRAPPERS) + r")\s*\{([^{}]*)\}")
_FONT_SWITCH = re.compile(r"\\(?:rm|bf|it|displaystyle|textstyle|scriptstyle)\b\s*")
_SPACING = re.compile(r"(?<!\\)\\[,;:! ]|\\q?quad|~|\\hspace\*?\{[^{}]*\}")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])\s*\.?")
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree\b|\^\s*\{\s*\\text\{\s*o\s*\}\s*\}")
# `\\sin 30^\\circ`: inside a trigonometric function a degree sign converts to radians (elsewhere it is dropped).
_TRIG_DEGREES = re.compile(r"\\(sin|cos|tan|cot|sec|csc)\s*\(?\s*(\d+(?:\.\d+)?)\s*"
                           r"(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°)\s*\)?", re.ASCII)
_UNICODE = {"√": "\\sqrt", "×": "\\times", "·": "\\cdot", "÷": "\\div", "≠": "\\ne", "±": "\\pm",
            "∈": "\\in ", "∪": "\\cup ", "∅": "\\emptyset", "²": "^2", "³": "^3", "½": "\\frac{1}{2}",
            "⅓": "\\frac{1}{3}", "⅔": "\\frac{2}{3}", "¼": "\\frac{1}{4}", "¾": "\\frac{3}{4}", "⅕": "\\frac{1}{5}",
            "⅛": "\\frac{1}{8}"}
_THOUSANDS = re.compile(r"^((?:[A-Za-z]\s*=\s*)?[+-]?)([1-9]\d{0,2}(?:,\d{3})+|[1-9]\d{0,2}(?: \d{3})+)(\.\d+)?$",
                        re.ASCII)
_UNIT_WORDS = ("cm", "mm", "km", "m", "meter", "metre", "inch", "inche", "in", "ft", "foot", "feet", "yd",
               "yard", "mile", "unit", "degree", "cent", "dollar", "hour", "hr", "minute", "min", "second",
               "sec", "day", "week", "month", "year", "mph", "pound", "lb", "ounce", "oz", "gallon",
               "liter", "litre", "gram", "kg", "g", "square", "sq", "cubic", "radian", "rad", "point",
               "student", "people", "person", "page", "mile per hour", "kilometer", "centimeter", "percent")
_UNIT = r"(?:" + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True)) + r")(?:e?s)?\b"
_POWER = r"(?:\s*\^\s*\{?[23]\}?)?"
_PER_UNIT = r"(?:" + _UNIT + r"|[sh]\b)"  # `m/s`, `km/h`
# At most four unit words (`square feet per hour`): a bounded run keeps the `$`-anchored search linear.
_UNITS = re.compile(r"(?:\s*\b" + _UNIT + r"\.?" + _POWER + r"(?:\s*/\s*" + _PER_UNIT + _POWER + r")?){1,4}\s*$")
_MARKED_SEPARATOR = re.compile(r"(?<=\d)\s*(?:,\\!\s*|\{\s*,\s*\})\s*(?=\d{3}(?!\d))", re.ASCII)
_INFINITY = re.compile(r"\\inf(?:ty|inity)?(?![a-zA-Z])|∞")
_REALS = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?|ℝ")
_CONJUNCTION = re.compile(r"\\(?:text|mbox)\s*\{\s*(?:and|or|,)\s*\}")  # "x=1 \text{ or } x=2" lists answers
# A trailing `\text{...}` of words after a quantity is a unit or a label (`12\text{ apples}`,
# `7 \text{ (ways)}`): MATH answers never put mathematics inside `\text{}` after a number.
_TRAILING_TEXT = re.compile(r"(?<=[\d}])\s*\\(?:text|mbox|textrm)\s*\{\s*\(?[A-Za-z][A-Za-z .'/-]*\)?\.?\s*\}"
                            r"(?:\s*\^\s*\{?[23]\}?)?\s*\.?\s*$")
# Plain words after a number with a space (`12 apples`, `3 ways`): prose, not variables (a product of
# variables is written without spaces, `5abc`; `3 sin x` is still a function).
_TRAILING_WORDS = re.compile(r"(?<=\d) +(?!(?:" + "|".join(_FUNCTIONS) + r"|sqrt)\b)[A-Za-z]{3,}(?: +[A-Za-z]+)* *$",
                             re.ASCII)
_SCALE_WORD = re.compile(r"(?<=\d)\s*(?:\\(?:text|mbox)\s*\{\s*(?P<wrapped>thousand|million|billion|trillion)\s*\}"
                         r"|(?P<plain>thousand|million|billion|trillion)\b)", re.IGNORECASE)
_SCALES = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
_REPEATING = re.compile(r"(?<![\d.])(\d*)\.(\d*)\\overline\s*\{(\d{1,30})\}(?![\d.])", re.ASCII)
_OPERATOR_NAME = re.compile(r"\\operatorname\s*\{\s*(" + "|".join(_FUNCTIONS) + r")\s*\}")
# `2 pi`, `sin x`, `sqrt(2)` written without backslashes (a lone word `tan` stays a word).
_BARE_FUNCTION = re.compile(r"(?<![\\A-Za-z])(?:(pi)|(" + "|".join(_FUNCTIONS) + r"|sqrt)(?=\s*[\w({\\^]))(?![A-Za-z])")
_APPROX = re.compile(r"\\approx|≈")
_CONCLUSION = re.compile(r"\\(?:Rightarrow|Longrightarrow|implies|therefore)(?![A-Za-z])|⇒|∴")
# `a \equiv 3 \pmod{7}` answers 3: a congruence is an equality, its modulus a remark.
_MODULUS = re.compile(r"\s*(?:\\pmod\s*\{[^{}]*\}|\\pmod\s*\w+|\(\s*\\(?:bmod|mod|text\{mod\}|mathrm\{mod\})\s*[^()]*\))\s*\.?$")
# `x \approx 11` states the value of x: the approximation is the answer when only a name comes before it.
_NAMED_APPROX = re.compile(r"^(?:[A-Za-z](?:_\{?\w+\}?)?\s*)?(?:\\approx|≈)\s*")
# Commands written with a doubled backslash (`\\frac`, from JSON-escaped text): `\\` then a command name is
# never a line break followed by that word in an answer.
_DOUBLED_COMMAND = re.compile(r"(?<!\\)\\\\(?=(?:d?frac|sqrt|left|right|le|ge|leq|geq|ne|neq|lt|gt|pi|infty|cdot|"
                              r"times|text|mathrm|boxed|in|cup|pm|sin|cos|tan|log|ln|circ|approx)(?![A-Za-z]))")
_ASCII_RELATIONS = (("<=", "\\le "), (">=", "\\ge "), ("!=", "\\ne "))
_WORD_INFINITY = re.compile(r"^(?:\+\s*)?infinity$", re.IGNORECASE)
_WORD_REALS = re.compile(r"^all real(?: numbers)?$", re.IGNORECASE)
# `12 and 13`, `19, 46, and 82`, `(11,7)or(7,11)` list answers.
_PLAIN_CONJUNCTION = re.compile(r"(?<=[\d},])\s+(?:and|or)\s+(?=[-+\w\\(])|(?<=\))\s*(?:and|or)\s*(?=\()")
_ORDINAL = re.compile(r"(?<=\d)\s*(?:\^\s*\{\s*(?:st|nd|rd|th)\s*\}|\^?\s*(?:st|nd|rd|th)\b)", re.ASCII)
_MIXED_SLASH = re.compile(r"^([+-]?\d+) +(\d+)/(\d+)$", re.ASCII)  # `7 3/4` is seven and three quarters
_SPACES = re.compile(r"\s+")
_DISPLAY = re.compile(r"^\\begin\{((?:equation|align|gather)\*?)\}(.*)\\end\{\1\}$", re.DOTALL)
_MAX_PASSES = 10
MAX_CHARS = 2000
# A verdict normalises the same two answers several times (the verifier's emptiness checks, then
# `equivalent`): memoising the pure `normalise` halves its cost per item; bounded, so memory is too.
_CACHE_SIZE = 4096


def unwrap_text(text: str) -> str:
    """Replace `\\text{...}`, `\\mbox{...}` and similar wrappers by their contents (innermost first)."""
    for _ in range(_MAX_PASSES):
        unwrapped = _WRAPPER.sub(r" \1 ", text)
        if unwrapped == text:
            break
        text = unwrapped
    return text


def strip_delimiters(text: str) -> str:
    """Remove math-mode delimiters around an answer: `$...$`, `\\(...\\)`, `\\[...\\]`, `\\begin{equation}...`."""
    text = text.strip()
    for _ in range(_MAX_PASSES):
        before = text
        if text.startswith("$") and text.endswith("$") and len(text) >= 2:
            text = text.strip("$").strip()
        for left, right in (("\\(", "\\)"), ("\\[", "\\]")):
            if text.startswith(left) and text.endswith(right):
                text = text[len(left):-len(right)].strip()
        display = _DISPLAY.match(text)
        if display:
            text = display.group(2).strip()
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
    return _normalise(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _normalise(text: str) -> str:
    """`normalise` of whitespace-collapsed text of at most `MAX_CHARS` characters."""
    text = _DOUBLED_COMMAND.sub(r"\\", text)
    text = strip_delimiters(text)
    text = _before_approximation(_NAMED_APPROX.sub("", _conclusion(text)))
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    text = text.replace("\\dbinom", "\\binom").replace("\\tbinom", "\\binom")
    text = _MARKED_SEPARATOR.sub("", text)
    text = _SPACING.sub("", text)
    text = _LEFT_RIGHT.sub("", text)
    text = _DEGREES.sub("", _TRIG_DEGREES.sub(r"\\\1{(\2\\pi/180)}", text))
    text = text.replace("\\%", "").replace("%", "").replace("\\$", "").replace("$", "")
    text = text.replace("\\euro", "")
    text = text.replace("\\lbrace", "\\{").replace("\\rbrace", "\\}")
    text = text.replace("\\langle", "(").replace("\\rangle", ")")  # a vector <1, 2> is the tuple (1, 2)
    text = text.replace("\\ldots", "\\dots").replace("\\cdots", "\\dots")
    text = text.replace("\\lvert", "|").replace("\\rvert", "|").replace("\\vert", "|").replace("\\mid", "|")
    text = text.replace("\\leqslant", "\\le").replace("\\geqslant", "\\ge")
    for ascii_relation, command in _ASCII_RELATIONS:
        text = text.replace(ascii_relation, command)
    text = _MODULUS.sub("", text).replace("\\equiv", "=")
    text = text.replace("\\leq", "\\le").replace("\\geq", "\\ge").replace("\\neq", "\\ne")
    if not text.isascii():
        text = _unicode_symbols(text)
    text = _INFINITY.sub(r"\\infty", text)
    text = text.replace("\\varnothing", "\\emptyset").replace("\\{\\}", "\\emptyset")
    text = _REALS.sub(r"(-\\infty,\\infty)", text)
    text = _CONJUNCTION.sub(",", text)
    text = _REPEATING.sub(_repeating_fraction, text)
    text = _OPERATOR_NAME.sub(r"\\\1 ", text)
    text = _SCALE_WORD.sub(_scale, text)
    text = _BARE_FUNCTION.sub(lambda match: "\\" + (match.group(1) or match.group(2)), text)
    text = _TRAILING_WORDS.sub("", _drop_trailing_text(text))
    text = unwrap_text(text)
    text = _ORDINAL.sub("", _PLAIN_CONJUNCTION.sub(",", text))
    text = _MIXED_SLASH.sub(r"\1\\frac{\2}{\3}", text.strip())
    text = _FONT_SWITCH.sub("", text)
    text = _UNITS.sub("", text) if _has_quantity(text) else text
    text = _SPACES.sub(" ", text).strip()
    text = _strip_line_break(text.rstrip(".").strip())
    if _WORD_INFINITY.match(text):
        text = "\\infty"
    elif _WORD_REALS.match(text):
        text = "(-\\infty,\\infty)"
    if text.startswith("{") and text.endswith("}") and _outer_group(text):
        text = text[1:-1].strip()
    return _join_thousands(text)


def _unicode_symbols(text: str) -> str:
    """Unicode currency, relations and symbols as their LaTeX spelling (only called when there are any)."""
    text = text.replace("€", "").replace("£", "")
    text = text.replace("≤", "\\le").replace("≥", "\\ge").replace("−", "-").replace("π", "\\pi")
    for symbol, command in _UNICODE.items():
        text = text.replace(symbol, command)
    return text


def _conclusion(text: str) -> str:
    """`a = 2 \\Rightarrow x = 3` concludes `x = 3`: what follows the last implication arrow or `\\therefore`."""
    last = text
    for last in _CONCLUSION.split(text):
        pass
    return last.strip() or text


def _before_approximation(text: str) -> str:
    """`\\frac{5}{3} \\approx 1.67` answers the exact value; the rounding after it is commentary."""
    match = _APPROX.search(text)
    return text[:match.start()].rstrip() if match and match.start() > 0 else text


def _repeating_fraction(match: re.Match[str]) -> str:
    """`0.1\\overline{6}` is the rational 1/6: (all digits - digits before the bar) / (9...90...)."""
    whole, fixed, period = match.groups()
    numerator = int(whole + fixed + period) - int(whole + fixed or "0")
    denominator = int("9" * len(period) + "0" * len(fixed))
    return f"\\frac{{{numerator}}}{{{denominator}}}"


def _scale(match: re.Match[str]) -> str:
    """`2.5 million` is `2.5 \\cdot 10^{6}` (the closing brace of a `\\text{ million}` goes with it)."""
    word = match.group("wrapped") or match.group("plain")
    return f"\\cdot10^{{{_SCALES[word.lower()]}}}"


def _drop_trailing_text(text: str) -> str:
    """Drop a trailing `\\text{words}` after a quantity (units, labels); a lone `\\text{Monday}` stays."""
    match = _TRAILING_TEXT.search(text)
    return text[:match.start()].rstrip() if match else text


def _strip_line_break(text: str) -> str:
    """A trailing LaTeX line break `\\\\` (left from an `align` environment) is not part of the answer."""
    while text.endswith("\\\\"):
        text = text[:-2].rstrip()
    return text


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
    return sign + digits.replace(",", "").replace(" ", "") + (decimals or "")


def compact(text: str) -> str:
    """The whitespace-free key used for the cheap string comparison."""
    return text.replace(" ", "")

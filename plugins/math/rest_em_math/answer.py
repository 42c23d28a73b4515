"""Read a normalised answer into its mathematical shape: a scalar, a tuple or interval, a set, a union of
intervals, a matrix, a relation, a word, or a multiple-choice letter.

The shape decides the comparison rules (sets are order-free, tuples and intervals ordered with their
brackets respected), so `(1,2)` and `\\{1,2\\}` can never be confused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from rest_em_math.evaluate import Exact, NotExact, exact, symbols
from rest_em_math.matrices import evaluate_matrices
from rest_em_math.parse import Node, ParseError, parse_expression

MAX_ITEMS = 64
MAX_CHARS = 1000
MAX_NESTING = 30
MAX_UNIT_WORDS = 2

_CHOICE = re.compile(r"^\(?([A-E])\)?$")
_LABELLED_CHOICE = re.compile(r"^\(([A-E])\)\s*(?=[\w\\])")  # `(D) 17`: the option letter and its text
_VARIABLE_TUPLE = re.compile(r"^\(\s*[A-Za-z](?:_\{?\w+\}?)?(?:\s*,\s*[A-Za-z](?:_\{?\w+\}?)?)+\s*\)$")
_WORD = re.compile(r"^[A-Za-z']+(?: [A-Za-z']+)*$")
_EVENT = re.compile(r"^[A-Z]\s*\((?=[^()]*(?:[=<>|]|\\(?:mid|le|ge|lt|gt)))[^()]*\)$")  # `P(X = 2)`, `P(A|B)`
_SET_BUILDER = re.compile(r"^\\\{\s*[A-Za-z](?:\s*\\in\s*[^\s|:]+)?\s*[|:]\s*(.+)\\\}$")
_MEMBERSHIP = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*\\in\s*")
_MATRIX = re.compile(r"^\\begin\{((?:[pbvBV]|small)?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", re.DOTALL)
_RELATIONS = ("\\le", "\\ge", "\\lt", "\\gt", "\\ne", "=", "<", ">")
# A name for a value: letters with subscripts or primes (`AB`, `V_{1}`, `x'`), as a length `|AB|`, a ratio
# `A:B`, a quotient `\\frac{NO}{BO}`, an angle `\\angle ABC`. A number or an operator makes it an equation.
_NAME = r"(?:[A-Za-z](?:_\{?\w+\}?|')*)+"
_LABEL = re.compile(rf"^(?:m?\\angle\s*)?"
                    rf"(?:{_NAME}|\|{_NAME}\||\\frac\{{{_NAME}\}}\{{{_NAME}\}}|{_NAME}\s*:\s*{_NAME})$")
_APPLIED = re.compile(r"^[A-Za-z]\s*\(\s*[A-Za-z]\s*\)$")  # `f(x)` in `0 < f(x) < 1` is the quantity bounded
_LETTER_OUTSIDE_COMMANDS = re.compile(r"(?<![\\A-Za-z])[A-Za-z]")
_FLIP = {"<": ">", ">": "<", "\\le": "\\ge", "\\ge": "\\le", "=": "=", "\\ne": "\\ne"}
_UNITS_WORDS = {word: n for n, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS_WORDS = {word: 10 * n
               for n, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_DENOMINATOR_WORDS = {word + plural: n for n, word in enumerate(
    "half third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split(), 2) for plural in ("", "s")}
_DENOMINATOR_WORDS.update({"halves": 2, "quarter": 4, "quarters": 4})
_OPEN = "([{"
_CLOSE = ")]}"


@dataclass(frozen=True)
class Scalar:
    node: Node
    text: str


@dataclass(frozen=True)
class Sequence:
    """A tuple, point or interval: ordered, and its brackets matter (`[0,1)` is not `[0,1]`)."""

    left: str
    right: str
    items: tuple["Answer", ...]


@dataclass(frozen=True)
class Collection:
    """A set (`\\{1,2\\}`), a bare comma list of solutions, or the two values of `a \\pm b`: order-free."""

    items: tuple["Answer", ...]


@dataclass(frozen=True)
class Union:
    parts: tuple["Answer", ...]


@dataclass(frozen=True)
class Matrix:
    rows: tuple[tuple["Answer", ...], ...]


@dataclass(frozen=True)
class Relation:
    """A chain `a op b op c` with every `>`/`\\ge` turned around, e.g. `x > 3` is stored as `3 < x`."""

    ops: tuple[str, ...]
    sides: tuple[Scalar, ...]


@dataclass(frozen=True)
class Labelled:
    """A value under a name: `AB = 4`, `x = 5`, `\\frac{NO}{BO} = \\frac{1}{2}`, `V_1:V_2 = 11:21`. It answers
    the bare value; two labelled values are equal when names and values are."""

    label: str
    value: "Answer"


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Choice:
    letter: str


@dataclass(frozen=True)
class Unparsed:
    """Text our parser does not understand or refuses (too long, too deep): compared as a string only."""

    text: str
    reason: str


Answer = Scalar | Sequence | Collection | Union | Matrix | Relation | Labelled | Word | Choice | Unparsed


def read_answer(text: str, raw: str = "") -> Answer:
    """The shape of a normalised answer (`raw` is the text before normalisation, for word detection)."""
    if len(text) > MAX_CHARS:
        return Unparsed(text, f"longer than {MAX_CHARS} characters")
    if _nesting(text) > MAX_NESTING:
        return Unparsed(text, f"nested deeper than {MAX_NESTING}")
    choice = _CHOICE.match(text) or _LABELLED_CHOICE.match(text)
    wrapped = any(cmd in raw for cmd in ("\\text", "\\mbox"))
    if choice and (len(text) > 1 or wrapped or len(raw.strip()) == 1):
        return Choice(choice.group(1).upper())
    spelled = _spelled_quantity(text)
    if spelled is not None:
        return Scalar(("num", spelled), str(spelled))
    if _WORD.match(text) and (max(len(word) for word in text.split()) >= 3 or wrapped):
        return Word(" ".join(text.lower().split()))
    try:
        return _read(text, 0)
    except (ParseError, RecursionError) as exc:
        return Unparsed(text, str(exc))


def spelled_number(text: str) -> Fraction | None:
    """A number written in English words: `five`, `Twenty-one`, `one hundred fifty`, `two thousand and
    twelve`, `negative three`, `one half`, `a quarter`, `two thirds`; None for any other text (a run of
    number words that is not one number, `one two three`, included)."""
    words = text.lower().replace("-", " ").split()
    sign = -1 if words[:1] in (["negative"], ["minus"]) else 1
    words = words[1:] if sign < 0 else words
    if len(words) >= 2 and words[-1] in _DENOMINATOR_WORDS:
        numerator = 1 if words[:-1] in (["a"], ["an"]) else _integer(words[:-1])
        return sign * Fraction(numerator, _DENOMINATOR_WORDS[words[-1]]) if numerator is not None else None
    value = _integer(words)
    return Fraction(sign * value) if value is not None else None


def _spelled_quantity(text: str) -> Fraction | None:
    """A number in words, a unit of up to two words after it allowed (`forty-five degrees`, `five of them`)."""
    words = text.split()
    for kept in range(len(words), max(0, len(words) - MAX_UNIT_WORDS - 1), -1):
        value = spelled_number(" ".join(words[:kept])) if kept else None
        if value is not None:
            unit = words[kept:]
            return value if all(word.isalpha() and spelled_number(word) is None for word in unit) else None
    return None


def _integer(words: list[str]) -> int | None:
    """0 to 999,999 in words: groups below a thousand, joined by `thousand` (an `and` after a scale allowed)."""
    if "thousand" in words:
        at = words.index("thousand")
        high, rest = _below_thousand(words[:at]), words[at + 1:]
        low = _below_thousand(rest[1:] if rest[:1] == ["and"] else rest) if rest else 0
        return high * 1000 + low if high and low is not None else None
    return _below_thousand(words)


def _below_thousand(words: list[str]) -> int | None:
    if "hundred" in words:
        at = words.index("hundred")
        high, rest = _below_hundred(words[:at]), words[at + 1:]
        low = _below_hundred(rest[1:] if rest[:1] == ["and"] else rest) if rest else 0
        return high * 100 + low if high and high < 10 and low is not None else None
    return _below_hundred(words)


def _below_hundred(words: list[str]) -> int | None:
    if len(words) == 1:
        return _UNITS_WORDS.get(words[0], _TENS_WORDS.get(words[0]))
    if len(words) != 2:
        return None
    tens, unit = _TENS_WORDS.get(words[0]), _UNITS_WORDS.get(words[1])
    return tens + unit if tens is not None and unit is not None and 0 < unit < 10 else None


def _read(text: str, depth: int) -> Answer:
    if depth > 4:
        raise ParseError("answer structure nested too deeply")
    text = text.strip()
    if not text:
        raise ParseError("empty item")
    evaluated = evaluate_matrices(text) if text.count("\\begin{") > 1 else None
    if evaluated is not None:  # `A + B`, `AB` of explicit matrices: the value is the answer
        return Matrix(tuple(tuple(_exact_scalar(value) for value in row) for row in evaluated))
    matrix = _MATRIX.match(text) or _bracketed_matrix(text)
    if matrix:
        return _matrix(matrix.group(2), depth)
    text = _MEMBERSHIP.sub("", text)
    if text == "\\emptyset":
        return Collection(())
    solutions = _split_top(text, (";",))
    if len(solutions) > 1:  # `p=5,q=2; p=7,q=2` and `-12;-11;-10` list solutions
        return Collection(tuple(_read(part, depth + 1) for part in solutions if part.strip()))
    parts = _split_top(text, ("\\cup",))
    if len(parts) > 1:
        return Union(tuple(_read(part, depth + 1) for part in parts))
    if text.startswith("\\{") and text.endswith("\\}") and _closes_at_end(text):
        builder = _SET_BUILDER.match(text)
        if builder:  # `\\{x \\mid x > 2\\}` is the set its condition describes
            return _read(builder.group(1), depth + 1)
        return Collection(tuple(_items(text[2:-2], depth)))
    if text[0] in "([" and text[-1] in ")]" and _closes_at_end(text):
        items = _split_top(text[1:-1], (",",))
        if len(items) == 1:  # `(0;-2;6)`: semicolons separate coordinates where commas are decimal marks
            items = _split_top(text[1:-1], (";",))
        if len(items) > 1:
            return Sequence(text[0], text[-1], tuple(_read(item, depth + 1) for item in items))
    if len(_split_top(text, (",",))) > 1:
        return Collection(tuple(_items(text, depth)))
    ratio = _split_top(text, (":",))
    if len(ratio) > 1 and all(part.strip() for part in ratio) and len(_split_relations(text)) == 1:
        # `11:21`, a ratio (or a time, `12:00`), compares part by part
        return Sequence(":", ":", tuple(_read(part, depth + 1) for part in ratio))
    plus_minus = _plus_minus(text)
    if plus_minus is not None:
        return Collection(tuple(_read(t, depth + 1) for t in plus_minus))
    named = _named_tuple(text)
    if named is not None:
        return _read(named, depth + 1)
    text = _chain_ends(text)
    labelled = _labelled(text, depth)
    if labelled is not None:
        return labelled
    relation = _relation(text)
    if relation is not None:
        if relation.ops == ("=",) and not any(symbols(side.node) for side in relation.sides):
            return relation.sides[1]  # `\\frac12 + \\frac14 = \\frac34` is a computation: its result is the answer
        return relation
    return Scalar(parse_expression(text), text)


def _exact_scalar(value: Exact) -> Scalar:
    real, imag = value
    if imag == 0:
        return Scalar(("num", real), str(real))
    return Scalar(("add", ("num", real), ("mul", ("num", imag), ("const", "i"))), f"{real}+{imag}i")


def _chain_ends(text: str) -> str:
    """A chain of equalities states one value: `x = 5+5+1 = 11` is `x = 11` (a name first), `2 + 3 = 5 = x` is
    `x = 5` (a name last), and `f(1) + f(2) = 3 + 4 = 7` is `7` (the result of a computation)."""
    pieces = _split_relations(text)
    if len(pieces) < 5 or any(op != "=" for op in pieces[1::2]):
        return text
    first, before_last, last = pieces[0].strip(), pieces[-3].strip(), pieces[-1].strip()
    if _LABEL.match(first):
        return f"{first}={last}"
    if _LABEL.match(last):
        return f"{last}={before_last}"
    return last


def _labelled(text: str, depth: int) -> Labelled | None:
    """`AB = 4`: a name (see `_LABEL`), `=`, and a value that names no variable."""
    pieces = _split_relations(text)
    if len(pieces) != 3 or pieces[1] != "=" or not _LABEL.match(pieces[0].strip()):
        return None
    if _LETTER_OUTSIDE_COMMANDS.search(pieces[2]):
        return None
    return Labelled(_compact_label(pieces[0]), _read(pieces[2], depth + 1))


def _compact_label(label: str) -> str:
    return "".join(label.split()).replace("{", "").replace("}", "")


def _bracketed_matrix(text: str) -> re.Match[str] | None:
    """`\\left(\\begin{array}{cc}...\\end{array}\\right)`: brackets written around a bracketless matrix."""
    if len(text) > 2 and text[0] + text[-1] in ("()", "[]"):
        return _MATRIX.match(text[1:-1].strip())
    return None


def _named_tuple(text: str) -> str | None:
    """`(a,b) = (2,3)` names the variables of a tuple answer, and `P(X=2) = \\frac14` names a probability
    our parser cannot read as an expression: the answer is the right-hand side."""
    pieces = _split_relations(text)
    if len(pieces) != 3 or pieces[1] != "=":
        return None
    name = pieces[0].strip()
    if _VARIABLE_TUPLE.match(name):
        return pieces[2]
    if _EVENT.match(name) and not [piece for piece in _split_relations(pieces[2]) if piece in _RELATIONS]:
        return pieces[2]
    return None


def _items(text: str, depth: int) -> list[Answer]:
    items = [item for item in _split_top(text, (",",)) if item.strip()]
    if len(items) > MAX_ITEMS:
        raise ParseError(f"more than {MAX_ITEMS} items")
    expanded: list[Answer] = []
    for item in items:
        answer = _read(item, depth + 1)
        expanded.extend(answer.items if isinstance(answer, Collection) and "\\pm" in item else [answer])
    return expanded


def _matrix(body: str, depth: int) -> Matrix:
    rows = [row for row in body.split("\\\\") if row.strip()]
    if not rows or len(rows) > MAX_ITEMS:
        raise ParseError("bad matrix")
    cells = tuple(tuple(_read(cell, depth + 1) for cell in row.split("&")) for row in rows)
    if len({len(row) for row in cells}) != 1:
        raise ParseError("ragged matrix")
    return Matrix(cells)


def _relation(text: str) -> Relation | None:
    pieces = _split_relations(text)
    if len(pieces) == 1:
        return None
    sides = pieces[0::2]
    ops = pieces[1::2]
    if any(not side.strip() for side in sides):
        raise ParseError("relation with an empty side")
    ops = [{"\\lt": "<", "\\gt": ">"}.get(op, op) for op in ops]
    scalars = [Scalar(parse_expression(side), side.strip()) for side in sides]
    if all(op in (">", "\\ge") for op in ops):
        ops = [_FLIP[op] for op in reversed(ops)]
        scalars.reverse()
    return Relation(tuple(ops), tuple(scalars))


def as_interval(relation: Relation) -> Sequence | None:
    """`x > 3` -> `(3, \\infty)` and `-2 \\le x \\le 7` -> `[-2, 7]`: one variable against constants."""
    if any(op not in ("<", "\\le") for op in relation.ops):
        return None
    variables = [i for i, side in enumerate(relation.sides) if side.node[0] == "sym" or _APPLIED.match(side.text)]
    if len(variables) != 1 or any(symbols(s.node) for i, s in enumerate(relation.sides) if i != variables[0]):
        return None
    index = variables[0]
    infinity = Scalar(("const", "inf"), "\\infty")
    if len(relation.sides) == 2:
        bound = relation.sides[1 - index]
        closed = relation.ops[0] == "\\le"
        if index == 0:
            return Sequence("(", "]" if closed else ")", (Scalar(("neg", infinity.node), "-\\infty"), bound))
        return Sequence("[" if closed else "(", ")", (bound, infinity))
    if len(relation.sides) == 3 and index == 1:
        left = "[" if relation.ops[0] == "\\le" else "("
        right = "]" if relation.ops[1] == "\\le" else ")"
        return Sequence(left, right, (relation.sides[0], relation.sides[2]))
    return None


def as_complement(relation: Relation) -> Union | None:
    """`x \\ne 2` -> `(-\\infty, 2) \\cup (2, \\infty)`: one variable against a constant."""
    if relation.ops != ("\\ne",):
        return None
    variables = [side for side in relation.sides if side.node[0] == "sym"]
    constants = [side for side in relation.sides if not symbols(side.node)]
    if len(variables) != 1 or len(constants) != 1:
        return None
    bound = constants[0]
    infinity = Scalar(("const", "inf"), "\\infty")
    return Union((Sequence("(", ")", (Scalar(("neg", infinity.node), "-\\infty"), bound)),
                  Sequence("(", ")", (bound, infinity))))


def as_abs_set(relation: Relation) -> Sequence | Union | None:
    """`|x| < 3` -> `(-3, 3)`, `|x| \\ge 1` -> `(-\\infty,-1] \\cup [1,\\infty)`, `1 \\le |z| \\le \\frac32` ->
    `[-\\frac32,-1] \\cup [1,\\frac32]`: the absolute value of one variable against positive constants."""
    ops, sides = relation.ops, relation.sides
    if any(op not in ("<", "\\le") for op in ops):
        return None
    where = [i for i, side in enumerate(sides) if side.node[:2] == ("fn", "abs") and side.node[2][0] == "sym"]
    if len(where) != 1 or len(sides) == 3 and where[0] != 1 or not all(_positive(side) for side in sides
                                                                      if side.node[:2] != ("fn", "abs")):
        return None
    infinity = Scalar(("const", "inf"), "\\infty")
    if where[0] == 0:  # |x| < b
        b, closed = sides[1], ops[0] == "\\le"
        return Sequence("[" if closed else "(", "]" if closed else ")", (_negated(b), b))
    a, a_closed = sides[0], ops[0] == "\\le"
    b, b_closed = (sides[2], ops[1] == "\\le") if len(sides) == 3 else (infinity, False)
    return Union((Sequence("[" if b_closed else "(", "]" if a_closed else ")", (_negated(b), _negated(a))),
                  Sequence("[" if a_closed else "(", "]" if b_closed else ")", (a, b))))


def equation_sides(text: str) -> list[str]:
    """The sides of a top-level chain of equalities (`\\gcd(12, 15) = 3` has two); one side for text that is no
    equation (or a relation other than `=`)."""
    pieces = _split_relations(text)
    if len(pieces) < 3 or any(op != "=" for op in pieces[1::2]):
        return [text]
    return [piece.strip() for piece in pieces[::2]]


def _positive(side: Scalar) -> bool:
    try:
        real, imag = exact(side.node)
    except (NotExact, ArithmeticError, ValueError):
        return False
    return imag == 0 and real > 0


def _negated(side: Scalar) -> Scalar:
    return Scalar(("neg", side.node), f"-({side.text})")


def _plus_minus(text: str) -> list[str] | None:
    count = text.count("\\pm") + text.count("\\mp")
    if count != 1:
        return None
    if "\\pm" in text:
        return [text.replace("\\pm", "+"), text.replace("\\pm", "-")]
    return [text.replace("\\mp", "-"), text.replace("\\mp", "+")]


def _split_top(text: str, separators: tuple[str, ...]) -> list[str]:
    """Split at separators outside any bracket; `\\{`/`\\}` count as brackets too."""
    return _scan_top(text, separators)[::2]


def _split_relations(text: str) -> list[str]:
    """Alternating sides and operators of a relation chain, split outside brackets."""
    return _scan_top(text, _RELATIONS)


def _scan_top(text: str, tokens: tuple[str, ...]) -> list[str]:
    """Pieces of `text` alternating with the `tokens` found outside brackets (a `\\word` token must
    not run into further letters: `\\le` is not found in `\\left`)."""
    pieces: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and text[i + 1:i + 2] in ("{", "}"):
            depth += 1 if text[i + 1] == "{" else -1
            i += 2
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif depth == 0:
            for token in tokens:
                if text.startswith(token, i) and not (token[0] == "\\" and text[i + len(token):i + len(token) + 1].isalpha()):
                    pieces.extend((text[start:i], token))
                    start = i + len(token)
                    i = start - 1
                    break
        i += 1
    pieces.append(text[start:])
    return pieces


def _closes_at_end(text: str) -> bool:
    """Whether the opening bracket is closed by the very last one: `(1,2)` yes, `(1)(2)` no."""
    depth = 0
    i = 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1:i + 2] in ("{", "}"):
            depth += 1 if text[i + 1] == "{" else -1
            i += 2
        else:
            depth += 1 if text[i] in _OPEN else -1 if text[i] in _CLOSE else 0
            i += 1
        if depth == 0:
            return i == len(text)
    return False


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif ch in _CLOSE:
            depth -= 1
    return deepest

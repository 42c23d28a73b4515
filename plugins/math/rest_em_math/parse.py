"""A small LaTeX expression parser: normalised answer text -> a tiny tuple AST.

Our own recursive-descent parser instead of SymPy's ANTLR `parse_latex`: it needs no optional runtime,
costs microseconds, and enforces structural limits (tokens, nesting depth) before anything is evaluated,
so pathological inputs fail fast with `ParseError` instead of recursing or hanging.

AST nodes are plain tuples (picklable, hashable, cheap):
("num", Fraction) ("based", digits, base) ("sym", name) ("const", "pi" | "e" | "i" | "inf")
("add", a, b) ("neg", a) ("mul", a, b) ("div", a, b) ("pow", a, b) ("fn", name, a)
("root", n, a) ("log", base | None, a) ("binom", n, k)
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

Node = tuple[Any, ...]

MAX_TOKENS = 400
MAX_DEPTH = 40
MAX_EXPONENT = 1000

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+(?![\d.]))?|\.\d+)|(\\[a-zA-Z]+|\\[{}|])|([a-zA-Z])|(\S))", re.ASCII)

FUNCTIONS = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
                       "tanh", "ln", "log", "exp"})
_GREEK = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
                    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon",
                    "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma",
                    "Phi", "Psi", "Omega"})
_CONSTANTS = {"pi": ("const", "pi"), "infty": ("const", "inf"), "imath": ("const", "i")}
_LETTER_CONSTANTS = {"i": ("const", "i"), "e": ("const", "e")}  # `e_1` stays a variable
_INVERSE_TRIG = {"sin": "arcsin", "cos": "arccos", "tan": "arctan"}
_ATOM_COMMANDS = frozenset({"frac", "sqrt", "binom", "lfloor", "lceil"}) | FUNCTIONS | _GREEK | set(_CONSTANTS)
_MUL = frozenset({"*", "\\cdot", "\\times", "\\ast"})
_DIV = frozenset({"/", "\\div"})


class ParseError(ValueError):
    """The answer is not an expression this parser understands (or exceeds its structural limits)."""


def number_fraction(text: str) -> Fraction:
    """Exact value of a decimal literal (`12`, `.5`, `3.2e5`); refuses exponents beyond `MAX_EXPONENT`,
    because `Fraction("1e99999999")` would build a hundred-million-digit integer."""
    mantissa, _, exponent = text.lower().partition("e")
    if exponent and (not exponent.lstrip("+-").isdigit() or len(exponent) > 6 or abs(int(exponent)) > MAX_EXPONENT):
        raise ParseError(f"exponent out of range in {text!r}")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise ParseError(f"bad number {text!r}") from exc


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split into (kind, text) tokens; kind is num, cmd, letter or op."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    end = len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            break
        pos = match.end()
        num, cmd, letter, op = match.groups()
        if num is not None:
            tokens.append(("num", num))
        elif cmd is not None:
            tokens.append(("cmd", cmd))
        elif letter is not None:
            tokens.append(("letter", letter))
        elif op is not None:
            tokens.append(("op", op))
        if len(tokens) > MAX_TOKENS:
            raise ParseError(f"more than {MAX_TOKENS} tokens")
    return tokens


def parse_expression(text: str) -> Node:
    """Parse one scalar expression; raises `ParseError` on anything else."""
    parser = _Parser(tokenize(text))
    node = parser.expr()
    if parser.peek() is not None:
        raise ParseError(f"unexpected {parser.peek()[1]!r}")
    return node


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.abs_depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def peek_text(self) -> str | None:
        tok = self.peek()
        return tok[1] if tok else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end of expression")
        self.pos += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok[1] != text:
            raise ParseError(f"expected {text!r}, got {tok[1]!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"nesting deeper than {MAX_DEPTH}")

    def expr(self) -> Node:
        self.enter()
        node = self.term()
        while self.peek_text() in ("+", "-"):
            op = self.take()[1]
            right = self.term()
            node = ("add", node, right if op == "+" else ("neg", right))
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        node = self.mixed_number(node)
        while True:
            text = self.peek_text()
            if text in _MUL:
                self.take()
                node = ("mul", node, self.unary())
            elif text in _DIV:
                self.take()
                node = ("div", node, self.unary())
            elif self.starts_atom():
                node = ("mul", node, self.power())
            else:
                return node

    def mixed_number(self, node: Node) -> Node:
        """`2\\frac{1}{2}` is MATH's spelling of the mixed number 5/2, not a product."""
        whole, sign = (node[1], -1) if node[0] == "neg" else (node, 1)
        if whole[0] != "num" or whole[1].denominator != 1 or self.peek_text() != "\\frac":
            return node
        start = self.pos
        frac = self.atom()
        if (frac[0] == "div" and frac[1][0] == "num" and frac[2][0] == "num"
                and frac[1][1].denominator == 1 and frac[2][1].denominator == 1 and 0 < frac[1][1] < frac[2][1]):
            return ("num", sign * (whole[1] + frac[1][1] / frac[2][1]))
        self.pos = start
        return node

    def unary(self) -> Node:
        text = self.peek_text()
        if text == "-":
            self.take()
            return ("neg", self.unary())
        if text == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.peek_text() == "^":
            self.take()
            return ("pow", base, self.exponent())
        return base

    def exponent(self) -> Node:
        text = self.peek_text()
        if text == "-":
            self.take()
            return ("neg", self.exponent())
        return self.argument()

    def postfix(self) -> Node:
        node = self.atom()
        while self.peek_text() == "!":
            self.take()
            node = ("fn", "fact", node)
        return node

    def argument(self) -> Node:
        """A LaTeX macro argument: a braced group, or a single token (`\\frac12`, `x^23` is x^2 * 3)."""
        tok = self.peek()
        if tok is None:
            raise ParseError("missing argument")
        if tok[0] == "num" and len(tok[1]) > 1 and tok[1][0].isdigit():
            self.tokens[self.pos] = ("num", tok[1][1:])
            return ("num", Fraction(int(tok[1][0])))
        return self.atom()

    def starts_atom(self) -> bool:
        tok = self.peek()
        if tok is None:
            return False
        kind, text = tok
        if kind in ("num", "letter"):
            return True
        if kind == "cmd":
            return text[1:] in _ATOM_COMMANDS
        return text in ("(", "{") or (text == "|" and self.abs_depth == 0)

    def group(self, close: str) -> Node:
        node = self.expr()
        self.expect(close)
        return node

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return self.number(text)
        if kind == "letter":
            name = text + self.subscript()
            return _LETTER_CONSTANTS.get(name, ("sym", name))
        if text == "(":
            return self.group(")")
        if text == "{":
            return self.group("}")
        if text == "[":
            return self.group("]")
        if text == "|":
            self.abs_depth += 1
            node = self.group("|")
            self.abs_depth -= 1
            return ("fn", "abs", node)
        if kind == "cmd":
            return self.command(text[1:])
        raise ParseError(f"unexpected {text!r}")

    def number(self, text: str) -> Node:
        value = number_fraction(text)
        if self.peek_text() == "_" and text.isdigit():
            self.take()
            base_text = self.subscript_text()
            if not base_text.isdigit() or not 2 <= int(base_text) <= 36:
                raise ParseError(f"bad base {base_text!r}")
            base = int(base_text)
            if any(int(d, 36) >= base for d in text):
                raise ParseError(f"{text} is not a base-{base} numeral")
            return ("based", text, base)
        return ("num", value)

    def subscript(self) -> str:
        if self.peek_text() != "_":
            return ""
        self.take()
        return "_" + self.subscript_text()

    def subscript_text(self) -> str:
        if self.peek_text() != "{":
            return self.take()[1]
        self.take()
        parts = []
        while self.peek_text() != "}":
            parts.append(self.take()[1])
        self.take()
        return "".join(parts)

    def command(self, name: str) -> Node:
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _GREEK:
            return ("sym", name + self.subscript())
        if name == "frac":
            return ("div", self.argument(), self.argument())
        if name == "binom":
            return ("binom", self.argument(), self.argument())
        if name == "sqrt":
            if self.peek_text() == "[":
                self.take()
                index = self.group("]")
                return ("root", index, self.argument())
            return ("fn", "sqrt", self.argument())
        if name in ("lfloor", "lceil"):
            node = self.group("\\rfloor" if name == "lfloor" else "\\rceil")
            return ("fn", name[1:], node)
        if name in FUNCTIONS:
            return self.function(name)
        raise ParseError(f"unknown command \\{name}")

    def function(self, name: str) -> Node:
        base = None
        if name == "log" and self.peek_text() == "_":
            self.take()
            base = self.argument()
        power = None
        if self.peek_text() == "^":
            self.take()
            power = self.exponent()
        if power == ("neg", ("num", Fraction(1))) and name in _INVERSE_TRIG:
            name, power = _INVERSE_TRIG[name], None  # `\\sin^{-1} x` is arcsin, not 1/sin
        arg = self.function_argument()
        node = ("log", base, arg) if name == "log" else ("fn", name, arg)
        return ("pow", node, power) if power is not None else node

    def function_argument(self) -> Node:
        """`\\sin(x)`, `\\sin{x}`, or juxtaposed factors up to the next function: `\\sin 2x \\cos x`."""
        if self.peek_text() in ("(", "{"):
            return self.atom()
        node = self.power()
        while self.starts_atom() and self.peek_text()[1:] not in FUNCTIONS:
            node = ("mul", node, self.power())
        return node

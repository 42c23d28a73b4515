"""The SymPy path: only for answers the exact and numeric paths could not settle.

SymPy is imported on first use (importing it costs ~0.3 s), and an expression reaches it only after
`safe_for_sympy` has checked the structural limits that keep SymPy's automatic evaluation cheap: SymPy
evaluates `10**(10**(10**10))` eagerly, so such a tower must never be built.
"""

from __future__ import annotations

import random
from typing import Any

from rest_em_math.evaluate import MAX_FACTORIAL, MAX_RESULT_DIGITS, NotExact, digits_of, exact, symbols
from rest_em_math.parse import Node

MAX_NODES = 200
MAX_EXPONENT = 1000
MAX_SIMPLIFY_OPS = 80
MAX_EXPONENTIAL_DEPTH = 2
POINTS = 3
_PRECISION = 50
_RELATIVE = 1e-40

_sympy: Any = None


def _sp() -> Any:
    global _sympy
    if _sympy is None:
        import sympy

        _sympy = sympy
    return _sympy


def safe_for_sympy(node: Node) -> bool:
    """Whether building and simplifying this expression in SymPy is bounded (no huge powers/factorials)."""
    return _count(node) <= MAX_NODES and _bounded(node) and _exponential_depth(node) <= MAX_EXPONENTIAL_DEPTH


def _exponential_depth(node: Node) -> int:
    """How deeply exponentials with non-constant exponents nest: `e^{e^{e^x}}` is 3 (SymPy stalls on towers)."""
    inner = max((_exponential_depth(c) for c in node[1:] if isinstance(c, tuple)), default=0)
    grows = node[0] == "fn" and node[1] == "exp" or node[0] == "pow" and _exact_size(node[2]) is None
    return inner + 1 if grows else inner


def _count(node: Node) -> int:
    return 1 + sum(_count(child) for child in node[1:] if isinstance(child, tuple))


def _bounded(node: Node) -> bool:
    kind = node[0]
    if kind == "pow":
        exponent = _exact_size(node[2], digits=False)
        base = _exact_size(node[1])
        if exponent is not None and abs(exponent) > MAX_EXPONENT:
            return False
        if exponent is not None and base is not None and abs(exponent) * base > MAX_RESULT_DIGITS:
            return False
    if kind == "fn" and node[1] == "fact" or kind == "binom":
        argument = _exact_size(node[2] if kind == "fn" else node[1], digits=False)
        if argument is None or abs(argument) > MAX_FACTORIAL:
            return False
    return all(_bounded(child) for child in node[1:] if isinstance(child, tuple))


def _exact_size(node: Node, digits: bool = True) -> float | None:
    """Digits of an exact rational subexpression (or its value when `digits` is false); None if symbolic."""
    try:
        real, imag = exact(node)
    except (NotExact, ArithmeticError, ValueError):
        return None
    if not digits:
        return float(real) if imag == 0 else None
    return float(max(digits_of(real), digits_of(imag)))


def to_sympy(node: Node) -> Any:
    """Build the SymPy expression of a (checked) AST."""
    sp = _sp()
    kind = node[0]
    if kind == "num":
        return sp.Rational(node[1].numerator, node[1].denominator)
    if kind == "based":
        return sp.Integer(int(node[1], node[2]))
    if kind == "sym":
        return sp.Symbol(node[1])
    if kind == "const":
        return {"pi": sp.pi, "e": sp.E, "i": sp.I, "inf": sp.oo}[node[1]]
    if kind == "add":
        return to_sympy(node[1]) + to_sympy(node[2])
    if kind == "neg":
        return -to_sympy(node[1])
    if kind == "mul":
        return to_sympy(node[1]) * to_sympy(node[2])
    if kind == "div":
        return to_sympy(node[1]) / to_sympy(node[2])
    if kind == "pow":
        return to_sympy(node[1]) ** to_sympy(node[2])
    if kind == "root":
        return sp.root(to_sympy(node[2]), to_sympy(node[1]))
    if kind == "log":
        return sp.log(to_sympy(node[2]), to_sympy(node[1]) if node[1] is not None else 10)
    if kind == "binom":
        return sp.binomial(to_sympy(node[1]), to_sympy(node[2]))
    if kind == "fn":
        return _function(node[1])(to_sympy(node[2]))
    raise ValueError(f"cannot convert {kind}")


def _function(name: str) -> Any:
    sp = _sp()
    return {"sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec, "csc": sp.csc,
            "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh,
            "tanh": sp.tanh, "ln": sp.log, "exp": sp.exp, "sqrt": sp.sqrt, "abs": sp.Abs,
            "floor": sp.floor, "ceil": sp.ceiling, "fact": sp.factorial}[name]


def symbolic_equal(a: Node, b: Node) -> bool:
    """Equal if `simplify(a - b)` is 0, else if a and b agree to 40 significant digits at seeded points."""
    sp = _sp()
    try:
        left, right = to_sympy(a), to_sympy(b)
        difference = left - right
        if difference == 0:
            return True
        if sp.count_ops(difference) <= MAX_SIMPLIFY_OPS and sp.simplify(difference) == 0:
            return True
        names = sorted(symbols(a) | symbols(b))
        rng = random.Random("rest-em-math:" + ",".join(names))
        for _ in range(POINTS):
            point = {sp.Symbol(name): sp.Rational(rng.randint(200, 1800), 1000) for name in names}
            values = [sp.N(expr.subs(point), _PRECISION) for expr in (left, right, difference)]
            if not all(v.is_number and not v.has(sp.nan, sp.zoo, sp.oo, -sp.oo) for v in values):
                return False
            x, y, gap = (abs(complex(v)) for v in values)
            if gap > _RELATIVE * max(x, y):
                return False
        return True
    except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError):
        return False

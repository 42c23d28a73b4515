"""Evaluate a parsed answer without SymPy: exactly (Gaussian rationals) or numerically (complex floats).

These are the cheap paths of the equivalence check. Exact evaluation refuses, rather than computes,
anything whose result would be huge (`10^{10^{10}}`, `1000!`), so no input can stall it; numeric
evaluation lets floats overflow into an exception instead.
"""

from __future__ import annotations

import cmath
import math
from fractions import Fraction
from typing import Callable, Mapping

from rest_em_math.parse import Node

MAX_RESULT_DIGITS = 2000
MAX_FACTORIAL = 500

Exact = tuple[Fraction, Fraction]  # real and imaginary parts


class NotExact(ArithmeticError):
    """The value is not a (Gaussian) rational, or computing it exactly would be too expensive."""


def based_value(digits: str, base: int) -> int:
    return int(digits, base)


def exact(node: Node) -> Exact:
    """The exact value of an expression built from numbers, i, + - * / and integer powers."""
    kind = node[0]
    if kind == "num":
        return node[1], Fraction(0)
    if kind == "based":
        return Fraction(based_value(node[1], node[2])), Fraction(0)
    if kind == "const" and node[1] == "i":
        return Fraction(0), Fraction(1)
    if kind == "add":
        (a, b), (c, d) = exact(node[1]), exact(node[2])
        return a + c, b + d
    if kind == "neg":
        a, b = exact(node[1])
        return -a, -b
    if kind == "mul":
        return _mul(exact(node[1]), exact(node[2]))
    if kind == "div":
        return _div(exact(node[1]), exact(node[2]))
    if kind == "pow":
        return _pow(exact(node[1]), exact(node[2]))
    if kind == "fn":
        return _exact_function(node[1], exact(node[2]))
    if kind == "binom":
        n, k = _integer(exact(node[1])), _integer(exact(node[2]))
        if not 0 <= n <= MAX_FACTORIAL:
            raise NotExact("binomial too large")
        return Fraction(math.comb(n, k) if 0 <= k else 0), Fraction(0)
    raise NotExact(kind)


def _mul(x: Exact, y: Exact) -> Exact:
    (a, b), (c, d) = x, y
    return a * c - b * d, a * d + b * c


def _div(x: Exact, y: Exact) -> Exact:
    (a, b), (c, d) = x, y
    norm = c * c + d * d
    if norm == 0:
        raise NotExact("division by zero")
    return (a * c + b * d) / norm, (b * c - a * d) / norm


def _pow(base: Exact, exponent: Exact) -> Exact:
    if exponent[1] != 0 or exponent[0].denominator != 1:
        return _rational_power(base, exponent)
    n = int(exponent[0])
    if base == (0, 0):
        if n < 0:
            raise NotExact("division by zero")
        return (Fraction(1 if n == 0 else 0), Fraction(0))
    size = max(digits_of(base[0]), digits_of(base[1]), 1)
    if abs(n) > MAX_RESULT_DIGITS or abs(n) * size > MAX_RESULT_DIGITS:
        raise NotExact("power too large to compute exactly")
    if base[1] == 0:
        return base[0] ** n, Fraction(0)
    result: Exact = (Fraction(1), Fraction(0))
    factor = base if n >= 0 else _div((Fraction(1), Fraction(0)), base)
    n = abs(n)
    while n:  # square and multiply
        if n & 1:
            result = _mul(result, factor)
        factor = _mul(factor, factor)
        n >>= 1
    return result


def _rational_power(base: Exact, exponent: Exact) -> Exact:
    """`4^{1/2}` or `8^{2/3}` are exact when the root is; anything else is left to the numeric path."""
    if exponent[1] != 0 or base[1] != 0 or base[0] < 0:
        raise NotExact("non-integer power")
    root = _exact_root(base[0], exponent[0].denominator)
    return _pow((root, Fraction(0)), (Fraction(exponent[0].numerator), Fraction(0)))


def _exact_root(value: Fraction, n: int) -> Fraction:
    if n > 64 or digits_of(value) > MAX_RESULT_DIGITS:
        raise NotExact("root too large")
    num, den = _int_root(value.numerator, n), _int_root(value.denominator, n)
    return Fraction(num, den)


def _int_root(value: int, n: int) -> int:
    if n == 2:
        root = math.isqrt(value)
    elif value < 2 ** 1000:
        root = round(value ** (1.0 / n))
    else:
        raise NotExact("root too large")
    for candidate in (root - 1, root, root + 1):
        if candidate >= 0 and candidate ** n == value:
            return candidate
    raise NotExact("irrational root")


def _exact_function(name: str, arg: Exact) -> Exact:
    if name == "sqrt":
        if arg[1] != 0:
            raise NotExact("complex square root")
        if arg[0] < 0:
            return Fraction(0), _exact_root(-arg[0], 2)
        return _exact_root(arg[0], 2), Fraction(0)
    if name == "fact":
        n = _integer(arg)
        if not 0 <= n <= MAX_FACTORIAL:
            raise NotExact("factorial out of range")
        return Fraction(math.factorial(n)), Fraction(0)
    if name == "abs":
        if arg[1] != 0:
            raise NotExact("complex modulus")
        return abs(arg[0]), Fraction(0)
    if name in ("floor", "ceil") and arg[1] == 0:
        value = math.floor(arg[0]) if name == "floor" else math.ceil(arg[0])
        return Fraction(value), Fraction(0)
    raise NotExact(name)


def _integer(value: Exact) -> int:
    if value[1] != 0 or value[0].denominator != 1:
        raise NotExact("not an integer")
    return int(value[0])


def digits_of(value: Fraction) -> int:
    """Decimal digits of the larger of numerator and denominator, from the bit length (no str())."""
    return max(value.numerator.bit_length(), value.denominator.bit_length()) * 30103 // 100000 + 1


_FUNCTIONS: Mapping[str, Callable[[complex], complex]] = {
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan, "cot": lambda z: 1 / cmath.tan(z),
    "sec": lambda z: 1 / cmath.cos(z), "csc": lambda z: 1 / cmath.sin(z), "arcsin": cmath.asin,
    "arccos": cmath.acos, "arctan": cmath.atan, "sinh": cmath.sinh, "cosh": cmath.cosh, "tanh": cmath.tanh,
    "ln": cmath.log, "exp": cmath.exp, "sqrt": cmath.sqrt, "abs": lambda z: complex(abs(z)),
    "floor": lambda z: complex(math.floor(_real(z))), "ceil": lambda z: complex(math.ceil(_real(z))),
    "fact": lambda z: complex(math.gamma(_real(z) + 1)),
}


def numeric(node: Node, env: Mapping[str, complex]) -> complex:
    """The value at a point (`env` maps symbol names to numbers). Raises ArithmeticError/ValueError."""
    kind = node[0]
    if kind == "num":
        return complex(float(node[1]))
    if kind == "based":
        return complex(based_value(node[1], node[2]))
    if kind == "sym":
        return env[node[1]]
    if kind == "const":
        return {"pi": complex(math.pi), "e": complex(math.e), "i": 1j, "inf": complex(math.inf)}[node[1]]
    if kind == "add":
        return numeric(node[1], env) + numeric(node[2], env)
    if kind == "neg":
        return -numeric(node[1], env)
    if kind == "mul":
        return numeric(node[1], env) * numeric(node[2], env)
    if kind == "div":
        return numeric(node[1], env) / numeric(node[2], env)
    if kind == "pow":
        base = numeric(node[1], env)
        odd_root = _odd_root_exponent(node[2], base)
        if odd_root is not None:  # `x^{1/3}` of a negative x is the real cube root, as `\\sqrt[3]{x}` is
            return complex(math.copysign(abs(base.real) ** float(odd_root), -1.0 if odd_root.numerator % 2 else 1.0))
        return _numeric_pow(base, numeric(node[2], env))
    if kind == "fn":
        return _FUNCTIONS[node[1]](numeric(node[2], env))
    if kind == "root":
        index, value = numeric(node[1], env), numeric(node[2], env)
        if index.imag == 0 and value.imag == 0 and value.real < 0 and index.real % 2 == 1:
            return -complex((-value.real) ** (1 / index.real))
        return _numeric_pow(value, 1 / index)
    if kind == "log":
        value = cmath.log(numeric(node[2], env))
        return value / cmath.log(numeric(node[1], env)) if node[1] is not None else value / math.log(10)
    if kind == "binom":
        n, k = _real(numeric(node[1], env)), _real(numeric(node[2], env))
        return complex(math.gamma(n + 1) / (math.gamma(k + 1) * math.gamma(n - k + 1)))
    raise ValueError(f"cannot evaluate {kind}")


def _odd_root_exponent(exponent: Node, base: complex) -> Fraction | None:
    """The exponent, when the base is a negative real and the exponent a rational with an odd denominator > 1."""
    if base.imag != 0 or base.real >= 0 or not _is_small_rational(exponent):
        return None
    try:
        real, imag = exact(exponent)
    except (NotExact, ArithmeticError, ValueError):
        return None
    if imag != 0 or real.denominator % 2 == 0 or real.denominator == 1:
        return None
    return real


def _is_small_rational(node: Node) -> bool:
    return node[0] in ("num", "div", "neg") and all(
        not isinstance(child, tuple) or child[0] in ("num", "div", "neg") for child in node[1:])


def _numeric_pow(base: complex, exponent: complex) -> complex:
    if exponent.imag == 0 and exponent.real == int(exponent.real) and abs(exponent.real) < 1e6:
        if base == 0 and exponent.real < 0:
            raise ZeroDivisionError("0 to a negative power")
        if base.imag == 0:
            return complex(base.real ** int(exponent.real))
    if abs(exponent) > 1e6:
        raise OverflowError("exponent too large")
    return base ** exponent


def _real(z: complex) -> float:
    if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)):
        raise ValueError("expected a real number")
    return z.real


def symbols(node: Node, found: set[str] | None = None) -> set[str]:
    """Names of the free symbols in an expression."""
    found = set() if found is None else found
    if node[0] == "sym":
        found.add(node[1])
    else:
        for child in node[1:]:
            if isinstance(child, tuple):
                symbols(child, found)
    return found


def contains(node: Node, kind: str) -> bool:
    if node[0] == kind:
        return True
    return any(isinstance(child, tuple) and contains(child, kind) for child in node[1:])

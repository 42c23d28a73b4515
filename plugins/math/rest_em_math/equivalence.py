"""Decide whether two answers are the same mathematical object, cheapest test first.

Order: (1) normalised strings equal; (2) shape rules (sets order-free, tuples/intervals ordered with
brackets, matrices cell by cell, relations up to a constant factor); for scalars (3) exact Gaussian
rational arithmetic, (4) complex floating-point evaluation at seeded points (a clear difference is
decisive, tight agreement of moderate values is accepted), (5) SymPy `simplify`, then agreement to 40
significant digits at seeded points, only for what (3)-(4) left undecided and only within `safe_for_sympy` limits.
"""

from __future__ import annotations

import cmath
import functools
import math
import random
import re
from fractions import Fraction

from rest_em_math.answer import (Answer, Choice, Collection, Labelled, Matrix, Relation, Scalar, Sequence, Union,
                                 Unparsed, Word, as_abs_set, as_complement, as_interval, equation_sides,
                                 read_answer)
from rest_em_math.evaluate import Exact, NotExact, exact, numeric, symbols
from rest_em_math.normalise import compact, normalise
from rest_em_math.parse import Node
from rest_em_math.symbolic import safe_for_sympy, symbolic_equal

POINTS = 3  # one per range in _RANGES
AGREE = 1e-12
DIFFER = 1e-6
ABSOLUTE_DIFFER = 1e-9
MAX_AGREE_MAGNITUDE = 1e9
LONG_DECIMAL_DIGITS = 12
MAX_DECIMAL_PLACES = 40
_NUMERIC_ERRORS = (ArithmeticError, ValueError, KeyError, TypeError)

Result = tuple[bool, str]
# `f(2) = 3`, `P(A) = 1/2`, `f^{-1}(x) = (x-1)/2`: a named value, whose answer is the other side (when
# that side uses no variable beyond the name's arguments).
_NAMED_VALUE = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?(?:\^\{?-?\d\}?)?\s*\([^()]*\)$")
_PERCENT = re.compile(r"\\?%")
_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$", re.ASCII)
_POINT_DECIMAL = re.compile(r"^-?\d*\.\d+$", re.ASCII)


def equivalent(reference: str, candidate: str) -> Result:
    """(equal?, name of the rule that decided). `reference` and `candidate` are raw LaTeX answers."""
    ref_text, cand_text = normalise(reference), normalise(candidate)
    if compact(ref_text) == compact(cand_text):
        return True, "string"
    ref_answer, cand_answer = read_answer(ref_text, reference), read_answer(cand_text, candidate)
    result = same(ref_answer, cand_answer)
    if not result[0]:
        value = _equation_value(ref_text, cand_text)
        if value is not None and equivalent(reference, value)[0]:
            return True, "equation value"
    if not result[0] and _decimal_comma(ref_text, cand_text):
        return True, "decimal comma"
    marked = (bool(_PERCENT.search(reference)), bool(_PERCENT.search(candidate)))
    if not result[0] and marked[0] != marked[1] and isinstance(ref_answer, Scalar) and isinstance(cand_answer, Scalar):
        percent, plain = (ref_answer, cand_answer) if marked[0] else (cand_answer, ref_answer)
        if scalar_equal(("div", percent.node, ("num", Fraction(100))), plain.node)[0]:
            return True, "percent"
    return result


def _equation_value(reference: str, candidate: str) -> str | None:
    """The value a candidate equation states (`\\gcd(12, 15) = 3`, `(x+1)^2 = x^2 + 2x + 1`), for a reference
    that is a value or an expression, never an equation: the reference's form says the answer is one side,
    the last. Sides that both read as expressions must agree (`3x = 15` states x, not 15); a side this
    grader cannot read (`\\gcd(12, 15)`) is the computation named."""
    sides = equation_sides(candidate)
    if len(sides) < 2 or len(equation_sides(reference)) > 1 or isinstance(read_answer(reference), Relation):
        return None
    first, last = read_answer(sides[0]), read_answer(sides[-1])
    if isinstance(first, Scalar) and isinstance(last, Scalar) and not scalar_equal(first.node, last.node)[0]:
        return None
    return sides[-1]


def _decimal_comma(reference: str, candidate: str) -> bool:
    """A candidate `1000,99` against the reference `1000.99`: a lone `digits,digits` that normalisation
    did not join as thousands (`1,000` was) is read as a decimal comma, but only on the candidate's side
    and only against a reference decimal written with a point and the same value. A reference written
    `1,2` is a list of two answers, and `1.2` never matches it."""
    if _COMMA_DECIMAL.match(candidate) and _POINT_DECIMAL.match(reference):
        return Fraction(candidate.replace(",", ".")) == Fraction(reference)
    return False


def same(a: Answer, b: Answer) -> Result:
    """Equality of two parsed answers under the shape rules."""
    unparsed = a if isinstance(a, Unparsed) else b if isinstance(b, Unparsed) else None
    if unparsed is not None:
        return bool(_text(a)) and _text(a) == _text(b), f"string ({unparsed.reason})"
    if isinstance(a, Labelled) and isinstance(b, Labelled):
        return a.label == b.label and same(a.value, b.value)[0], "labelled"
    if isinstance(a, Labelled) or isinstance(b, Labelled):
        labelled, other = (a, b) if isinstance(a, Labelled) else (b, a)
        assert isinstance(labelled, Labelled)
        return same(labelled.value, other)[0], "labelled"
    if isinstance(a, Relation) or isinstance(b, Relation):
        return _relation_vs(a, b)
    a, b = _as_union(a), _as_union(b)
    ordered = _assignments_vs_tuple(a, b)
    if ordered is not None:
        return ordered, "assignment"
    if isinstance(a, Collection) and isinstance(b, Collection):
        if all(isinstance(item, Sequence) for item in a.items + b.items):  # solutions of a system, not roots
            return _matching(_distinct(a.items), _distinct(b.items)), "set"
        return _matching(a.items, b.items), "set"
    if isinstance(a, Collection) and len(a.items) == 1:
        return same(a.items[0], b)
    if isinstance(b, Collection) and len(b.items) == 1:
        return same(a, b.items[0])
    if isinstance(a, Union) and isinstance(b, Union):
        return _matching(a.parts, b.parts), "union"
    if isinstance(a, Sequence) and isinstance(b, Sequence):
        ok = (a.left, a.right) == (b.left, b.right) and _pairwise(a.items, b.items)
        return ok, "tuple"
    if isinstance(a, Matrix) or isinstance(b, Matrix):
        return _matrix_vs(a, b), "matrix"
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        return scalar_equal(a.node, b.node)
    if isinstance(a, Word) and isinstance(b, Word) or isinstance(a, Choice) and isinstance(b, Choice):
        return a == b, "word"
    textual = (Scalar, Word, Choice, Unparsed)
    return isinstance(a, textual) and isinstance(b, textual) and _text(a) == _text(b), "shape"


def _text(answer: Answer) -> str:
    """The spelling compared when shapes differ: a choice letter `B` then matches a scalar `b`."""
    if isinstance(answer, Choice):
        return answer.letter.lower()
    if isinstance(answer, (Scalar, Word, Unparsed)):
        return compact(answer.text)
    return ""


def _pairwise(xs: tuple[Answer, ...], ys: tuple[Answer, ...]) -> bool:
    return len(xs) == len(ys) and all(same(x, y)[0] for x, y in zip(xs, ys))


def _distinct(items: tuple[Answer, ...]) -> tuple[Answer, ...]:
    """A list of tuples names a set of solutions: one written twice is still one (a repeated root of a
    polynomial, a scalar, keeps its multiplicity)."""
    kept: list[Answer] = []
    for item in items:
        if not any(same(item, seen)[0] for seen in kept):
            kept.append(item)
    return tuple(kept)


def _matching(xs: tuple[Answer, ...], ys: tuple[Answer, ...]) -> bool:
    """Multiset equality under `same`: every element of one matched by a distinct element of the other."""
    if len(xs) != len(ys):
        return False
    unused = list(ys)
    for x in xs:
        for i, y in enumerate(unused):
            if same(x, y)[0]:
                del unused[i]
                break
        else:
            return False
    return True


def _matrix_vs(a: Answer, b: Answer) -> bool:
    """Matrices cell by cell; a column or row vector also equals a round-bracket tuple of its entries."""
    if isinstance(a, Matrix) and isinstance(b, Matrix):
        return len(a.rows) == len(b.rows) and all(_pairwise(x, y) for x, y in zip(a.rows, b.rows))
    matrix, other = (a, b) if isinstance(a, Matrix) else (b, a)
    if not isinstance(other, Sequence) or (other.left, other.right) != ("(", ")"):
        return False
    assert isinstance(matrix, Matrix)
    flat = tuple(cell for row in matrix.rows for cell in row)
    is_vector = len(matrix.rows) == 1 or all(len(row) == 1 for row in matrix.rows)
    return is_vector and _pairwise(flat, other.items)


def _relation_vs(a: Answer, b: Answer) -> Result:
    if isinstance(a, Relation) and isinstance(b, Relation):
        return _relations_equal(a, b)
    relation, other = (a, b) if isinstance(a, Relation) else (b, a)
    assert isinstance(relation, Relation)
    described = as_set(relation)
    if described is not None:
        return same(described, other)[0], "inequality"
    if relation.ops == ("=",):
        for lone, value in (relation.sides, reversed(relation.sides)):
            if lone.node[0] == "sym" and lone.node[1] not in symbols(value.node):
                return same(value, other)[0], "assignment"
        for named, value in (relation.sides, reversed(relation.sides)):
            if _NAMED_VALUE.match(named.text) and symbols(value.node) <= symbols(named.node):
                return same(value, other)[0], "assignment"
    return False, "shape"


def as_set(relation: Relation) -> Answer | None:
    """The set of values a one-variable relation allows (`x > 2`, `x \\ne 2`, `|x| \\le 3`), or None."""
    return as_interval(relation) or as_complement(relation) or as_abs_set(relation)


def _as_union(answer: Answer) -> Answer:
    """`x < -2 \\text{ or } x > 3` lists one-variable inequalities: the union of their intervals."""
    if not isinstance(answer, Collection) or len(answer.items) < 2:
        return answer
    intervals = [as_interval(item) if isinstance(item, Relation) else None for item in answer.items]
    if any(interval is None for interval in intervals):
        return answer
    return Union(tuple(interval for interval in intervals if interval is not None))


def _assignments_vs_tuple(a: Answer, b: Answer) -> bool | None:
    """`a = 2, b = 3` answers the tuple `(2, 3)`: the values in the order written (None: rule not applicable)."""
    listed, other = (a, b) if isinstance(a, Collection) else (b, a)
    if not isinstance(listed, Collection) or not isinstance(other, Sequence) or other.left != "(":
        return None
    values: list[Answer] = []
    names = set()
    for item in listed.items:
        if isinstance(item, Labelled):
            names.add(item.label)
            values.append(item.value)
        elif isinstance(item, Relation) and item.ops == ("=",) and item.sides[0].node[0] == "sym":
            names.add(item.sides[0].node[1])
            values.append(item.sides[1])
        else:
            return None
    if len(names) != len(values):
        return None
    return _pairwise(tuple(values), other.items)


def _relations_equal(a: Relation, b: Relation) -> Result:
    """Intervals if both are one-variable inequalities; else same operators and `lhs - rhs` proportional."""
    left, right = as_set(a), as_set(b)
    if left is not None and right is not None:
        return same(left, right)[0], "inequality"
    if a.ops != b.ops:
        return False, "relation"
    if len(a.ops) == 1:
        f = ("add", a.sides[0].node, ("neg", a.sides[1].node))
        g = ("add", b.sides[0].node, ("neg", b.sides[1].node))
        proportional = _proportional(f, g, positive=a.ops[0] != "=" and a.ops[0] != "\\ne")
        if proportional is not None:
            return proportional, "relation"
    return _pairwise(a.sides, b.sides), "relation"


def _proportional(f: Node, g: Node, positive: bool) -> bool | None:
    """Whether f = c*g for one constant c (c > 0 for inequalities); None when numerics cannot tell."""
    names = sorted(symbols(f) | symbols(g))
    if not names:
        return None
    ratio = None
    for k in range(POINTS):
        env = _point(tuple(names), k)
        try:
            fv, gv = numeric(f, env), numeric(g, env)
        except _NUMERIC_ERRORS:
            return None
        if abs(gv) < AGREE:
            if abs(fv) < AGREE:
                continue
            return False
        r = fv / gv
        if not cmath.isfinite(r) or abs(r) < AGREE:
            return False
        if ratio is None:
            ratio = r
        elif abs(r - ratio) > 1e-9 * abs(ratio):
            return False
    if ratio is None:
        return None
    return not positive or (ratio.real > 0 and abs(ratio.imag) < 1e-9 * abs(ratio))


def scalar_equal(a: Node, b: Node) -> Result:
    """Exact, then numeric, then SymPy comparison of two scalar expressions."""
    based = _based_rule(a, b)
    if based is not None:
        return based, "base"
    try:
        x, y = exact(a), exact(b)
        if x == y:
            return True, "rational"
        return _long_decimal(x, y) or _long_decimal(y, x), "rational"
    except (NotExact, ArithmeticError, ValueError):
        pass
    try:
        verdict = _numeric_equal(a, b)
    except ZeroDivisionError:
        return False, "undefined (division by zero)"
    except OverflowError:
        if not (symbols(a) or symbols(b)):
            return False, "refused (too large to evaluate)"
        verdict = None
    except _NUMERIC_ERRORS:
        verdict = None
    if verdict is not None:
        return verdict, "numeric"
    if not (safe_for_sympy(a) and safe_for_sympy(b)):
        return False, "refused (too large to evaluate)"
    return symbolic_equal(a, b), "sympy"


def _long_decimal(decimal: Exact, value: Exact) -> bool:
    """`0.0833333333333333` answers `\\frac{1}{12}`: a decimal of at least 12 significant digits that is the
    rational rounded or cut to its own last digit (the same tolerance irrational references get)."""
    if decimal[1] != 0 or value[1] != 0:
        return False
    d, r = decimal[0], value[0]
    for places in range(MAX_DECIMAL_PLACES + 1):
        scaled = d * 10 ** places
        if scaled.denominator == 1:
            break
    else:
        return False
    digits = len(str(abs(scaled.numerator)).rstrip("0"))
    target = r * 10 ** places
    if digits < LONG_DECIMAL_DIGITS or target.denominator == 1:
        return False
    return scaled.numerator in (math.floor(target), math.ceil(target))


def _based_rule(a: Node, b: Node) -> bool | None:
    """`1010_2` equals `12_8` (same value) and `1010` (the digits without the subscript), not `10`."""
    if a[0] != "based" and b[0] != "based":
        return None
    if a[0] == "based" and b[0] == "based":
        return int(a[1], a[2]) == int(b[1], b[2])
    based, other = (a, b) if a[0] == "based" else (b, a)
    return other[0] == "num" and other[1].denominator == 1 and str(other[1]) == based[1]


def _numeric_equal(a: Node, b: Node) -> bool | None:
    names = tuple(sorted(symbols(a) | symbols(b)))
    agreed = 0
    for k in range(POINTS if names else 1):
        env = _point(names, k)
        x, y = numeric(a, env), numeric(b, env)
        if cmath.isnan(x) or cmath.isnan(y):
            return None
        if cmath.isinf(x) or cmath.isinf(y):
            if _infinite_direction(x) != _infinite_direction(y):
                return False
            agreed += 1
            continue
        magnitude = max(abs(x), abs(y))
        gap = abs(x - y)
        if gap > DIFFER * magnitude and gap > ABSOLUTE_DIFFER:
            return False
        if gap <= AGREE * magnitude and magnitude <= MAX_AGREE_MAGNITUDE:
            agreed += 1
    return True if agreed == (POINTS if names else 1) else None


def _infinite_direction(z: complex) -> tuple[float, float]:
    return (math.copysign(1.0, z.real) if math.isinf(z.real) else 0.0,
            math.copysign(1.0, z.imag) if math.isinf(z.imag) else 0.0)


# Sample ranges for the k-th point: below 1, above 1 and negative, so that powers, |x| and sqrt(x^2)
# cannot agree by accident.
_RANGES = ((0.35, 0.95), (1.1, 1.6), (-1.6, -0.4))


@functools.lru_cache(maxsize=1024)
def _point(names: tuple[str, ...], k: int) -> dict[str, complex]:
    """Seeded, process-independent sample values for the symbols (string seeds do not depend on hashing)."""
    low, high = _RANGES[k]
    return {name: complex(random.Random(f"rest-em-math:{name}:{k}").uniform(low, high)) for name in names}

"""Sums and products of explicit matrices (`\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix} + \\begin{pmatrix}…`),
evaluated exactly, so an answer written as an unevaluated matrix expression is compared by its value.

Only numbers are evaluated (Gaussian rationals, as `evaluate.exact`); anything symbolic, a shape mismatch or
an operator other than `+`, `-`, `\\cdot`, `\\times` or juxtaposition leaves the text unevaluated (None).
"""

from __future__ import annotations

import re
from fractions import Fraction

from rest_em_math.evaluate import Exact, NotExact, exact
from rest_em_math.parse import ParseError, parse_expression

MAX_MATRICES = 8
MAX_SIDE = 8

Grid = list[list[Exact]]

_ENVIRONMENT = re.compile(r"\\begin\{((?:[pbB]|small)?matrix|array)\}(?:\{[^{}]*\})?(.*?)\\end\{\1\}", re.DOTALL)
_PRODUCT = ("", "\\cdot", "\\times")


def evaluate_matrices(text: str) -> Grid | None:
    """The value of a sum/difference of products of two or more explicit numeric matrices, else None."""
    found = list(_ENVIRONMENT.finditer(text))
    if not 2 <= len(found) <= MAX_MATRICES or text[:found[0].start()].strip() or text[found[-1].end():].strip():
        return None
    try:
        grids = [_grid(match.group(2)) for match in found]
    except (ParseError, NotExact, ArithmeticError, ValueError):
        return None
    operators = [text[a.end():b.start()].strip() for a, b in zip(found, found[1:])]
    terms: list[tuple[int, Grid]] = []
    sign, product = 1, grids[0]
    for operator, grid in zip(operators, grids[1:]):
        if operator in _PRODUCT:
            product = _multiply(product, grid)
        elif operator in ("+", "-"):
            terms.append((sign, product))
            sign, product = (1 if operator == "+" else -1), grid
        else:
            return None
        if product is None:
            return None
    terms.append((sign, product))
    return _sum(terms)


def _grid(body: str) -> Grid:
    rows = [row for row in body.split("\\\\") if row.strip()]
    grid = [[exact(parse_expression(cell)) for cell in row.split("&")] for row in rows]
    if not grid or len(grid) > MAX_SIDE or len({len(row) for row in grid}) != 1 or len(grid[0]) > MAX_SIDE:
        raise ValueError("not a rectangular matrix")
    return grid


def _multiply(a: Grid, b: Grid) -> Grid | None:
    if len(a[0]) != len(b):
        return None
    return [[_dot(row, [b[k][j] for k in range(len(b))]) for j in range(len(b[0]))] for row in a]


def _dot(xs: list[Exact], ys: list[Exact]) -> Exact:
    real, imag = Fraction(0), Fraction(0)
    for (a, b), (c, d) in zip(xs, ys):
        real += a * c - b * d
        imag += a * d + b * c
    return real, imag


def _sum(terms: list[tuple[int, Grid]]) -> Grid | None:
    shape = (len(terms[0][1]), len(terms[0][1][0]))
    if any((len(grid), len(grid[0])) != shape for _sign, grid in terms):
        return None
    return [[(sum((sign * grid[i][j][0] for sign, grid in terms), Fraction(0)),
              sum((sign * grid[i][j][1] for sign, grid in terms), Fraction(0)))
             for j in range(shape[1])] for i in range(shape[0])]

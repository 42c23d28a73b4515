"""The comparison policy, applied on the host to plain JSON-decoded data. One place, so it is auditable.

Standard-input programs: the output is split into lines (CRLF accepted), trailing whitespace of each line
and trailing empty lines are ignored; then the number of lines, the number of whitespace-separated tokens
on each line and every token must match, in order and case-sensitively. A token compares exactly unless
the expected token is a decimal number written with `.`, `e` or `E`; then the printed token must be a
number within 1e-6 * max(1, |expected|).

Call-based programs: the return value only (its printed output is ignored). Lists and tuples are the same
(both arrive as JSON arrays); numbers compare exactly when both are integers and within
1e-9 * max(1, |expected|) otherwise; bool is never a number; dict keys and order of lists matter.

There is deliberately no fallback (APPS's set-of-tokens or case-insensitive retries): each one makes some
wrong output pass.
"""

from __future__ import annotations

import math
import re
from typing import Any

STDOUT_TOLERANCE = 1e-6
VALUE_TOLERANCE = 1e-9

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def compare_stdout(actual: str, expected: str) -> str | None:
    """None when `actual` is an accepted output for `expected`, else why not (one short line)."""
    got, want = _lines(actual), _lines(expected)
    if len(got) != len(want):
        return f"expected {len(want)} lines, got {len(got)}"
    for number, (got_line, want_line) in enumerate(zip(got, want), start=1):
        got_tokens, want_tokens = got_line.split(), want_line.split()
        if len(got_tokens) != len(want_tokens):
            return f"line {number}: expected {len(want_tokens)} tokens, got {len(got_tokens)}"
        for position, (token, wanted) in enumerate(zip(got_tokens, want_tokens), start=1):
            if not _token_matches(token, wanted):
                return f"line {number} token {position}: expected {_short(wanted)}, got {_short(token)}"
    return None


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _token_matches(token: str, wanted: str) -> bool:
    if token == wanted:
        return True
    if not any(mark in wanted for mark in ".eE") or not _NUMBER.fullmatch(wanted):
        return False
    if not _NUMBER.fullmatch(token):
        return False
    got, want = float(token), float(wanted)
    return math.isfinite(got) and abs(got - want) <= STDOUT_TOLERANCE * max(1.0, abs(want))


def compare_value(actual: Any, expected: Any) -> str | None:
    """None when the returned JSON value `actual` equals `expected` under the call-based rules."""
    try:
        return _value_mismatch(actual, expected, "")
    except RecursionError:
        return "return value nested too deeply to compare"


def _value_mismatch(actual: Any, expected: Any, where: str) -> str | None:
    at = f" at {where}" if where else ""
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        if type(actual) is type(expected) and actual == expected:
            return None
        return f"expected {_short(expected)}{at}, got {_short(actual)}"
    if _is_number(expected) and _is_number(actual):
        try:
            same = _numbers_equal(actual, expected)
        except OverflowError:  # an integer beyond float range next to a float: not within tolerance
            same = False
        return None if same else f"expected {_short(expected)}{at}, got {_short(actual)}"
    if isinstance(expected, str) and isinstance(actual, str):
        return None if actual == expected else f"expected {_short(expected)}{at}, got {_short(actual)}"
    if isinstance(expected, list) and isinstance(actual, list):
        if len(actual) != len(expected):
            return f"expected a list of {len(expected)}{at}, got {len(actual)} items"
        for index, (got, want) in enumerate(zip(actual, expected)):
            mismatch = _value_mismatch(got, want, f"{where}[{index}]")
            if mismatch:
                return mismatch
        return None
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(actual) != set(expected):
            return f"expected keys {_short(sorted(expected))}{at}, got {_short(sorted(actual))}"
        for key in expected:
            mismatch = _value_mismatch(actual[key], expected[key], f"{where}[{key!r}]")
            if mismatch:
                return mismatch
        return None
    return f"expected {type(expected).__name__} {_short(expected)}{at}, got {type(actual).__name__} {_short(actual)}"


def _numbers_equal(actual: int | float, expected: int | float) -> bool:
    if isinstance(expected, int) and isinstance(actual, int):
        return actual == expected
    if actual == expected:
        return True
    got, want = float(actual), float(expected)
    return abs(got - want) <= VALUE_TOLERANCE * max(1.0, abs(want))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

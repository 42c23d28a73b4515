"""The host-side comparison policy: ordered, case-sensitive, tolerant only where the policy says."""

from __future__ import annotations

import pytest

from rest_em_apps.compare import compare_stdout, compare_value


@pytest.mark.parametrize("actual, expected", [
    ("3\n", "3\n"),
    ("3", "3\n"),
    ("3\r\n", "3\n"),
    ("1 2\r\n3 4\r\n", "1 2\n3 4\n"),
    ("3   \t\n", "3\n"),
    ("3\n\n\n\n", "3\n"),
    ("3\n  \n\t\n", "3"),
    ("1  2   3\n", "1 2 3\n"),
    ("   1 2 3\n", "1 2 3\n"),
    ("0.3333333333\n", "0.333333\n"),
    ("0.333333\n", "0.3333333333\n"),
    ("2.0000015\n", "2.0\n"),
    ("1000000.5\n", "1000000.4999\n"),
    ("2e-08\n", "0.00000002\n"),
    ("0.00000002\n", "2e-08\n"),
    ("2\n", "2.0\n"),
    ("", ""),
    ("\n\n", ""),
])
def test_accepted_outputs(actual, expected):
    assert compare_stdout(actual, expected) is None


@pytest.mark.parametrize("actual, expected", [
    ("YES NO YES\n", "NO YES YES\n"),
    ("yes\n", "YES\n"),
    ("Yes\n", "YES\n"),
    ("4\n", "3\n"),
    ("3 4\n", "3\n"),
    ("3\n4\n", "3 4\n"),
    ("\n3\n", "3\n"),
    ("1\n2\n", "1\n\n2\n"),
    ("1 2 2 3\n", "1 2 3\n"),
    ("3 2 1\n", "1 2 3\n"),
    ("2.0000021\n", "2.0\n"),
    ("2.0\n", "2\n"),
    ("nan\n", "0.5\n"),
    ("inf\n", "1e400\n"),
    ("0x10\n", "16.0\n"),
    ("1,5\n", "1.5\n"),
    ("", "0\n"),
    ("3\r4\n", "3\n4\n"),
])
def test_rejected_outputs(actual, expected):
    assert compare_stdout(actual, expected) is not None


def test_reason_names_the_position():
    assert compare_stdout("NO YES\n", "YES YES\n") == "line 1 token 1: expected 'YES', got 'NO'"
    assert compare_stdout("1\n", "1\n2\n") == "expected 2 lines, got 1"


def test_exponent_marker_alone_does_not_make_a_word_numeric():
    assert compare_stdout("YES\n", "YES\n") is None
    assert compare_stdout("YEs\n", "YES\n") is not None
    assert compare_stdout("E\n", "e\n") is not None


@pytest.mark.parametrize("actual, expected", [
    (3, 3), ([1, 2], [1, 2]), ({"a": [1]}, {"a": [1]}), (None, None), (True, True), ("x", "x"),
    (0.1 + 0.2, 0.3), (2.0, 2), (2, 2.0), (1e20 * (1 + 1e-12), 1e20), ([[1.0, 2]], [[1, 2.0]]),
])
def test_equal_values(actual, expected):
    assert compare_value(actual, expected) is None


@pytest.mark.parametrize("actual, expected", [
    (1, True), (True, 1), (0, False), (False, 0), (None, 0), (0, None), (None, False),
    ("1", 1), ([1, 2], [2, 1]), ([1, 2], [1, 2, 2]), ({"a": 1}, {"a": 1, "b": 2}), ({"a": 1}, {"a": 2}),
    (0.3001, 0.3), (float("nan"), float("nan")), ("ABC", "abc"), ([1], 1), (1, [1]), (10 ** 400, 1.5),
    ({"a": 1}, [["a", 1]]),
])
def test_unequal_values(actual, expected):
    assert compare_value(actual, expected) is not None


def test_value_reason_says_where():
    assert compare_value([1, [2, 3]], [1, [2, 4]]) == "expected 4 at [1][1], got 3"


def test_deeply_nested_values_do_not_crash():
    deep, other = [1], [2]
    for _ in range(5000):
        deep, other = [deep], [other]
    assert compare_value(deep, other) is not None

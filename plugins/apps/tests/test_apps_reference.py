"""Reading tests from the APPS and CodeContests layouts; bad references say what is wrong."""

from __future__ import annotations

import json

import pytest

from rest_em_apps.reference import InvalidReference, parse_reference


def test_apps_json_string():
    suite = parse_reference(json.dumps({"inputs": ["1\n"], "outputs": ["2\n"]}))
    assert suite.inputs == ("1\n",) and suite.outputs == ("2\n",) and not suite.call_based


def test_apps_call_based():
    suite = parse_reference({"fn_name": "f", "inputs": [[1, [2]]], "outputs": [[3]]})
    assert suite.call_based and suite.fn_name == "f" and suite.inputs == ([1, [2]],)


def test_whole_apps_row_and_lists_of_lines():
    row = {"problem_id": 1, "input_output": json.dumps({"inputs": [["1 2", "3"]], "outputs": [["a", "b"]]})}
    suite = parse_reference(row)
    assert suite.inputs == ("1 2\n3",) and suite.outputs == ("a\nb",)


def test_codecontests_row_uses_every_split():
    row = {"public_tests": {"input": ["1\n"], "output": ["1\n"]},
           "private_tests": {"input": ["2\n"], "output": ["4\n"]},
           "generated_tests": None}
    suite = parse_reference(row)
    assert suite.inputs == ("1\n", "2\n") and suite.outputs == ("1\n", "4\n")
    assert parse_reference({"input": ["x"], "output": ["y"]}).inputs == ("x",)


@pytest.mark.parametrize("reference, message", [
    (None, "must be a JSON object"),
    (42, "must be a JSON object"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ({}, "has no tests"),
    ({"inputs": ["1"]}, "'outputs' must be a list"),
    ({"inputs": "1", "outputs": ["1"]}, "'inputs' must be a list"),
    ({"inputs": ["1", "2"], "outputs": ["1"]}, "2 inputs but 1 outputs"),
    ({"inputs": [], "outputs": []}, "no test cases"),
    ({"inputs": [3], "outputs": ["3"]}, "input 1 must be text"),
    ({"inputs": ["3"], "outputs": [3]}, "output 1 must be text"),
    ({"fn_name": "f", "inputs": [1], "outputs": [1]}, "must be a list of arguments"),
    ({"fn_name": "not a name", "inputs": [[1]], "outputs": [1]}, "identifier"),
    ({"fn_name": 7, "inputs": [[1]], "outputs": [1]}, "identifier"),
    ({"input_output": "nope"}, "'input_output' is not valid JSON"),
])
def test_bad_references_name_the_problem(reference, message):
    with pytest.raises(InvalidReference, match=message):
        parse_reference(reference)

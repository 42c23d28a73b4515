"""Read a problem's tests from the layouts APPS and CodeContests use, or say exactly what is wrong."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from rest_verify.errors import InvalidRecordError

_CODECONTESTS_SPLITS = ("public_tests", "private_tests", "generated_tests")


class InvalidReference(InvalidRecordError):
    """The reference does not describe a usable test suite; the message names the problem."""


@dataclass(frozen=True)
class TestSuite:
    """Test inputs and expected outputs. Standard-input tests when `fn_name` is None, else call-based."""

    __test__ = False  # not a pytest test class, whatever its name

    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]
    fn_name: str | None = None

    @property
    def call_based(self) -> bool:
        return self.fn_name is not None


def parse_reference(reference: Any) -> TestSuite:
    """A `TestSuite` from any accepted layout, or `InvalidReference`.

    Accepted: the APPS `input_output` object `{"inputs", "outputs", "fn_name"?}` or its JSON text; a
    whole APPS row holding one under `input_output`; a CodeContests tests object `{"input", "output"}`;
    a CodeContests row, whose public, private and generated tests are all used. Standard-input tests are
    text (a list of lines is joined with newlines, as APPS does); call-based inputs are argument lists.
    """
    data = _decode(reference, "reference")
    if "input_output" in data:
        data = _decode(data["input_output"], "reference's 'input_output'")
    if any(split in data for split in _CODECONTESTS_SPLITS):
        inputs, outputs = [], []
        for split in _CODECONTESTS_SPLITS:
            tests = data.get(split) or {"input": [], "output": []}
            split_inputs, split_outputs = _pair(tests, "input", "output", f"reference's '{split}'")
            inputs += split_inputs
            outputs += split_outputs
        return _suite(inputs, outputs, None)
    if "inputs" in data or "outputs" in data:
        inputs, outputs = _pair(data, "inputs", "outputs", "reference")
        return _suite(inputs, outputs, data.get("fn_name"))
    if "input" in data or "output" in data:
        inputs, outputs = _pair(data, "input", "output", "reference")
        return _suite(inputs, outputs, None)
    raise InvalidReference("reference has no tests: expected 'inputs' and 'outputs' (APPS), 'input' and "
                           f"'output' or 'public_tests' (CodeContests); got keys {sorted(data)[:10]}")


def _decode(value: Any, what: str) -> Mapping[str, Any]:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise InvalidReference(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, Mapping):
        raise InvalidReference(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _pair(data: Mapping[str, Any], in_key: str, out_key: str, what: str) -> tuple[list, list]:
    inputs, outputs = data.get(in_key), data.get(out_key)
    if not isinstance(inputs, list):
        raise InvalidReference(f"{what}'s {in_key!r} must be a list, got {type(inputs).__name__}")
    if not isinstance(outputs, list):
        raise InvalidReference(f"{what}'s {out_key!r} must be a list, got {type(outputs).__name__}")
    if len(inputs) != len(outputs):
        raise InvalidReference(f"{what} has {len(inputs)} {in_key} but {len(outputs)} {out_key}")
    return inputs, outputs


def _suite(inputs: list, outputs: list, fn_name: Any) -> TestSuite:
    if not inputs:
        raise InvalidReference("reference has no test cases")
    if fn_name in (None, ""):
        return TestSuite(tuple(_text(v, f"input {i + 1}") for i, v in enumerate(inputs)),
                         tuple(_text(v, f"output {i + 1}") for i, v in enumerate(outputs)))
    if not isinstance(fn_name, str) or not fn_name.isidentifier():
        raise InvalidReference(f"fn_name must be a Python identifier, got {fn_name!r}")
    for i, args in enumerate(inputs):
        if not isinstance(args, list):
            raise InvalidReference(f"call-based input {i + 1} must be a list of arguments, "
                                   f"got {type(args).__name__}")
    return TestSuite(tuple(inputs), tuple(outputs), fn_name)


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)
    raise InvalidReference(f"standard-input test {what} must be text or a list of lines, "
                           f"got {type(value).__name__}")

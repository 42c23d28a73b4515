"""Read math-verify's public test tables (its repository's `tests/*.py`) without running its test code.

Each `@pytest.mark.parametrize` table whose columns include `gold`, `pred` and a 0/1 label (`expected` or
`result`) becomes rows; the extraction targets and keyword options the test function passes to
math-verify (`match_types=[...]`, `precision=5`, a `strict` or `allow_set_relation_comp` column) are kept,
so the peer can be called exactly as its own tests call it. Values are read with `ast.literal_eval`; a
row that is not a literal (an f-string) is skipped and counted. The tables are never copied into this
repository: the benchmark reads them from a path given on the command line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LABELS = ("expected", "result")
OPTIONS = ("precision", "strict", "allow_set_relation_comp")
DEFAULT_MATCH_TYPES = ("latex", "expr")


@dataclass(frozen=True)
class PeerRow:
    source: str                 # "test_all.py::test_latex_notation"
    gold: str
    pred: str
    label: bool
    match_types: tuple[str, ...] = DEFAULT_MATCH_TYPES
    boxed_first: bool = True    # the tests' `compare_strings` helper sets `boxed_match_priority=0`
    options: dict[str, Any] = field(default_factory=dict)


def load_tables(tests_dir: Path) -> tuple[list[PeerRow], int]:
    """(rows, number of rows skipped because they are not literals) from every `test_*.py` in `tests_dir`."""
    rows: list[PeerRow] = []
    skipped = 0
    for path in sorted(tests_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in (node for node in tree.body if isinstance(node, ast.FunctionDef)):
            match_types, fixed, helper = _call_options(function)
            for decorator in function.decorator_list:
                table = _parametrize(decorator)
                if table is None:
                    continue
                names, values = table
                for value in values:
                    try:
                        row = dict(zip(names, ast.literal_eval(value)))
                    except (ValueError, TypeError, SyntaxError):
                        skipped += 1
                        continue
                    label = next((row[name] for name in LABELS if name in row), None)
                    if not {"gold", "pred"} <= row.keys() or label not in (0, 1, True, False):
                        continue
                    options = dict(fixed, **{name: row[name] for name in OPTIONS if name in row})
                    rows.append(PeerRow(f"{path.name}::{function.name}", str(row["gold"]), str(row["pred"]),
                                        bool(label), match_types, helper, options))
    return rows, skipped


def _parametrize(decorator: ast.expr) -> tuple[list[str], list[ast.expr]] | None:
    """(column names, row nodes) of a `pytest.mark.parametrize("a,b", [...])` decorator."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "parametrize" and len(decorator.args) >= 2):
        return None
    names_node, values_node = decorator.args[:2]
    if not isinstance(names_node, ast.Constant) or not isinstance(values_node, (ast.List, ast.Tuple)):
        return None
    return [name.strip() for name in str(names_node.value).split(",")], list(values_node.elts)


def _call_options(function: ast.FunctionDef) -> tuple[tuple[str, ...], dict[str, Any], bool]:
    """`match_types`, constant keyword options, and whether the test calls the `compare_strings` helper."""
    match_types = DEFAULT_MATCH_TYPES
    fixed: dict[str, Any] = {}
    helper = False
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        helper = helper or getattr(node.func, "id", None) == "compare_strings"
        for keyword in node.keywords:
            if keyword.arg == "match_types":
                match_types = tuple(ast.literal_eval(keyword.value))
            elif keyword.arg in OPTIONS and isinstance(keyword.value, ast.Constant):
                fixed[keyword.arg] = keyword.value.value
    return match_types, fixed, helper


def peer_verdict(row: PeerRow) -> bool:
    """math-verify's verdict for a row, called as its own tests call it (a raised error counts as 0)."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    latex = LatexExtractionConfig(boxed_match_priority=0) if row.boxed_first else LatexExtractionConfig()
    targets = [latex if kind == "latex" else ExprExtractionConfig() for kind in row.match_types]
    options = dict(row.options)
    if "precision" in options:
        options["float_rounding"] = options.pop("precision")
    try:
        return bool(verify(parse(row.gold, targets), parse(row.pred, targets), **options))
    except Exception:  # the peer's own default turns failures into "not equal"
        return False

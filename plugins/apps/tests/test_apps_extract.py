"""Finding the program in a completion."""

from __future__ import annotations

from rest_em_apps.extract import extract_code
from rest_em_apps.languages import PYTHON

PY = PYTHON


def test_plain_program_is_taken_whole():
    assert extract_code("print(1)\n", PY) == "print(1)\n"


def test_last_python_block_counts():
    text = "First try:\n```python\nprint(1)\n```\nBetter:\n```python\nprint(2)\n```\nDone."
    assert extract_code(text, PY) == "print(2)\n"


def test_untagged_and_alias_blocks_count():
    assert extract_code("```\nprint(3)\n```", PY) == "print(3)\n"
    assert extract_code("```py\nprint(4)\n```", PY) == "print(4)\n"
    assert extract_code("```Python3 title\nprint(5)\n```", PY) == "print(5)\n"


def test_blocks_of_other_languages_are_ignored():
    text = "```python\nprint(1)\n```\n```text\nsample output\n```\n```bash\npython sol.py\n```"
    assert extract_code(text, PY) == "print(1)\n"
    assert extract_code("```cpp\nint main(){}\n```", PY) is None


def test_unclosed_last_block_runs_to_the_end():
    assert extract_code("Here:\n```python\nprint(6)\nprint(7)", PY) == "print(6)\nprint(7)"


def test_indented_fences_inside_a_list():
    text = "1. Code:\n   ```python\n   x = 1\n   if x:\n       y = 2\n   ```\n"
    assert extract_code(text, PY) == "x = 1\nif x:\n    y = 2\n"


def test_common_indentation_is_removed_but_structure_kept():
    assert extract_code("  def f():\n      return 1\n  ", PY) == "def f():\n    return 1\n"
    text = 'x = """\n  a\n"""\n'
    assert extract_code(text, PY) == text


def test_no_code_is_none():
    assert extract_code("", PY) is None
    assert extract_code("  \n\t\n", PY) is None
    assert extract_code("```python\n```", PY) is None
    assert extract_code("```python\n   \n```", PY) is None


def test_backticks_inside_code_do_not_end_the_block():
    text = "```python\ns = '```'\nprint(s)\n```"
    assert extract_code(text, PY) == "s = '```'\nprint(s)\n"

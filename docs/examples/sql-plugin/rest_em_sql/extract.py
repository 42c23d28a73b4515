"""The model's query: the last statement of its last ```sql (or bare ```) fence, whatever it says; without
a fence, the last statement of the text that holds a SELECT or WITH, from that keyword on. Only that one
statement ever runs. Statements are split at `;` (a `;` inside a string literal splits it too, and the
broken query fails as `wrong`). Linear in the completion's length."""

from __future__ import annotations

import re

FENCE = re.compile(r"```[ \t]*(?:sql|sqlite)?[ \t]*\n(.*?)```", re.IGNORECASE | re.DOTALL)
QUERY_START = re.compile(r"\b(?:SELECT|WITH)\b", re.IGNORECASE)


def extract_query(completion: str) -> str | None:
    """The one statement to run, without its trailing semicolon, or None when there is none."""
    fences = FENCE.findall(completion)
    if fences:
        statements = [statement.strip() for statement in fences[-1].split(";")]
        return next((statement for statement in reversed(statements) if statement), None)
    for statement in reversed(completion.split(";")):
        start = QUERY_START.search(statement)
        if start:
            return statement[start.start():].strip()
    return None

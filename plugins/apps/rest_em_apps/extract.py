"""Find the program in a model's completion: the last fenced block of the language, else the text itself."""

from __future__ import annotations

import re
import textwrap

from rest_verify.languages import Language

# An opening fence with its info string, then everything up to a closing fence or the end of the text
# (a generation cut off by max_new_tokens often lacks the closing fence).
_BLOCK = re.compile(r"^[ \t]{0,3}```[ \t]*([^\s`]*)[^\n]*\n(.*?)(?:^[ \t]{0,3}```[ \t]*$|\Z)",
                    re.MULTILINE | re.DOTALL)


def extract_code(completion: str, language: Language) -> str | None:
    """The program in `completion`, or None when there is none.

    With fenced blocks present, the LAST block tagged with one of the language's fences (or untagged)
    counts; blocks tagged for other languages never do. Without any fence the whole completion is taken
    to be the program. Indentation common to all its lines is removed.
    """
    if "```" not in completion:
        code = completion
    else:
        wanted = {fence.lower() for fence in language.fences} | {""}
        blocks = [body for tag, body in _BLOCK.findall(completion) if tag.lower() in wanted]
        if not blocks:
            return None
        code = blocks[-1]
    # Indentation shared by every line (a block inside a list item, a padded completion) is not the
    # program's: removing it changes nothing else, since dedent needs all non-blank lines to share it.
    return textwrap.dedent(code) if code.strip() else None


def fence_tags(completion: str) -> list[str]:
    """The info-string tags of the completion's fenced blocks, in order, lower-cased ("" if untagged)."""
    return [tag.lower() for tag, _ in _BLOCK.findall(completion)] if "```" in completion else []

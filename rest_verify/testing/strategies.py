"""Hypothesis strategies for property tests of verifiers."""

from __future__ import annotations

from hypothesis import strategies as st

from rest_verify.types import Problem

_LATEXISH = st.sampled_from(["\\boxed{", "}", "{", "\\frac", "\\sqrt", "^", "_", "\\left(", "\\right)", "$",
                             "####", "The answer is ", "\n", " ", "-", ".", "/", "\\pi", "\\infty", "```"])


def completions() -> st.SearchStrategy[str]:
    """Arbitrary text mixed with the fragments graders parse: a verifier must survive all of it."""
    return st.lists(st.one_of(st.text(max_size=20), _LATEXISH, st.integers().map(str)), max_size=30).map("".join)


def problems(reference: st.SearchStrategy | None = None) -> st.SearchStrategy[Problem]:
    return st.builds(Problem, id=st.text(min_size=1, max_size=8), prompt=st.text(max_size=50),
                     reference=reference if reference is not None else st.text(max_size=30))

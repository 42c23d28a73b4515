"""Properties of the equivalence relation over generated LaTeX answers (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rest_em_math.equivalence import equivalent

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# An answer is generated as a list of LaTeX tokens, so whitespace can be put between tokens freely.
Tokens = list[str]

integers = st.integers(-50, 50).map(lambda n: [str(n)] if n >= 0 else ["-", str(-n)])
small = st.integers(1, 12).map(str)
fractions = st.tuples(small, small).map(lambda p: ["\\frac", "{", p[0], "}", "{", p[1], "}"])
radicals = st.tuples(small, small).map(lambda p: [p[0], "\\sqrt", "{", p[1], "}"])
symbols = st.sampled_from(["x", "y", "k", "\\pi", "\\theta"]).map(lambda s: [s])
atoms = st.one_of(integers, fractions, radicals, symbols)


def _combine(parts: tuple[Tokens, str, Tokens]) -> Tokens:
    left, op, right = parts
    return left + [op] + (["(", *right, ")"] if right[0] == "-" else right)


scalars = st.recursive(atoms, lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "\\cdot"]), inner)
                       .map(_combine), max_leaves=4)
tuples = st.lists(scalars, min_size=2, max_size=3).map(lambda items: ["("] + _join(items) + [")"])
intervals = st.tuples(st.sampled_from(["(", "["]), scalars, scalars, st.sampled_from([")", "]"])).map(
    lambda p: [p[0], *p[1], ",", *p[2], p[3]])
sets = st.lists(scalars, min_size=1, max_size=3).map(lambda items: ["\\{"] + _join(items) + ["\\}"])
answers = st.one_of(scalars, tuples, intervals, sets)


def _join(items: list[Tokens]) -> Tokens:
    out: Tokens = []
    for i, item in enumerate(items):
        out += ([","] if i else []) + item
    return out


def render(tokens: Tokens, spaces: list[str] | None = None) -> str:
    """Join tokens; a space is always kept after a command so `\\pi x` never becomes `\\pix`."""
    out = []
    for i, token in enumerate(tokens):
        gap = spaces[i % len(spaces)] if spaces else ""
        if token[0] == "\\" and token[-1].isalpha():
            gap = gap or " "
        out.append(token + gap)
    return "".join(out)


@SETTINGS
@given(answers)
def test_reflexive(tokens: Tokens) -> None:
    text = render(tokens)
    assert equivalent(text, text)[0]


@SETTINGS
@given(answers, answers)
def test_symmetric(a: Tokens, b: Tokens) -> None:
    assert equivalent(render(a), render(b))[0] == equivalent(render(b), render(a))[0]


@SETTINGS
@given(answers, st.lists(st.sampled_from(["", " ", "  ", "\t", "\n"]), min_size=1, max_size=5))
def test_invariant_under_whitespace(tokens: Tokens, spaces: list[str]) -> None:
    assert equivalent(render(tokens), render(tokens, spaces))[0]


@SETTINGS
@given(answers, answers)
def test_dfrac_is_frac(a: Tokens, b: Tokens) -> None:
    spelled = [("\\dfrac" if t == "\\frac" else t) for t in a]
    assert equivalent(render(a), render(spelled))[0]
    assert equivalent(render(spelled), render(b))[0] == equivalent(render(a), render(b))[0]


@SETTINGS
@given(st.one_of(tuples, intervals), answers)
def test_left_right_are_ignored(a: Tokens, b: Tokens) -> None:
    sized = ["\\left" + a[0], *a[1:-1], "\\right" + a[-1]]
    assert equivalent(render(a), render(sized))[0]
    assert equivalent(render(sized), render(b))[0] == equivalent(render(a), render(b))[0]


@SETTINGS
@given(scalars)
def test_scalar_differs_from_itself_plus_one(tokens: Tokens) -> None:
    text = render(tokens)
    assert not equivalent(text, f"{text} + 1")[0]


@SETTINGS
@given(st.lists(scalars, min_size=2, max_size=3, unique_by=render))
def test_sets_ignore_order_and_tuples_do_not(items: list[Tokens]) -> None:
    forward, backward = _join(items), _join(items[::-1])
    assert equivalent(render(["\\{", *forward, "\\}"]), render(["\\{", *backward, "\\}"]))[0]
    assert not equivalent(render(["(", *forward, ")"]), render(["\\{", *forward, "\\}"]))[0]

"""Answer extraction: which part of a completion is the final answer."""

from __future__ import annotations

import pytest

from rest_em_math.extract import (after_hashes, answer_line, end_of_turn, extract_gsm8k_answer, extract_math_answer,
                                  last_boxed, last_boxes, minerva_final_answer, the_answer_is)
from rest_em_math.unmarked import last_number


@pytest.mark.parametrize("text,expected", [
    ("so $\\boxed{5}$.", "5"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("first \\boxed{1} then \\boxed{2}", "2"),
    ("\\fbox{7}", "7"),
    ("\\fbox{1} and later \\boxed{2}", "2"),
    ("\\boxed{1} and later \\fbox{2}", "2"),
    ("\\boxed 5", "5"),
    ("$\\boxed 5.$", "5"),
    ("\\boxed {12}", "12"),
    ("\\boxed{\\{1,2\\}}", "\\{1,2\\}"),
    ("\\boxed{x^{2^{3}}}", "x^{2^{3}}"),
    ("\\boxed{3} and an unclosed \\boxed{4", "3"),
    ("\\boxed{\\boxed{\\boxed{7}", "7"),
])
def test_last_boxed(text: str, expected: str) -> None:
    assert last_boxed(text) == expected


@pytest.mark.parametrize("text", ["no box here", "\\boxed{", "\\boxed", "\\boxed5", ""])
def test_last_boxed_none(text: str) -> None:
    assert last_boxed(text) is None


def test_minerva_format() -> None:
    text = "We compute.\nFinal Answer: The final answer is $\\frac{3}{4}$. I hope it is correct."
    assert minerva_final_answer(text) == "\\frac{3}{4}"
    assert extract_math_answer(text) == "\\frac{3}{4}"


def test_minerva_without_closing_sentence_takes_the_line() -> None:
    assert minerva_final_answer("The final answer is 12.\nThanks") == "12"


def test_the_answer_is() -> None:
    assert the_answer_is("Thus the answer is $(1,2)$.\nDone.") == "(1,2)"
    assert the_answer_is("The answer is: 7") == "7"
    assert the_answer_is("first the answer is 1, no wait, the answer is 2.") == "2"


def test_hashes() -> None:
    assert after_hashes("work\n#### 1,234\n") == "1,234"
    assert after_hashes("#### 3\n#### 4") == "4"


def test_math_priority_boxed_before_phrases() -> None:
    assert extract_math_answer("The answer is 3. Actually \\boxed{4}") == "4"
    assert extract_math_answer("The answer is $\\boxed{5}$.") == "5"
    assert extract_math_answer("blah\n#### 9") == "9"
    assert extract_math_answer("nothing to see, 42") is None


def test_gsm8k_priority() -> None:
    assert extract_gsm8k_answer("\\boxed{3}\n#### 4") == "4"
    assert extract_gsm8k_answer("so \\boxed{3} apples") == "3"
    assert extract_gsm8k_answer("The answer is 12 apples.") == "12 apples"
    assert extract_gsm8k_answer("She had 3, then 5, ending with 8 apples.") == "8"
    assert extract_gsm8k_answer("no digits at all") is None


@pytest.mark.parametrize("text,expected", [
    ("a 1 b 2", "2"), ("cost 1,000 dollars", "1,000"), ("-3.5 degrees", "-3.5"), ("ratio 3/4", "3/4"),
    ("nothing", None), ("costs 1000,99 here", "1000,99"), ("about 25% of it", "25%"), ("x2 and y3", None),
    ("3.2 × 10^5 km", "3.2 × 10^5"), ("1.5 million people", "1.5 million"), ("$18.90.", "18.90"),
])
def test_last_number(text: str, expected: str | None) -> None:
    found = last_number(text)
    assert (found[0] if found else None) == expected


def test_last_boxes_in_reading_order() -> None:
    assert last_boxes("\\boxed{1}, \\boxed{2} and \\fbox{3}", 2) == ["2", "3"]
    assert last_boxes("only \\boxed{1}", 3) == ["1"]
    assert last_boxes("\\boxed{1} and an unclosed \\boxed{2", 2) == ["1"]


def test_answer_line() -> None:
    assert answer_line("work\n**Answer:** $7$") == "7"
    assert answer_line("Final answer: 12 cm") == "12 cm"
    assert answer_line("Final Answer: The volume of $V$ is 120. I hope it is correct.") == "120"
    assert answer_line("The Answer: is not on its own line") is None


def test_phrase_takes_leading_math_or_next_display() -> None:
    assert the_answer_is("The answer is $12$ because we doubled 6.") == "12"
    assert the_answer_is("the answer is\n\\[\n\\frac{1}{2}\n\\]") == "\\frac{1}{2}"
    assert the_answer_is("the answer is\nnot known") is None


def test_new_turn_cut() -> None:
    assert end_of_turn("so 5.\n\nQuestion: next") == 6
    assert end_of_turn("a <|im_end|> b") == 2
    assert end_of_turn("The question: what is x?") == -1
    assert extract_math_answer("\\boxed{3}\nHuman: and 2+2?\nAssistant: \\boxed{4}") == "3"
    assert extract_math_answer("Problem: find x.\nSolution: \\boxed{4}") == "4"

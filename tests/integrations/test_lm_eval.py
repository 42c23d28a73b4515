import pytest

from rest_verify.integrations.lm_eval import make_process_results


def test_process_results_as_lm_eval_calls_it():
    pytest.importorskip("rest_em_math", reason="the point is grading MATH answers")
    process_results = make_process_results("math", reference_key="answer")
    doc = {"problem": "What is 1/2 + 1/4?", "answer": "\\frac{3}{4}"}
    assert process_results(doc, ["We add: $\\boxed{0.75}$"]) == {"math": 1}
    assert process_results(doc, ["$\\boxed{\\frac{1}{2}}$", "ignored second sample"]) == {"math": 0}
    assert process_results(doc, [""]) == {"math": 0}


def test_reference_from_a_function_and_a_custom_metric_name():
    process_results = make_process_results("exact", reference_key=lambda doc: doc["target"][0], metric="em_exact")
    assert process_results({"target": ["Paris"]}, ["It is\nparis."]) == {"em_exact": 1}


def test_missing_reference_scores_zero_and_is_logged(caplog):
    process_results = make_process_results("exact", reference_key="answer")
    assert process_results({"question": "q"}, ["a"]) == {"exact": 0}
    assert "invalid_input" in caplog.text

import logging

import pytest

from rest_verify.errors import UnknownNameError
from rest_verify.integrations import verl

pytest.importorskip("rest_em_math", reason="the math plugin grades MATH data sources")


def test_math_data_sources_are_graded_by_the_math_verifier_as_verl_calls_it():
    result = verl.compute_score(data_source="DigitalLearningGmbH/MATH-lighteval",
                                solution_str="So the answer is $\\boxed{\\dfrac{1}{2}}$.",
                                ground_truth="0.5", extra_info={"split": "train", "index": 3})
    assert result == {"score": 1.0, "acc": 1.0, "pred": "\\dfrac{1}{2}", "status": "correct", "grading_failed": 0.0}
    wrong = verl.compute_score("HuggingFaceH4/MATH-500", "\\boxed{3}", "\\frac{1}{2}")
    assert (wrong["score"], wrong["acc"], wrong["status"], wrong["pred"]) == (0.0, 0.0, "wrong", "3")


def test_every_result_has_the_same_keys_as_verl_requires():
    results = [verl.compute_score("lighteval/MATH", text, "2") for text in ("\\boxed{2}", "no answer here", "")]
    assert {frozenset(r) for r in results} == {frozenset({"score", "acc", "pred", "status", "grading_failed"})}
    assert [r["status"] for r in results] == ["correct", "no_answer", "no_answer"]


def test_gsm8k_and_a_verifier_name_as_data_source():
    assert verl.compute_score("openai/gsm8k", "so #### 1,234", "#### 1234")["score"] == 1.0
    assert verl.compute_score("exact", "Paris", "paris")["score"] == 1.0
    assert verl.compute_score("anything", "Paris", "paris", verifier="exact")["acc"] == 1.0


def test_unknown_data_source_is_a_clear_error_listing_known_names():
    with pytest.raises(UnknownNameError) as caught:
        verl.compute_score("my/secret-dataset", "\\boxed{1}", "1")
    message = str(caught.value)
    assert "my/secret-dataset" in message and "lighteval/MATH" in message and "openai/gsm8k" in message
    assert "installed verifiers:" in message and "math" in message


def test_grading_failures_are_visible_in_the_result_the_counts_and_the_log(caplog):
    before = verl.failure_counts().get("lighteval/MATH", {}).get("invalid_input", 0)
    with caplog.at_level(logging.WARNING, logger="rest_verify.integrations"):
        result = verl.compute_score("lighteval/MATH", "\\boxed{1}", {"not": "a latex answer"})
    assert result["status"] == "invalid_input" and result["grading_failed"] == 1.0 and result["score"] == 0.0
    assert verl.failure_counts()["lighteval/MATH"]["invalid_input"] == before + 1
    assert "could not be graded" in caplog.text


def test_batch_form_routes_each_item_and_keeps_order():
    results = verl.compute_score_batch(
        data_sources=["lighteval/MATH", "openai/gsm8k", "lighteval/MATH", "exact"],
        solution_strs=["\\boxed{\\sqrt{4}}", "#### 7", "\\boxed{5}", "yes"],
        ground_truths=["2", "8", "5", "yes"],
        extra_infos=[None, {"question": "q"}, None, None])
    assert [r["score"] for r in results] == [1.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="batch lengths differ"):
        verl.compute_score_batch(["exact"], ["a", "b"], ["a", "b"])


def test_deadline_is_a_timeout_verdict_not_a_hang(monkeypatch):
    import integration_verifiers

    monkeypatch.setitem(verl.DATA_SOURCES, "slow/source", "sleepy")
    monkeypatch.setattr(verl, "verifier_for", lambda source: integration_verifiers.Sleepy())
    monkeypatch.setattr(verl, "_scorers", {})
    result = verl.compute_score("slow/source", "sleep:30", "x", timeout=0.5, workers=1)
    assert result["status"] == "timeout" and result["grading_failed"] == 1.0
    assert verl.failure_counts()["slow/source"]["timeout"] >= 1


def test_a_one_line_reward_file_loads_and_ships_as_verl_does(tmp_path):
    cloudpickle = pytest.importorskip("cloudpickle")
    import importlib.util
    import pickle

    path = tmp_path / "reward.py"
    path.write_text("from rest_verify.integrations.verl import compute_score, compute_score_batch\n")
    spec = importlib.util.spec_from_file_location("custom_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = pickle.loads(cloudpickle.dumps(getattr(module, "compute_score")))  # Ray ships it like this
    assert shipped is verl.compute_score
    assert shipped("openai/gsm8k", "#### 12", "12")["score"] == 1.0

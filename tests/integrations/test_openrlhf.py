import importlib.util
import inspect
import pickle

import pytest

from rest_verify.errors import RestEmError
from rest_verify.integrations import openrlhf


def test_response_is_the_query_minus_its_prompt():
    assert openrlhf.response_of("<user>Q?<assistant>work\n42", "<user>Q?<assistant>") == "work\n42"
    assert openrlhf.response_of("rewritten\n42", "<user>Q?") == "rewritten\n42"


def test_reward_func_follows_the_custom_reward_protocol():
    torch = pytest.importorskip("torch")
    reward_func = openrlhf.make_reward_func("exact", workers=1, timeout=5)
    try:
        out = reward_func(["<u>1+1<a>2", "<u>2+2<a>5", "<u>x<a>"], ["<u>1+1<a>", "<u>2+2<a>", "<u>x<a>"],
                          ["2", "4", "x"], metas=None)
    finally:
        reward_func.scorer.close()
    assert set(out) == {"rewards", "scores", "extra_logs"}
    assert isinstance(out["rewards"], torch.Tensor) and out["rewards"].tolist() == [1.0, 0.0, 0.0]
    assert out["scores"].tolist() == [1.0, 0.0, 0.0]
    # extra_logs are per-sample columns: OpenRLHF concatenates them across chunks and splits per sample.
    assert out["extra_logs"]["correct"].tolist() == [1.0, 0.0, 0.0]
    assert out["extra_logs"]["no_answer"].tolist() == [0.0, 0.0, 1.0]


def test_reward_func_is_a_function_ray_can_ship():
    # ray.remote() accepts functions and classes only, and ships them with cloudpickle.
    cloudpickle = pytest.importorskip("cloudpickle")
    reward_func = openrlhf.make_reward_func("exact", workers=1, timeout=5)
    assert inspect.isfunction(reward_func)
    reward_func(["pa"], ["p"], ["a"])
    clone = pickle.loads(cloudpickle.dumps(reward_func))
    try:
        assert clone(["pb"], ["p"], ["b"])["rewards"].tolist() == [1.0]
        assert clone.scorer.counts == {"correct": 1}
    finally:
        clone.scorer.close()
        reward_func.scorer.close()


def test_mismatched_lengths_are_a_caller_error():
    with pytest.raises(ValueError, match="2 queries, 1 prompts and 2 labels"):
        openrlhf.make_reward_func("exact", workers=0)(["a", "b"], ["p"], ["a", "b"])


def load_as_openrlhf_does(path):
    """OpenRLHF: spec_from_file_location("reward_func", path), exec_module, getattr(module, "reward_func")."""
    spec = importlib.util.spec_from_file_location("reward_func", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reward_func


def test_module_file_as_remote_rm_url_reads_the_verifier_from_the_environment(monkeypatch):
    cloudpickle = pytest.importorskip("cloudpickle")
    monkeypatch.setattr(openrlhf, "_default", None)
    monkeypatch.delenv(openrlhf.VERIFIER_VARIABLE, raising=False)
    shipped = pickle.loads(cloudpickle.dumps(load_as_openrlhf_does(openrlhf.__file__)))  # as ray.remote ships it
    with pytest.raises(RestEmError, match="REST_EM_VERIFIER"):
        shipped(["q a"], ["q "], ["a"])
    monkeypatch.setenv(openrlhf.VERIFIER_VARIABLE, "exact")
    try:
        assert shipped(["q a"], ["q "], ["a"])["rewards"].tolist() == [1.0]
    finally:
        openrlhf._default.scorer.close()


def test_a_two_line_reward_file_loads_and_ships(tmp_path):
    cloudpickle = pytest.importorskip("cloudpickle")
    path = tmp_path / "reward.py"
    path.write_text("from rest_verify.integrations.openrlhf import make_reward_func\n"
                    "reward_func = make_reward_func('exact', workers=1, timeout=5)\n")
    shipped = pickle.loads(cloudpickle.dumps(load_as_openrlhf_does(path)))
    try:
        assert shipped(["q a", "q b"], ["q ", "q "], ["a", "a"])["rewards"].tolist() == [1.0, 0.0]
    finally:
        shipped.scorer.close()


def test_plain_lists_without_torch(monkeypatch):
    monkeypatch.setattr(openrlhf.importlib.util, "find_spec", lambda name: None)
    out = openrlhf.make_reward_func("exact", workers=0)(["q a"], ["q "], ["b"])
    assert out["rewards"] == [0.0] and out["extra_logs"]["correct"] == [0.0]

"""ReST mode: threshold schedule, an Improve step that keeps nothing, resume, and the learned-reward path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rest_train.run import runner
from rest_train.config import ConfigError, GradingConfig, RestConfig, from_dict
from rest_train.demo.rest_em import QUICK
from rest_train.demo.rest import QUICK_REWARD, comparison_table, rest_config
from rest_train.run.rest import EmptyImproveStep, grow_rewards, threshold_of
from rest_train.training.reward_model import build_reward_model, ranking_accuracy, within_problem_accuracy
from rest_verify.errors import RestEmError

from .test_loop import Crash, comparable


@pytest.fixture(scope="module")
def models(tmp_path_factory, base_model) -> tuple[Path, Path]:
    """The quick demo's base model and a random reward model on its tokenizer (scores are arbitrary)."""
    from transformers import AutoTokenizer

    reward_model = tmp_path_factory.mktemp("rest") / "rm"
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    build_reward_model(tokenizer, layers=1, width=32, heads=2, context=128, seed=0).save_pretrained(reward_model)
    tokenizer.save_pretrained(reward_model)
    return base_model, reward_model


@pytest.mark.parametrize("rest, message", [
    ({"thresholds": [0.5, 0.5, 0.9]}, "must rise strictly"),
    ({"thresholds": [0.9, 0.7, 0.5]}, "must rise strictly"),
    ({"thresholds": [0.5, 0.9]}, "one threshold per Improve step"),
    ({"thresholds": [0.5, 0.9, 1.5]}, "quantiles .* must lie in \\[0, 1\\]"),
])
def test_a_schedule_that_does_not_rise_strictly_is_a_config_error(rest, message):
    with pytest.raises(ConfigError, match=message):
        from_dict({"mode": "rest", "rest": rest})
    from_dict({"mode": "rest", "rest": {"thresholds": [-1.0, 2.0, 5.5], "threshold_kind": "absolute"}})


def test_thresholds_are_values_or_quantiles_of_the_grow_rewards():
    rewards = [0.0, None, 1.0, 2.0, 3.0, 4.0]
    quantiles = RestConfig(improve_steps=3, thresholds=[0.0, 0.5, 0.875])
    assert [threshold_of(quantiles, step, rewards) for step in (1, 2, 3)] == [0.0, 2.0, 3.5]
    absolute = dataclasses.replace(quantiles, threshold_kind="absolute")
    assert threshold_of(absolute, 3, rewards) == 0.875


def test_rewards_count_only_where_the_source_judged_and_zscores_are_per_prompt():
    samples = [{"problem_id": p} for p in "aaabb"]
    verdicts = [{"status": "correct", "reward": 1.0}, {"status": "correct", "reward": 3.0},
                {"status": "no_answer", "reward": 0.0}, {"status": "correct", "reward": 5.0},
                {"status": "error", "reward": 0.0}]
    assert grow_rewards(samples, verdicts, "none", real_valued=True) == [1.0, 3.0, None, 5.0, None]
    assert grow_rewards(samples, verdicts, "none", real_valued=False) == [1.0, 3.0, 0.0, 5.0, None]
    assert grow_rewards(samples, verdicts, "zscore", real_valued=True) == [-1.0, 1.0, None, 0.0, None]


def test_ranking_accuracy_is_the_share_of_correct_over_wrong_pairs_ordered_right():
    assert ranking_accuracy([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert ranking_accuracy([0.5, 0.5, 0.9], [1, 0, 0]) == 0.25
    assert ranking_accuracy([0.2, 0.3], [1, 1]) is None


def test_within_problem_accuracy_only_pairs_samples_of_one_problem():
    examples = [{"problem_id": p, "label": int(y)} for p, y in ["a1", "a0", "a0", "b1", "b0", "c1"]]
    # a: 0.9 beats 0.1, loses to 0.95; b: a tie; c has no wrong sample; across problems 5 > everything
    assert within_problem_accuracy(examples, [0.9, 0.1, 0.95, 0.2, 0.2, 5.0]) == 0.5
    assert within_problem_accuracy(examples[-1:], [1.0]) is None


def test_an_improve_step_that_keeps_nothing_stops_naming_the_threshold_and_the_rewards(tmp_path, models):
    base, _ = models
    config = rest_config(QUICK, QUICK_REWARD, tmp_path / "run", base, tmp_path, device="cpu", seed=0)
    config = dataclasses.replace(config, grading=GradingConfig(verifier="arith", workers=0),
                                 rest=RestConfig(improve_steps=2, thresholds=[2.0, 3.0], threshold_kind="absolute"))
    with pytest.raises(EmptyImproveStep, match=r"Improve step 1 of Grow step 1: threshold 2 \(absolute 2.0\) "
                                               r"keeps no sample; Grow rewards: 48 of 48 samples scored: min 0"):
        runner.run(config, progress=False)


def rest_run(root: Path, models: tuple[Path, Path]):
    base, reward_model = models
    return rest_config(QUICK, QUICK_REWARD, root, base, reward_model, device="cpu", seed=0, kind="classifier")


def test_rest_mode_resumes_at_improve_step_granularity_and_records_each_step(tmp_path, models):
    reference = runner.run(rest_run(tmp_path / "reference", models), progress=False)

    crash_points = {(1, "verdicts"), (1, "checkpoint"), (2, "train"), (2, "eval_verdicts")}
    ran: list[tuple[int, str]] = []

    def crash(iteration: int, stage: str) -> None:
        ran.append((iteration, stage))
        if (iteration, stage) in crash_points:
            raise Crash(f"killed after {stage} of step {iteration}")

    for _ in range(len(crash_points) + 1):
        try:
            results = runner.run(rest_run(tmp_path / "interrupted", models), stage_hook=crash, progress=False)
            break
        except Crash:
            continue
    assert len(ran) == len(set(ran)) == 3 + 7 + 5  # no stage ran twice; step 2 reuses step 1's Grow dataset
    assert comparable(tmp_path / "interrupted") == comparable(tmp_path / "reference")

    steps = [r["estep"] for r in results[1:]]
    assert [(s["grow"], s["improve"]) for s in steps] == [(1, 1), (1, 2)]
    assert steps[0]["threshold"] < steps[1]["threshold"] and steps[0]["kept"] > steps[1]["kept"]
    assert all(s["kept_rejected"] is not None and 0 <= s["kept_rejected"] <= s["kept"] for s in steps)
    assert all(r["fresh"]["mean_reward"] is not None for r in results)
    assert all(r["fresh"]["high_rejected"] is not None for r in results[1:])
    mstep = [r["mstep"]["init_from"] for r in results[1:]]
    assert mstep[0].endswith("base") and mstep[1].endswith("iter_01/checkpoint")  # warm start
    interrupted = tmp_path / "interrupted"
    assert not (interrupted / "iter_02" / "samples.jsonl").exists()
    assert (interrupted / "iter_02" / "eval_rewards.jsonl").exists() and (interrupted / "report.md").exists()
    assert "| 2 |" in comparison_table(reference, results)


def test_reward_weighted_loss_refuses_negative_rewards(tmp_path, models):
    config = rest_run(tmp_path / "run", models)  # raw logits of a random reward model straddle 0
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, loss="reward_weighted"))
    with pytest.raises(RestEmError, match="Improve step 1: loss 'reward_weighted' needs non-negative rewards"):
        runner.run(config, progress=False)

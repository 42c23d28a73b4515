"""The adapters against real installs of the frameworks they serve (lm-eval, verl, OpenRLHF).

Each framework lives in `.envs/frameworks` (scripts/envs/frameworks.sh), apart from the test environment,
and runs a script of `frameworks/` there with this checkout first on its path. The scripts drive each
framework through its own entry points — lm-eval's `simple_evaluate`, verl's Hydra config, reward loader
and reward managers, OpenRLHF's remote reward client — and print one JSON line the tests check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "frameworks"

pytestmark = [pytest.mark.isolated_env("frameworks"), pytest.mark.slow]
pytest.importorskip("rest_em_math", reason="the framework runs grade MATH answers")


def run_in_env(env: Path, script: str, *args: str, home: Path) -> dict:
    """Run `frameworks/script` with the environment's python; its last stdout line is JSON."""
    path = [str(REPO), *(str(p) for p in sorted((REPO / "plugins").iterdir()) if (p / "pyproject.toml").exists())]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "HF_HOME": str(home / "hf"),
                   "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run([str(env / "bin" / "python"), str(SCRIPTS / script), *args], cwd=home,
                            env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{script} failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_lm_eval_reports_the_rest_em_metric_through_simple_evaluate(isolated_env, tmp_path):
    result = run_in_env(isolated_env, "lm_eval_task.py", str(tmp_path), home=tmp_path)
    assert result == {"math": 0.8, "samples": 5, "lm_eval": "0.4.13"}


@pytest.fixture
def reward_file(tmp_path: Path) -> Path:
    """The one-line reward.py the verl adapter's docstring and the README give."""
    path = tmp_path / "reward.py"
    path.write_text("from rest_verify.integrations.verl import compute_score\n")
    return path


@pytest.mark.parametrize("manager, manager_class", [("naive", "NaiveRewardManager"), ("dapo", "DAPORewardManager")])
def test_verl_managers_score_a_data_proto_with_the_documented_overrides(isolated_env, tmp_path, reward_file,
                                                                         manager, manager_class):
    result = run_in_env(isolated_env, "verl_reward.py", str(reward_file),
                        "reward.custom_reward_function.path=REWARD_FILE",
                        "reward.custom_reward_function.name=compute_score",
                        f"reward.reward_manager.name={manager}", home=tmp_path)
    assert (result["manager"], result["custom_reward_fn"], result["verl"]) == (manager_class, "compute_score", "0.9.1")
    assert result["scores"] == [1.0, 0.0, 1.0, 0.0]
    assert result["statuses"] == ["correct", "wrong", "correct", "no_answer"]
    assert result["timed_correct"] == 64  # half of the 128 distinct timed items are right
    assert {"score", "acc", "pred", "status", "grading_failed"} <= set(result["extra_info_keys"])


def test_verl_reward_kwargs_override_with_a_plus_chooses_the_verifier(isolated_env, tmp_path, reward_file):
    result = run_in_env(isolated_env, "verl_reward.py", str(reward_file),
                        "reward.custom_reward_function.path=REWARD_FILE",
                        "+reward.custom_reward_function.reward_kwargs.verifier=exact", home=tmp_path)
    # `exact` compares whole strings: none of the worked responses equals its bare reference.
    assert result["scores"] == [0.0, 0.0, 0.0, 0.0] and result["statuses"][0] == "wrong"


def test_verl_rejects_reward_kwargs_without_the_plus(isolated_env, tmp_path, reward_file):
    with pytest.raises(AssertionError, match="reward_kwargs"):
        run_in_env(isolated_env, "verl_reward.py", str(reward_file),
                   "reward.custom_reward_function.path=REWARD_FILE",
                   "reward.custom_reward_function.reward_kwargs.verifier=exact", home=tmp_path)


def test_verl_main_trainer_ignores_the_legacy_spelling(isolated_env, tmp_path, reward_file):
    # 0.9.1 still parses `custom_reward_function.*`, but only its fully-async entry point migrates it:
    # the PPO trainer's loader finds no custom function, which is why the README gives the `reward.` keys.
    result = run_in_env(isolated_env, "verl_reward.py", str(reward_file), "custom_reward_function.path=REWARD_FILE",
                        "custom_reward_function.name=compute_score", home=tmp_path)
    assert result["custom_reward_fn"] is None


@pytest.fixture
def reward_server(tmp_path: Path):
    """`rest-em serve -v math` on an ephemeral loopback port, through the real CLI."""
    process = subprocess.Popen([sys.executable, "-c", "from rest_verify.cli import main; main()", "serve", "-v", "math",
                                "--host", "127.0.0.1", "--port", "0", "--workers", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, process.stderr.read() if process.poll() is not None else line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_openrlhf_remote_reward_client_scores_through_rest_em_serve(isolated_env, tmp_path, reward_server):
    result = run_in_env(isolated_env, "openrlhf_client.py", reward_server, home=tmp_path)
    assert result["rewards"] == [[1.0], [0.0], [1.0]] and result["scores"] == result["rewards"]
    assert "correct" in result["extra_logs"] and result["openrlhf"] == "0.11.2"

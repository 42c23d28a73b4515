"""Every recipe in examples/recipes passes `rest-em run --check` offline: what needs the hub says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rest_verify.cli import main
from rest_verify.plugins import PINNING_VARIABLE, reset_registry

from tests.train.conftest import NEEDED_PLUGINS

RECIPES = sorted((Path(__file__).parents[2] / "examples" / "recipes").glob("*.toml"))
OFFLINE = "hub not reachable offline (HF_HUB_OFFLINE=1)"


@pytest.fixture(autouse=True)
def with_apps(monkeypatch):
    """The APPS recipe's task and verifier, beside the plugins every training test pins."""
    monkeypatch.setenv(PINNING_VARIABLE, f"{NEEDED_PLUGINS},rest-em-apps")
    reset_registry()
    yield
    monkeypatch.undo()
    reset_registry()


def test_the_five_recipes_are_there():
    assert [path.name for path in RECIPES] == ["apps.toml", "gsm8k.toml", "math-full.toml", "math-lora.toml",
                                               "rest-rm.toml"]


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda path: path.stem)
def test_a_recipe_passes_the_check_offline_and_every_skip_says_why(recipe, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = CliRunner().invoke(main, ["run", "--check", str(recipe)])
    lines = result.output.splitlines()
    assert result.exit_code == 0 and lines[-1] == "config ok", result.output
    assert not [line for line in lines if line.startswith("failed")]
    skipped = {line.split(":")[0].split()[1]: line for line in lines if line.startswith("skipped")}
    assert f"skipped data: {OFFLINE}: train hf://" in skipped["data"]
    assert skipped["model"].startswith("skipped model: hub model ") and skipped["model"].endswith(OFFLINE)
    assert "data skipped" in skipped["prompt"]
    assert set(skipped) <= {"model", "data", "prompt", "generator", "train.peft"}
    if "generator" in skipped:
        assert "its package vllm is not installed here" in skipped["generator"]
    if "train.peft" in skipped:
        assert "LoRA fields are valid; the targets need the model" in skipped["train.peft"]
    assert {line.split(":")[0].split()[1] for line in lines if line.startswith("ok")} >= {"verifier", "tracking",
                                                                                         "output"}

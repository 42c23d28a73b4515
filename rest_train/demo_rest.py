"""`rest-em demo --mode rest`: ReST with a reward model learned here, beside ReST-EM with the exact verifier.

The story: the demo's base model (rest_train/demo.py) samples solutions to training problems, the
`arith` verifier labels them, and a sequence classifier started from the base model's weights learns
those labels: a reward model, as
ReST (Gulcehre et al. 2023) would have for a task without an exact verifier. ReST then grows one dataset
from the base model and improves on it at rising thresholds of that reward, each step warm-started;
ReST-EM runs its usual iterations with the exact verifier. One report puts both side by side per step,
with the fresh samples' mean reward, held-out pass@1 (always by the exact verifier), and the samples
the reward model scores at or above the step's threshold but the verifier rejects.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import rest_verify
from rest_verify.errors import RestEmError, UnknownNameError
from rest_verify.plugins import get_generator_factory, get_verifier

from rest_train import loop
from rest_train.config import GradingConfig, RestConfig, RunConfig, TrainConfig
from rest_train.demo import CONTEXT, FULL, MAX_NEW_TOKENS, QUICK, DemoSettings, arith_task, demo_config, prepare_base
from rest_train.files import read_json, write_jsonl, write_text
from rest_train.generation import Sampling
from rest_train.report import PLOT
from rest_train.reward_model import RECORD, from_language_model, separate_pairs, train_reward_model

log = logging.getLogger("rest_train")

REWARD_MODEL = "reward_model"


@dataclass(frozen=True)
class RewardDemoSettings:
    """The reward model's data and training, and ReST's schedule."""

    labelled_problems: int
    samples_per_problem: int
    epochs: float
    learning_rate: float
    improve_steps: int
    improve_epochs: float
    quantiles: tuple[float, ...]


# 4 samples of 1500 problems give ~6000 labelled samples, about a third of them correct; quantile
# thresholds keep the top half, then 30%, then 10% of the Grow dataset by reward. Improve steps build on
# each other, so each trains fewer epochs than a ReST-EM M-step from the base.
FULL_REWARD = RewardDemoSettings(labelled_problems=1500, samples_per_problem=4, epochs=4, learning_rate=5e-4,
                                 improve_steps=3, improve_epochs=2, quantiles=(0.5, 0.7, 0.9))
QUICK_REWARD = RewardDemoSettings(labelled_problems=24, samples_per_problem=2, epochs=1, learning_rate=1e-3,
                                  improve_steps=2, improve_epochs=1, quantiles=(0.0, 0.5))


def check_reward_plugin() -> None:
    try:
        get_verifier("rm")
    except UnknownNameError:
        raise RestEmError("the ReST demo needs the `rm` reward-model scorer of the rest-em-rm plugin: "
                          "pip install -e plugins/rm (and include rest-em-rm in REST_EM_PLUGINS if that "
                          "variable is set)") from None


def labelled_samples(base: Path, settings: DemoSettings, reward: RewardDemoSettings, *, seed: int, device: str,
                     progress: bool | None) -> list[dict[str, Any]]:
    """Samples of the base model on training problems, labelled 1 / 0 by the `arith` verifier."""
    task = arith_task()
    problems = list(task.load(None, split="train", count=reward.labelled_problems, seed=seed + 40,
                              **settings.problems()))
    generator = get_generator_factory("transformers")(str(base), device=device, batch_size=512, progress=progress)
    try:
        texts = generator.generate([task.format_prompt(p) for p in problems], reward.samples_per_problem,
                                   Sampling(temperature=1.0, top_k=40, max_new_tokens=MAX_NEW_TOKENS, seed=seed + 50))
    finally:
        getattr(generator, "close", lambda: None)()
    pairs = [(problem, text) for problem, completions in zip(problems, texts) for text in completions]
    verdicts = rest_verify.grade([p for p, _ in pairs], [t for _, t in pairs], "arith", workers=0, progress=False)
    return [{"problem_id": p.id, "prompt": p.prompt, "completion": t, "label": int(v.correct)}
            for (p, t), v in zip(pairs, verdicts)]


def prepare_reward_model(root: Path, base: Path, settings: DemoSettings, reward: RewardDemoSettings, *, seed: int,
                         device: str, progress: bool | None) -> Path:
    """The reward model at `root/reward_model`, trained now from verifier labels unless it exists."""
    from transformers import AutoTokenizer

    output = root / REWARD_MODEL
    if output.exists():
        return output
    examples = labelled_samples(base, settings, reward, seed=seed, device=device, progress=progress)
    write_jsonl(root / "reward_data.jsonl", examples)
    tokenizer = separate_pairs(AutoTokenizer.from_pretrained(base))
    model = from_language_model(base)
    log.info("training a reward model on %d verifier-labelled samples (%d correct)", len(examples),
             sum(e["label"] for e in examples))
    train = TrainConfig(learning_rate=reward.learning_rate, epochs=reward.epochs, batch_size=32, warmup_ratio=0.05,
                        max_length=CONTEXT)
    record = train_reward_model(examples, tokenizer, model, output, train, seed=seed, device=device,
                                progress=progress)
    log.info("reward model on samples of held-out problems: accuracy %.1f%%, ranking accuracy (AUC) %.3f",
             100 * (record["held_out_accuracy"] or 0), record["held_out_auc"] or float("nan"))
    return output


def rest_em_config(settings: DemoSettings, root: Path, base: Path, *, device: str, seed: int) -> RunConfig:
    config = demo_config(settings, root, device=device, iterations=settings.iterations, seed=seed)
    return dataclasses.replace(config, model=dataclasses.replace(config.model, path=str(base)))


def rest_config(settings: DemoSettings, reward: RewardDemoSettings, root: Path, base: Path, reward_model: Path, *,
                device: str, seed: int) -> RunConfig:
    """ReST on the same problems and samples budget, with the learned reward: one Grow, rising quantiles."""
    config = rest_em_config(settings, root, base, device=device, seed=seed)
    return dataclasses.replace(
        config, mode="rest", grading=GradingConfig(verifier="rm", workers=0),
        train=dataclasses.replace(config.train, init_from="previous", epochs=reward.improve_epochs),
        rest=RestConfig(grow_steps=1, improve_steps=reward.improve_steps, thresholds=list(reward.quantiles),
                        threshold_kind="quantile",
                        reward_options={"checkpoint": str(reward_model), "max_length": CONTEXT,
                                        "batch_size": 256}))


def comparison_table(rest_em: Sequence[dict[str, Any]], rest: Sequence[dict[str, Any]]) -> str:
    """Step by step: ReST-EM's pass@1 beside ReST's threshold, kept samples, fresh reward and pass@1."""
    header = ["step", "ReST-EM pass@1", "ReST-EM kept", "ReST threshold (RM)", "ReST kept",
              "kept, verifier rejects", "fresh mean RM reward", "fresh RM-high, verifier rejects", "ReST pass@1"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for step in range(max(len(rest_em), len(rest))):
        em = rest_em[step] if step < len(rest_em) else None
        rs = rest[step] if step < len(rest) else None
        em_step, rs_step = (em or {}).get("estep"), (rs or {}).get("estep")
        fresh = (rs or {}).get("fresh", {})
        cells = [str(step), _percent(em and em["pass@1"]), str(em_step["kept"]) if em_step else "–",
                 f"{rs_step['threshold']:.3f}" if rs_step else "–", str(rs_step["kept"]) if rs_step else "–",
                 str(rs_step["kept_rejected"]) if rs_step else "–",
                 "–" if fresh.get("mean_reward") is None else f"{fresh['mean_reward']:.3f}",
                 "–" if fresh.get("high_rejected") is None else str(fresh["high_rejected"]),
                 _percent(rs and rs["pass@1"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def plot_comparison(rest_em: Sequence[dict[str, Any]], rest: Sequence[dict[str, Any]], path: Path) -> None:
    """Both runs' pass@1 per step (left axis) and ReST's fresh mean reward (right axis), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, accuracy = plt.subplots(figsize=(6.8, 4.2), dpi=110)
    accuracy.plot([r["iteration"] for r in rest_em], [100 * r["pass@1"] for r in rest_em], "o-", color="C0",
                  label="ReST-EM pass@1 (exact verifier)")
    accuracy.plot([r["iteration"] for r in rest], [100 * r["pass@1"] for r in rest], "^-", color="C2",
                  label="ReST pass@1 (learned RM)")
    accuracy.set_xticks(sorted({r["iteration"] for r in [*rest_em, *rest]}))
    accuracy.set_xlabel("iteration / Improve step (0 = base model)")
    accuracy.set_ylabel("held-out pass@1 (%)")
    accuracy.set_ylim(0, 100)
    accuracy.grid(alpha=0.3)
    reward = accuracy.twinx()
    reward.plot([r["iteration"] for r in rest], [r["fresh"]["mean_reward"] for r in rest], "s--", color="C1",
                label="ReST fresh mean RM reward")
    reward.set_ylabel("mean RM reward of fresh held-out samples")
    handles = accuracy.get_legend_handles_labels()[0] + reward.get_legend_handles_labels()[0]
    accuracy.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="lower right")
    accuracy.set_title("ReST-EM (exact verifier) vs ReST (learned reward model)")
    figure.tight_layout()
    temporary = path.with_name(path.stem + ".partial-tmp.png")
    figure.savefig(temporary)
    plt.close(figure)
    temporary.replace(path)


def write_comparison(root: Path, rest_em: Sequence[dict[str, Any]], rest: Sequence[dict[str, Any]],
                     reward_record: dict[str, Any]) -> Path:
    plot_comparison(rest_em, rest, root / PLOT)
    accuracy, auc = reward_record.get("held_out_accuracy"), reward_record.get("held_out_auc")
    text = "\n".join([
        "# ReST-EM vs ReST on the demo task", "",
        f"- reward model: a sequence classifier trained here on {reward_record['examples']} samples of the base "
        f"model labelled by the `arith` verifier ({100 * reward_record['positive_share']:.0f}% correct), starting "
        f"from the base model's weights; on samples of unseen problems its accuracy is {_percent(accuracy)}% and "
        f"its ranking accuracy (AUC: a correct sample outscores a wrong one) {'–' if auc is None else f'{auc:.3f}'}",
        "- ReST-EM (`rest-em/`): each iteration samples afresh, keeps what the exact verifier accepts, "
        "fine-tunes the base model",
        "- ReST (`rest/`): one Grow dataset scored by the reward model; each Improve step keeps the samples "
        "at or above a rising quantile of its rewards and fine-tunes the previous step's model", "",
        "pass@1 in percent on held-out problems, always judged by the exact verifier. \"verifier rejects\" "
        "columns count where the reward model is fooled: kept training samples the verifier marks wrong, and "
        "fresh held-out samples whose reward reaches the step's threshold but which the verifier marks wrong.",
        "", comparison_table(rest_em, rest), "",
        f"![pass@1 and fresh reward per step]({PLOT})", "",
        "Per-run reports: [rest-em/report.md](rest-em/report.md), [rest/report.md](rest/report.md).", ""])
    path = root / "report.md"
    write_text(path, text)
    return path


def run_rest_demo(root: Path, *, device: str = "cpu", seed: int = 0, quick: bool = False,
                  progress: bool | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pre-train, learn a reward model, run ReST-EM and ReST in `root`; returns both runs' metrics."""
    check_reward_plugin()
    settings, reward = (QUICK, QUICK_REWARD) if quick else (FULL, FULL_REWARD)
    root = Path(root)
    base = prepare_base(root, settings, seed=seed, device=device, progress=progress)
    reward_model = prepare_reward_model(root, base, settings, reward, seed=seed, device=device, progress=progress)
    rest_em = loop.run(rest_em_config(settings, root / "rest-em", base, device=device, seed=seed), progress=progress)
    rest = loop.run(rest_config(settings, reward, root / "rest", base, reward_model, device=device, seed=seed),
                    progress=progress)
    write_comparison(root, rest_em, rest, read_json(reward_model / RECORD))
    return rest_em, rest

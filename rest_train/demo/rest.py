"""`rest-em demo --mode rest`: ReST with a reward model learned here, beside ReST-EM with the exact verifier.

The story: the demo's base model (rest_train/demo/rest_em.py) samples solutions to training problems, the
`arith` verifier labels them, and a reward model learns those labels, as ReST (Gulcehre et al. 2023)
would have one for a task without an exact verifier. By default that is a likelihood pair (scorer
`rm-likelihood`): the base model fine-tuned on the correct samples against the base model fine-tuned on
the wrong ones, judging a completion by its least likely token relative to the other; `classifier` is a
sequence classifier started from the base model's weights (scorer `rm`), which ranks samples far worse
and shows what a weak reward model costs. ReST then grows one dataset
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

from rest_train.run import runner
from rest_train.config import GradingConfig, RestConfig, RunConfig, TrainConfig
from rest_train.demo.rest_em import CONTEXT, FULL, MAX_NEW_TOKENS, QUICK, DemoSettings, arith_task, demo_config, prepare_base
from rest_train.run.files import read_json, read_jsonl, write_jsonl, write_text
from rest_train.generation import Sampling
from rest_train.reports.rest_em import PLOT
from rest_train.training.reward_model import (NEGATIVE, POSITIVE, RECORD, from_language_model, separate_pairs,
                                     train_likelihood_reward_model, train_reward_model)
from rest_train.reports.viewer import write_view

log = logging.getLogger("rest_train")

REWARD_MODELS = ("likelihood", "classifier")
# How the `arith` task shows a problem to the policy (ArithTask.format_prompt): the likelihood reward
# model reads prompts the same way.
ARITH_PROMPT_FORMAT = "Q: {prompt}\n"


@dataclass(frozen=True)
class RewardDemoSettings:
    """The reward model's data and training, and ReST's schedule."""

    labelled_problems: int
    samples_per_problem: int
    epochs: float
    learning_rate: float
    likelihood_epochs: float
    likelihood_learning_rate: float
    improve_steps: int
    improve_epochs: float
    quantiles: tuple[float, ...]


# 4 samples of 1500 problems give ~6000 labelled samples, about a third of them correct; quantile
# thresholds keep the top 60%, then 40%, then 20% of the Grow dataset by reward (at the 0.9 quantile the
# likelihood pair's rewards sit on their plateau near 0 and keep too few samples to learn from). Improve
# steps build on each other, so each trains fewer epochs than a ReST-EM M-step from the base. `epochs`
# and `learning_rate` train the classifier; the likelihood pair has its own.
FULL_REWARD = RewardDemoSettings(labelled_problems=1500, samples_per_problem=4, epochs=4, learning_rate=5e-4,
                                 likelihood_epochs=8, likelihood_learning_rate=1e-3, improve_steps=3,
                                 improve_epochs=2, quantiles=(0.4, 0.6, 0.8))
QUICK_REWARD = RewardDemoSettings(labelled_problems=24, samples_per_problem=2, epochs=1, learning_rate=1e-3,
                                  likelihood_epochs=1, likelihood_learning_rate=1e-3, improve_steps=2,
                                  improve_epochs=1, quantiles=(0.0, 0.5))


def reward_verifier(kind: str) -> str:
    """The scorer that judges with a reward model of `kind`."""
    if kind not in REWARD_MODELS:
        raise RestEmError(f"reward model must be one of {', '.join(REWARD_MODELS)}, got {kind!r}")
    return "rm-likelihood" if kind == "likelihood" else "rm"


def check_reward_plugin(kind: str) -> None:
    name = reward_verifier(kind)
    try:
        get_verifier(name)
    except UnknownNameError:
        raise RestEmError(f"the ReST demo needs the `{name}` reward-model scorer of the rest-em-rm plugin: "
                          "pip install -e plugins/rm (and include rest-em-rm in REST_EM_PLUGINS if that "
                          "variable is set)") from None


def scorer_options(kind: str, *, device: str) -> dict[str, Any]:
    """How the demo's scorer of `kind` reads a reward model, whichever checkpoints it holds."""
    options: dict[str, Any] = {"max_length": CONTEXT, "batch_size": 256, "device": device}
    if kind == "likelihood":
        options.update(reduce="min", prompt_format=ARITH_PROMPT_FORMAT)
    return options


def reward_options(kind: str, reward_model: Path, *, device: str) -> dict[str, Any]:
    """How ReST's reward verifier is configured to read the demo's reward model."""
    if kind == "classifier":
        return {**scorer_options(kind, device=device), "checkpoint": str(reward_model)}
    return {**scorer_options(kind, device=device), "checkpoint": str(reward_model / POSITIVE),
            "reference": str(reward_model / NEGATIVE)}


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


def reward_model_path(root: Path, kind: str) -> Path:
    return root / f"reward_model{_suffix(kind)}"


def rest_path(root: Path, kind: str) -> Path:
    return root / f"rest{_suffix(kind)}"


def report_name(kind: str) -> str:
    return f"report{_suffix(kind)}.md"


def viewer_name(kind: str) -> str:
    return f"viewer{_suffix(kind)}.html"


def _suffix(kind: str) -> str:
    """What sets the folders and files of a non-default reward model apart, so that no run overwrites another."""
    return "" if kind == "likelihood" else f"-{kind}"


def prepare_reward_model(root: Path, base: Path, settings: DemoSettings, reward: RewardDemoSettings, *, kind: str,
                         seed: int, device: str, progress: bool | None) -> Path:
    """The reward model of `kind` (see REWARD_MODELS), trained now from verifier labels unless it exists."""
    output = reward_model_path(root, kind)
    if (output / RECORD).exists():
        return output
    data = root / "reward_data.jsonl"
    if data.exists():
        examples = read_jsonl(data)
    else:
        examples = labelled_samples(base, settings, reward, seed=seed, device=device, progress=progress)
        write_jsonl(data, examples)
    log.info("training a %s reward model on verifier-labelled samples (%d of %d correct)", kind,
             sum(e["label"] for e in examples), len(examples))
    if kind == "likelihood":
        train = TrainConfig(learning_rate=reward.likelihood_learning_rate, epochs=reward.likelihood_epochs,
                            batch_size=32, warmup_ratio=0.05, max_length=CONTEXT)
        record = train_likelihood_reward_model(examples, base, output, train,
                                               scorer_options=scorer_options(kind, device=device), seed=seed,
                                               device=device, progress=progress)
    else:
        record = train_classifier(examples, base, output, reward, seed=seed, device=device, progress=progress)
    log.info("reward model on samples of held-out problems: ranking accuracy (AUC) %.3f, within problems %.3f",
             record["held_out_auc"] or float("nan"), record["held_out_within_problem_auc"] or float("nan"))
    return output


def train_classifier(examples: list[dict[str, Any]], base: Path, output: Path, reward: RewardDemoSettings, *,
                     seed: int, device: str, progress: bool | None) -> dict[str, Any]:
    from transformers import AutoTokenizer

    tokenizer = separate_pairs(AutoTokenizer.from_pretrained(base))
    model = from_language_model(base)
    train = TrainConfig(learning_rate=reward.learning_rate, epochs=reward.epochs, batch_size=32, warmup_ratio=0.05,
                        max_length=CONTEXT)
    return train_reward_model(examples, tokenizer, model, output, train, seed=seed, device=device, progress=progress)


def rest_em_config(settings: DemoSettings, root: Path, base: Path, *, device: str, seed: int) -> RunConfig:
    config = demo_config(settings, root, device=device, iterations=settings.iterations, seed=seed)
    return dataclasses.replace(config, model=dataclasses.replace(config.model, path=str(base)))


def rest_config(settings: DemoSettings, reward: RewardDemoSettings, root: Path, base: Path, reward_model: Path, *,
                device: str, seed: int, kind: str = "likelihood") -> RunConfig:
    """ReST on the same problems and samples budget, with the learned reward: one Grow, rising quantiles."""
    config = rest_em_config(settings, root, base, device=device, seed=seed)
    return dataclasses.replace(
        config, mode="rest", grading=GradingConfig(verifier=reward_verifier(kind), workers=0),
        train=dataclasses.replace(config.train, init_from="previous", epochs=reward.improve_epochs),
        rest=RestConfig(grow_steps=1, improve_steps=reward.improve_steps, thresholds=list(reward.quantiles),
                        threshold_kind="quantile", reward_options=reward_options(kind, reward_model, device=device)))


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


def reward_model_summary(record: dict[str, Any]) -> str:
    """One line on what the reward model is and how well it ranks samples it never saw."""
    auc, within = record.get("held_out_auc"), record.get("held_out_within_problem_auc")
    kind = ("a likelihood pair: the base model fine-tuned on the correct samples against the base model "
            "fine-tuned on the wrong ones, a completion scored by its least likely token relative to the other "
            "(scorer `rm-likelihood`, reduce `min`)" if record.get("kind") == "likelihood" else
            "a sequence classifier started from the base model's weights (scorer `rm`)")
    return (f"- reward model: {kind}, trained here on {record['examples']} samples of the base model labelled by "
            f"the `arith` verifier ({100 * record['positive_share']:.0f}% correct); on samples of unseen problems "
            f"its ranking accuracy (AUC: a correct sample outscores a wrong one) is {_ratio(auc)}, and "
            f"{_ratio(within)} between samples of the same problem")


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def write_comparison(root: Path, kind: str, rest_em: Sequence[dict[str, Any]], rest: Sequence[dict[str, Any]],
                     reward_record: dict[str, Any]) -> Path:
    """`report.md` and `plot.png` in `root` (`report-classifier.md`, ... for the classifier reward model)."""
    plot = f"{Path(PLOT).stem}{_suffix(kind)}{Path(PLOT).suffix}"
    plot_comparison(rest_em, rest, root / plot)
    name = rest_path(root, kind).name
    text = "\n".join([
        "# ReST-EM vs ReST on the demo task", "",
        reward_model_summary(reward_record),
        "- ReST-EM (`rest-em/`): each iteration samples afresh, keeps what the exact verifier accepts, "
        "fine-tunes the base model",
        f"- ReST (`{name}/`): one Grow dataset scored by the reward model; each Improve step keeps the samples "
        "at or above a rising quantile of its rewards and fine-tunes the previous step's model", "",
        "pass@1 in percent on held-out problems, always judged by the exact verifier. \"verifier rejects\" "
        "columns count where the reward model is fooled: kept training samples the verifier marks wrong, and "
        "fresh held-out samples whose reward reaches the step's threshold but which the verifier marks wrong.",
        "", comparison_table(rest_em, rest), "",
        f"![pass@1 and fresh reward per step]({plot})", "",
        f"Per-run reports: [rest-em/report.md](rest-em/report.md), [{name}/report.md]({name}/report.md).", ""])
    path = root / report_name(kind)
    write_text(path, text)
    return path


def run_rest_demo(root: Path, *, device: str = "cpu", seed: int = 0, quick: bool = False,
                  reward_model: str = "likelihood",
                  progress: bool | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pre-train, learn a reward model, run ReST-EM and ReST in `root`; returns both runs' metrics.

    `reward_model` is one of REWARD_MODELS; each kind has its own folders and report (`reward_model/`,
    `rest/`, `report.md` for the default; `reward_model-classifier/`, `rest-classifier/`,
    `report-classifier.md`), so both can share one `root` and its base model and ReST-EM run.
    """
    check_reward_plugin(reward_model)
    settings, reward = (QUICK, QUICK_REWARD) if quick else (FULL, FULL_REWARD)
    root = Path(root)
    base = prepare_base(root, settings, seed=seed, device=device, progress=progress)
    model = prepare_reward_model(root, base, settings, reward, kind=reward_model, seed=seed, device=device,
                                 progress=progress)
    rest_em = runner.run(rest_em_config(settings, root / "rest-em", base, device=device, seed=seed), progress=progress)
    rest = runner.run(rest_config(settings, reward, rest_path(root, reward_model), base, model, device=device, seed=seed,
                                kind=reward_model), progress=progress)
    write_comparison(root, reward_model, rest_em, rest, read_json(model / RECORD))
    write_view(root / "rest-em")
    write_view(rest_path(root, reward_model), root / viewer_name(reward_model))  # beside the comparison report
    return rest_em, rest

"""The ReST run's summary: one row per Improve step (threshold, kept, fresh reward, pass@k) and a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from rest_train.config import RunConfig
from rest_train.run.files import write_text
from rest_train.reports.rest_em import PLOT, save_figure

HEADER = ["step", "grow", "improve", "threshold", "kept", "kept, verifier rejects", "fresh mean reward",
          "fresh high, verifier rejects", "pass@1"]


def _number(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def rest_rows(results: Sequence[dict[str, Any]]) -> list[list[str]]:
    """One row per result: iteration 0 is the base model, then each Improve step."""
    rows = []
    for result in results:
        step, fresh = result.get("estep"), result.get("fresh", {})
        rows.append([str(result["iteration"]),
                     str(step["grow"]) if step else "base", str(step["improve"]) if step else "–",
                     _number(step["threshold"]) if step else "–", _number(step["kept"]) if step else "–",
                     _number(step["kept_rejected"]) if step else "–", _number(fresh.get("mean_reward")),
                     _number(fresh.get("high_rejected")), _percent(result["pass@1"])])
    return rows


def rest_table(results: Sequence[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rest_rows(results)]
    return "\n".join(lines)


def plot_rest(results: Sequence[dict[str, Any]], path: Path, title: str = "ReST: per Improve step") -> None:
    """pass@1 (left axis) and the fresh samples' mean reward (right axis) per step, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["iteration"] for r in results]
    figure, accuracy = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    if all(r["pass@1"] is not None for r in results):
        accuracy.plot(steps, [100 * r["pass@1"] for r in results], "o-", color="C0", label="held-out pass@1")
    accuracy.set_xlabel("Improve step (0 = base model)")
    accuracy.set_ylabel("held-out pass@1 (%)")
    accuracy.set_ylim(0, 100)
    accuracy.set_xticks(steps)
    accuracy.grid(alpha=0.3)
    reward = accuracy.twinx()
    means = [r.get("fresh", {}).get("mean_reward") for r in results]
    reward.plot(steps, [float("nan") if m is None else m for m in means], "s--", color="C1",
                label="fresh mean reward")
    reward.set_ylabel("mean reward of fresh samples")
    handles = accuracy.get_legend_handles_labels()[0] + reward.get_legend_handles_labels()[0]
    accuracy.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="lower right")
    accuracy.set_title(title)
    save_figure(figure, path)


def write_rest_report(root: Path, results: Sequence[dict[str, Any]], config: RunConfig) -> Path:
    """Write report.md and plot.png at the run root (derived from metrics.json, so always rewritten)."""
    root = Path(root)
    plot_rest(results, root / PLOT)
    rest = config.rest
    text = "\n".join([
        "# ReST run report", "",
        f"- task `{config.data.task}`, base model `{config.model.path}`, reward `{config.grading.verifier}`"
        f"{' ' + str(rest.reward_options) if rest.reward_options else ''}",
        f"- {rest.grow_steps} Grow step(s) of K = {config.sampling.samples_per_problem} samples per training "
        f"problem, {rest.improve_steps} Improve steps each at {rest.threshold_kind} thresholds {rest.thresholds}"
        f"{', per-prompt z-scores' if rest.normalise == 'zscore' else ''}, at most "
        f"{config.filter.max_per_problem} kept per problem",
        f"- every Improve step fine-tunes the previous step's model; loss `{config.train.loss}`, learning rate "
        f"{config.train.learning_rate}, {config.train.epochs} epochs; seed {config.seed}",
        f"- held-out: {results[0]['problems']} problems, {results[0]['samples_per_problem']} samples each", "",
        "Threshold in reward units. \"kept, verifier rejects\": kept training samples the task's verifier marks "
        "wrong; \"fresh high, verifier rejects\": fresh held-out samples whose reward reaches the step's "
        "threshold but which the verifier marks wrong (the reward model fooled). pass@1 in percent.", "",
        rest_table(results), "",
        f"![pass@1 and fresh reward per Improve step]({PLOT})", "",
    ])
    path = root / "report.md"
    write_text(path, text)
    return path

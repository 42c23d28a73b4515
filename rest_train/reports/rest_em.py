"""The run's summary: a per-iteration table in report.md and a plot of the held-out curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from rest_train.config import RunConfig
from rest_train.run.files import write_text

PLOT = "plot.png"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def table(results: Sequence[dict[str, Any]]) -> str:
    """Markdown table: one row per iteration, metrics in percent, E-step and M-step sizes."""
    ks = sorted(results[0]["pass@k"], key=int)
    voted = [k for k in ks if k != "1"]  # maj@1 is pass@1 by definition
    header = (["iteration", "pass@1"] + [f"pass@{k}" for k in voted] + [f"maj@{k}" for k in voted]
              + ["train problems solved", "kept", "train loss"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        estep, mstep = result.get("estep"), result.get("mstep")
        solved = f"{estep['problems_solved']}/{estep['problems']}" if estep else "base model"
        loss = mstep.get("train_loss") if mstep else None
        row = ([str(result["iteration"]), _percent(result["pass@1"])]
               + [_percent(result["pass@k"][k]) for k in voted]
               + [_percent(result["maj@k"][k]) for k in voted]
               + [solved, str(estep["kept"]) if estep else "–", "–" if loss is None else f"{loss:.3f}"])
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot(results: Sequence[dict[str, Any]], path: Path) -> None:
    """pass@k (solid) and maj@k (dashed) per iteration, one colour per k, written atomically.

    The first iteration's gain is the one to look for: the paper's curves rise most there.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    iterations = [r["iteration"] for r in results]
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    ks = sorted(results[0]["pass@k"], key=int)
    for index, k in enumerate(ks):
        colour = f"C{index}"
        axes.plot(iterations, [100 * r["pass@k"][k] for r in results], "o-", color=colour, label=f"pass@{k}")
        if k != "1":  # maj@1 is pass@1
            axes.plot(iterations, [100 * r["maj@k"][k] for r in results], "s--", color=colour, alpha=0.7,
                      label=f"maj@{k}")
    axes.set_xlabel("iteration (0 = base model)")
    axes.set_ylabel("held-out accuracy (%)")
    axes.set_xticks(iterations)
    axes.set_ylim(0, 100)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, ncol=2)
    axes.set_title("ReST-EM: held-out accuracy per iteration")
    save_figure(figure, path)


def save_figure(figure: Any, path: Path) -> None:
    """Write `figure` to `path` atomically (a killed run never leaves half a PNG) and free it."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    temporary = path.with_name(path.stem + ".partial-tmp.png")
    figure.savefig(temporary)
    plt.close(figure)
    temporary.replace(path)


def write_report(root: Path, results: Sequence[dict[str, Any]], config: RunConfig) -> Path:
    """Write report.md and plot.png at the run root (derived from metrics.json, so always rewritten)."""
    root = Path(root)
    plot(results, root / PLOT)
    text = "\n".join([
        "# ReST-EM run report", "",
        f"- task `{config.data.task}`, base model `{config.model.path}`",
        f"- {config.iterations} iterations, K = {config.sampling.samples_per_problem} samples per training "
        f"problem, temperature {config.sampling.temperature}, top-k {config.sampling.top_k}, "
        f"at most {config.filter.max_per_problem} kept per problem",
        f"- M-step from `{config.train.init_from}`, loss `{config.train.loss}`, "
        f"learning rate {config.train.learning_rate}, {config.train.epochs} epochs; seed {config.seed}",
        f"- held-out: {results[0]['problems']} problems, {results[0]['samples_per_problem']} samples each "
        f"(unbiased pass@k, Chen et al. 2021; maj@k over extracted answers)", "",
        "Accuracy in percent on held-out problems; iteration 0 is the base model.", "",
        table(results), "",
        f"![held-out accuracy per iteration]({PLOT})", "",
    ])
    path = root / "report.md"
    write_text(path, text)
    return path

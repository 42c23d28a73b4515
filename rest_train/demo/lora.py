"""`rest-em demo --peft`: the ReST-EM demo with LoRA M-steps beside the same run with full fine-tuning.

Both start from the same pre-trained base model with the same seed, problems and sampling; only the M-step
differs. The full run lives in `rest-em/` (the folder the ReST demo also uses for its ReST-EM run, so the
two demos share it), the LoRA run in `lora/`, and `report-peft.md` puts their held-out pass@1 side by side.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

from rest_train.config import RunConfig
from rest_train.demo.rest_em import FULL, QUICK, DemoSettings, demo_config, prepare_base
from rest_train.run import runner
from rest_train.run.files import write_text

# Every linear layer of the demo's GPT-2 blocks; LoRA's usual rule of a learning rate several times the full
# fine-tune's, since the adapter starts at zero and holds few parameters.
LORA = {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["c_attn", "c_proj", "c_fc"]}
LEARNING_RATE_FACTOR = 4.0
REPORT = "report-peft.md"


def lora_config(config: RunConfig) -> RunConfig:
    """`config` with LoRA M-steps: the only difference between the two runs of the comparison."""
    train = dataclasses.replace(config.train, peft=dict(LORA),
                                learning_rate=config.train.learning_rate * LEARNING_RATE_FACTOR)
    return dataclasses.replace(config, train=train)


def comparison_table(full: Sequence[dict[str, Any]], lora: Sequence[dict[str, Any]]) -> str:
    """Per iteration: pass@1 (percent) with full fine-tuning and with LoRA, and LoRA's difference."""
    lines = ["| iteration | full fine-tuning pass@1 | LoRA pass@1 | LoRA − full |", "|---|---|---|---|"]
    for step in range(max(len(full), len(lora))):
        a = full[step]["pass@1"] if step < len(full) else None
        b = lora[step]["pass@1"] if step < len(lora) else None
        gap = "–" if a is None or b is None else f"{100 * (b - a):+.1f}"
        lines.append(f"| {step} | {_percent(a)} | {_percent(b)} | {gap} |")
    return "\n".join(lines)


def write_comparison(root: Path, full: Sequence[dict[str, Any]], lora: Sequence[dict[str, Any]]) -> Path:
    trained = [r["mstep"]["peft"]["trainable_parameters"] for r in lora if "mstep" in r]
    lines = ["# ReST-EM on the demo task: LoRA against full fine-tuning", "",
             f"Same base model, seed, problems and sampling; only the M-step differs. LoRA: {LORA} at "
             f"{LEARNING_RATE_FACTOR:g}x the learning rate, "
             f"{trained[0] if trained else '–'} trainable parameters, merged before sampling.", "",
             "Held-out pass@1 in percent (iteration 0 is the base model, the same for both):", "",
             comparison_table(full, lora), "",
             "Per-run reports: [rest-em/report.md](rest-em/report.md), [lora/report.md](lora/report.md).", ""]
    path = root / REPORT
    write_text(path, "\n".join(lines))
    return path


def run_lora_demo(root: Path, *, device: str = "cpu", iterations: int | None = None, seed: int = 0,
                  quick: bool = False, progress: bool | None = None,
                  report_to: Sequence[str] = ()) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pre-train (unless done), run ReST-EM with full and with LoRA M-steps, write the comparison."""
    settings: DemoSettings = QUICK if quick else FULL
    root = Path(root)
    base = prepare_base(root, settings, seed=seed, device=device, progress=progress)
    count = settings.iterations if iterations is None else iterations

    def config(folder: str) -> RunConfig:
        made = demo_config(settings, root / folder, device=device, iterations=count, seed=seed,
                           report_to=report_to)
        return dataclasses.replace(made, model=dataclasses.replace(made.model, path=str(base)))

    full = runner.run(config("rest-em"), progress=progress)
    lora = runner.run(lora_config(config("lora")), progress=progress)
    write_comparison(root, full, lora)
    return full, lora


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"

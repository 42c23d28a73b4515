"""`rest-em demo`: ReST-EM on a model small enough to pre-train from scratch on a laptop CPU.

The story, in the paper's terms: a tiny causal LM is pre-trained on "human" worked solutions of
multi-step arithmetic problems (the `arith` task), a fixed share of which contain an arithmetic slip,
as human data does. The pre-trained model therefore solves few held-out problems. ReST-EM then samples
K solutions per training problem, keeps only those the `arith` verifier rewards, fine-tunes the *base*
model on them, and repeats; held-out pass@1 rises most in the first iteration.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from rest_verify.errors import RestEmError, UnknownNameError
from rest_verify.plugins import get_task

from rest_train.run import runner
from rest_train.config import (DataConfig, EvalConfig, FilterConfig, GenerationConfig, GradingConfig, ModelConfig,
                               RunConfig, SamplingConfig, TrackingConfig, TrainConfig)
from rest_train.run.files import remove_partials, write_json
from rest_train.training.finetune import finetune
from rest_train.models.tiny import build_model, build_tokenizer
from rest_train.reports.viewer import write_view

log = logging.getLogger("rest_train")


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of one demo: the problems, the model, its pre-training, and the ReST-EM loop around it."""

    steps: int
    max_value: int
    slip_rate: float
    layers: int
    width: int
    heads: int
    pretrain_problems: int
    pretrain_epochs: float
    pretrain_learning_rate: float
    train_problems: int
    eval_problems: int
    samples_per_problem: int
    eval_ks: tuple[int, ...]
    finetune_epochs: float
    finetune_learning_rate: float
    iterations: int

    def problems(self) -> dict[str, Any]:
        """Options of the arith task shared by pre-training, training and held-out problems."""
        return {"steps": self.steps, "max_value": self.max_value, "max_operand": self.max_value}


# Three single-digit steps keep the arithmetic learnable in a minute; 80% of the "human" solutions slip
# once, so the pre-trained model copies slips and its pass@1 starts near a third.
FULL = DemoSettings(steps=3, max_value=9, slip_rate=0.8, layers=2, width=64, heads=4, pretrain_problems=3000,
                    pretrain_epochs=10, pretrain_learning_rate=3e-3, train_problems=1000, eval_problems=400,
                    samples_per_problem=4, eval_ks=(1, 4), finetune_epochs=6, finetune_learning_rate=5e-4,
                    iterations=3)
QUICK = DemoSettings(steps=2, max_value=9, slip_rate=0.8, layers=1, width=32, heads=2, pretrain_problems=200,
                     pretrain_epochs=1, pretrain_learning_rate=3e-3, train_problems=24, eval_problems=12,
                     samples_per_problem=2, eval_ks=(1, 2), finetune_epochs=1, finetune_learning_rate=1e-3,
                     iterations=1)

CONTEXT = 64  # characters: prompt (~13) plus the longest completion sampled
MAX_NEW_TOKENS = 48


def arith_task() -> Any:
    """The `arith` task from the registry, or a clear error saying how to get it."""
    try:
        return get_task("arith")
    except UnknownNameError:
        raise RestEmError("the demo needs the `arith` task of the rest-em-arith plugin: "
                          "pip install -e plugins/arith (and include rest-em-arith in REST_EM_PLUGINS "
                          "if that variable is set)") from None


def pretrain(task: Any, settings: DemoSettings, output: Path, *, seed: int, device: str,
             progress: bool | None = None) -> dict[str, Any]:
    """Train a fresh tiny LM on noisy worked solutions and save it (with its tokenizer) at `output`."""
    corpus = list(task.load(None, split="train", count=settings.pretrain_problems, seed=seed + 10,
                            slip_rate=settings.slip_rate, **settings.problems()))
    examples = [{"prompt": task.format_prompt(p), "completion": p.meta["solution"]} for p in corpus]
    alphabet = "".join(sorted(set("".join(e["prompt"] + e["completion"] for e in examples)) | set("0123456789-")))
    tokenizer = build_tokenizer(alphabet)
    model = build_model(tokenizer, layers=settings.layers, width=settings.width, heads=settings.heads,
                        context=CONTEXT, seed=seed)
    train = TrainConfig(learning_rate=settings.pretrain_learning_rate, epochs=settings.pretrain_epochs,
                        batch_size=32, warmup_ratio=0.05, max_length=CONTEXT)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="init.partial-", dir=output.parent) as initial:
        model.save_pretrained(initial)
        tokenizer.save_pretrained(initial)
        log.info("pre-training a %d-layer, %d-wide model on %d worked solutions (%.0f%% with a slip)",
                 settings.layers, settings.width, len(examples), 100 * settings.slip_rate)
        return finetune(initial, examples, output, train, seed=seed, device=device, progress=progress,
                        origin="random initialisation")


def demo_config(settings: DemoSettings, root: Path, *, device: str, iterations: int, seed: int,
                report_to: Sequence[str] = ()) -> RunConfig:
    """The ReST-EM run of the demo, as an ordinary config (run.json records it); `report_to`: its trackers,
    with their files in the run directory."""
    return RunConfig(
        output_dir=str(root), iterations=iterations, seed=seed,
        model=ModelConfig(path=str(root / "base"), device=device),
        data=DataConfig(task="arith",
                        train_options={"split": "train", "count": settings.train_problems, "seed": seed + 20,
                                       **settings.problems()},
                        eval_options={"split": "test", "count": settings.eval_problems, "seed": seed + 30,
                                      **settings.problems()}),
        sampling=SamplingConfig(samples_per_problem=settings.samples_per_problem, temperature=1.0, top_k=40,
                                max_new_tokens=MAX_NEW_TOKENS),
        generation=GenerationConfig(batch_size=512),
        grading=GradingConfig(verifier="arith", workers=0),
        filter=FilterConfig(max_per_problem=10),
        train=TrainConfig(init_from="base", learning_rate=settings.finetune_learning_rate,
                          epochs=settings.finetune_epochs, batch_size=32, max_length=CONTEXT),
        eval=EvalConfig(ks=list(settings.eval_ks)),
        tracking=TrackingConfig(report_to=list(report_to)),
    )


def prepare_base(root: Path, settings: DemoSettings, *, seed: int, device: str,
                 progress: bool | None = None) -> Path:
    """The pre-trained base model at `root/base`, trained now unless an earlier run left it there."""
    remove_partials(root)  # a pre-training killed mid-way leaves its initial model behind
    base = root / "base"
    if not (root / "demo.json").exists():
        write_json(root / "demo.json", {"settings": dataclasses.asdict(settings), "seed": seed})
    if not base.exists():
        pretrain(arith_task(), settings, base, seed=seed, device=device, progress=progress)
    return base


def run_demo(root: Path, *, device: str = "cpu", iterations: int | None = None, seed: int = 0,
             quick: bool = False, progress: bool | None = None, report_to: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Pre-train (unless `root/base` exists) and run ReST-EM in `root`; returns per-iteration metrics.

    Ends by writing the run's viewer (rest_train.reports.viewer) beside its report.md."""
    settings = QUICK if quick else FULL
    root = Path(root)
    prepare_base(root, settings, seed=seed, device=device, progress=progress)
    config = demo_config(settings, root, device=device, seed=seed,
                         iterations=settings.iterations if iterations is None else iterations, report_to=report_to)
    results = runner.run(config, progress=progress)
    write_view(root)
    return results

"""`rest-em run CONFIG` and `rest-em demo`: the training verbs, registered in `rest_train.plugin`.

rest-em's own errors raised here end as one line at the root command's edge.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any, Callable

import click

from rest_train.stack import require_training_stack
from rest_train.reports.viewer import VIEWER_NAME


def _show_config_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from rest_train.config import describe

    click.echo(describe())
    ctx.exit()


def _run_and_report(verb: str, action: Callable[[], Any], root: Path,
                    render: Callable[[Any], str] | None = None, report: str = "report.md",
                    viewer: str = VIEWER_NAME) -> None:
    """Check the training stack, run `action` with progress logged, then print the summary (`render` of the
    results; default: the per-iteration table) and the places of the report and, where written, the viewer."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    require_training_stack(verb)
    results = action()
    if os.environ.get("RANK", "0") != "0":  # one of several processes of a launcher: rank 0 reports
        return
    from rest_train.reports.rest_em import table

    click.echo((render or table)(results))
    click.echo(f"\nreport: {root / report}")
    if (root / viewer).exists():
        click.echo(f"viewer: {root / viewer}")


@click.command()
@click.argument("config_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Run directory (overrides output_dir); rerun with the same one to resume.")
@click.option("--iterations", type=click.IntRange(min=0), help="Overrides the config's iterations.")
@click.option("--device", help="Overrides model.device: auto, cpu, cuda or cuda:N.")
@click.option("--config-help", is_flag=True, expose_value=False, is_eager=True, callback=_show_config_help,
              help="Print every config key with its default and meaning, then exit.")
@click.option("--check", "check_only", is_flag=True,
              help="Check the config without a model or GPU (data, prompt, verifier, backend, LoRA targets, "
                   "trackers, output directory), print each check, exit 2 if one fails.")
def run(config_file: Path, output: Path | None, iterations: int | None, device: str | None,
        check_only: bool) -> None:
    """Run ReST-EM as described by the TOML CONFIG_FILE (or resume it where it stopped)."""
    from rest_train.run import runner
    from rest_train.config import ConfigError, load_config

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        if not check_only:
            raise
        click.echo(f"failed  config: {exc}")
        raise SystemExit(2) from None
    if output is not None:
        config = dataclasses.replace(config, output_dir=str(output.resolve()))
    if iterations is not None:
        config = dataclasses.replace(config, iterations=iterations)
    if device is not None:
        config = dataclasses.replace(config, model=dataclasses.replace(config.model, device=device))
    if check_only:
        _check(config)
        return
    _run_and_report("run", lambda: runner.run(config), Path(config.output_dir))


def _check(config: Any) -> None:
    from rest_train.run.check import check

    results = check(config)
    for result in results:
        click.echo(result.line())
    if any(result.status == "failed" for result in results):
        raise SystemExit(2)
    click.echo("config ok")


@click.command()
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("rest-em-demo"),
              show_default=True, help="Run directory; rerun with the same one to resume.")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True)
@click.option("--iterations", type=click.IntRange(min=0), help="ReST-EM iterations (default: the preset's).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quick", is_flag=True, help="A tiny setting that finishes in seconds (for tests), not a result.")
@click.option("--mode", type=click.Choice(["rest-em", "rest"]), default="rest-em", show_default=True,
              help="'rest': also learn a reward model from verifier labels and run ReST with it beside ReST-EM.")
@click.option("--reward-model", type=click.Choice(["likelihood", "classifier"]), default="likelihood",
              show_default=True, help="--mode rest: the reward model to learn (see rest_train/README.md).")
@click.option("--peft", is_flag=True,
              help="Also run the demo with LoRA M-steps (peft) and compare it with full fine-tuning "
                   "(report-peft.md).")
@click.option("--report-to", multiple=True, type=click.Choice(["tensorboard", "mlflow", "wandb"]),
              help="Track the ReST-EM run(s) there, files in each run's tracking/ folder (repeat for several).")
def demo(output: Path, device: str, iterations: int | None, seed: int, quick: bool, mode: str,
         reward_model: str, peft: bool, report_to: tuple[str, ...]) -> None:
    """Pre-train a tiny LM from scratch on arithmetic, then improve it with ReST-EM iterations."""
    root = output.resolve()
    if mode == "rest":
        from rest_train.demo.rest import comparison_table, report_name, run_rest_demo, viewer_name

        if iterations is not None:
            raise click.UsageError("--iterations applies to --mode rest-em; the ReST demo has a fixed schedule")
        if peft or report_to:
            raise click.UsageError("--peft and --report-to apply to --mode rest-em")
        _run_and_report("demo", lambda: run_rest_demo(root, device=device, seed=seed, quick=quick,
                                                      reward_model=reward_model), root,
                        render=lambda runs: comparison_table(*runs), report=report_name(reward_model),
                        viewer=viewer_name(reward_model))
        return
    if reward_model != "likelihood":
        raise click.UsageError("--reward-model applies to --mode rest")
    if peft:
        from rest_train.demo import lora

        _run_and_report("demo", lambda: lora.run_lora_demo(root, device=device, iterations=iterations, seed=seed,
                                                           quick=quick, report_to=report_to), root,
                        render=lambda runs: lora.comparison_table(*runs), report=lora.REPORT)
        return
    from rest_train.demo.rest_em import run_demo

    _run_and_report("demo", lambda: run_demo(root, device=device, iterations=iterations, seed=seed, quick=quick,
                                             report_to=report_to), root)

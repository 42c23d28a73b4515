"""Run (or resume) a configured run: the mode picks its loop, and the launcher's processes join in."""

from __future__ import annotations

from typing import Any

from rest_train.config import RunConfig
from rest_train.run.ranks import joined
from rest_train.run.loop import Loop, StageHook
from rest_train.run.rest import RestLoop

LOOPS: dict[str, type[Loop]] = {"rest-em": Loop, "rest": RestLoop}


def run(config: RunConfig, *, stage_hook: StageHook | None = None,
        progress: bool | None = None) -> list[dict[str, Any]]:
    """Run (or resume) the loop of `config.mode`; returns the metrics of iterations 0..N.

    Started by `torchrun` or `accelerate launch`, the launcher's processes run it together.
    """
    loop_class = LOOPS[config.mode]
    with joined() as ranks:
        return loop_class(config, stage_hook=stage_hook, progress=progress, ranks=ranks).run()

"""One rank of a `torchrun` launch of the loop, recording what it did (tests/train/test_distributed.py).

Usage: rank_driver.py CONFIG_JSON LOG_DIR. Each rank appends to LOG_DIR/rank<R>.jsonl the stages it ran
and every change it made under the run directory, as Python's audit hooks report them: opening a file
for writing, creating, renaming or removing one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
CHANGES = {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "shutil.rmtree", "os.truncate"}


def main() -> None:
    config_path, log_dir = Path(sys.argv[1]), Path(sys.argv[2])
    import torch

    from rest_train.run import runner
    from rest_train.config import from_dict

    torch.set_num_threads(1)
    config = from_dict(json.loads(config_path.read_text()))
    root = os.path.realpath(config.output_dir)
    log = log_dir / f"rank{os.environ['RANK']}.jsonl"

    def record(**entry: Any) -> None:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def under_root(path: Any) -> str | None:
        if isinstance(path, int):
            return None
        text = os.path.realpath(os.fsdecode(path))
        return text if text == root or text.startswith(root + os.sep) else None

    def watch(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & WRITE_FLAGS)
            target = under_root(path) if writing else None
        elif event in CHANGES:
            target = under_root(args[0])
        else:
            return
        if target is not None:
            record(write=event, path=target)

    sys.addaudithook(watch)
    runner.run(config, stage_hook=lambda iteration, stage: record(stage=[iteration, stage]), progress=False)


if __name__ == "__main__":
    main()

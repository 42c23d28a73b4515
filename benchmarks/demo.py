"""Does `rest-em demo` meet its targets? Wall time, and held-out pass@1 per ReST-EM iteration.

Targets: the whole demo (pre-training included) under 5 minutes on 2 CPU cores; held-out pass@1 after
iteration 1 at least 15 points above the base model; the largest gain in iteration 1 (the paper's
shape). Prints the per-iteration table and a JSON summary; exits 1 when a target is missed.

    python benchmarks/demo.py [--output DIR] [--device cpu] [--threads N] [--seed 0] [--quick]

The output directory is a fresh temporary one unless --output is given (an existing run would resume,
which measures nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 300.0
TARGET_GAIN = 0.15


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, help="run directory (default: a temporary one, removed after)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="the test-sized setting (no targets apply)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from rest_train.demo.rest_em import run_demo
    from rest_train.reports.rest_em import table

    with tempfile.TemporaryDirectory(prefix="rest-em-demo-") as scratch:
        root = args.output or Path(scratch) / "demo"
        if (root / "run.json").exists():
            parser.error(f"{root} already holds a run; give a new --output to measure")
        started = time.monotonic()
        results = run_demo(root, device=args.device, seed=args.seed, quick=args.quick, progress=False)
        seconds = time.monotonic() - started
        pretrain_seconds = json.loads((root / "base" / "rest_em_training.json").read_text())["seconds"]

    pass1 = [r["pass@1"] for r in results]
    gains = [b - a for a, b in zip(pass1, pass1[1:])]
    checks = {
        f"wall time under {TARGET_SECONDS:.0f}s": seconds < TARGET_SECONDS,
        f"iteration 1 gains at least {100 * TARGET_GAIN:.0f} points": bool(gains) and gains[0] >= TARGET_GAIN,
        "largest gain in iteration 1": bool(gains) and gains[0] == max(gains),
    }
    print(table(results))
    summary = {"seconds": round(seconds, 1), "pretrain_seconds": pretrain_seconds,
               "threads": torch.get_num_threads(), "seed": args.seed, "quick": args.quick,
               "pass@1": [round(p, 4) for p in pass1], "gains": [round(g, 4) for g in gains],
               "targets": checks}
    print(json.dumps(summary, indent=2))
    return 0 if args.quick or all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

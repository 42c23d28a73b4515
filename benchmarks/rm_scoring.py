"""Reward-model scoring: the engine's batched path against one-at-a-time scoring of the same model, same run.

    python benchmarks/rm_scoring.py [--scorer classifier|likelihood] [--items 2000] [--batch-size 256]
                                    [--layers 2] [--width 64] [--threads 2]

A tiny reward model (character tokenizer, built here, no download) scores `--items`
arithmetic-style completions (a) one at a time in process, as a per-item verifier would, and (b) through
`grade(workers=1)`, which sends batches of `--batch-size` to one long-lived scoring process; the ratio
b/a has a target of >= 10x on 2 cores. `--scorer classifier` (the default) is a GPT-2 sequence
classifier scored by `rm`; `--scorer likelihood` two GPT-2 causal LMs of the same size scored by
`rm-likelihood` (one against the other, reduce `min`), which runs both models over every item. Also printed: the largest score difference between the two (the
batch must not change a score, target < 1e-5), the scoring process's peak resident memory, and the
caller's. Wall-clock rates depend on how busy the machine is, so the CPU seconds each path spent
(caller and scoring process together) are printed too: their ratio holds on a shared machine.

Both paths run with the same number of torch threads, `--threads` (default 2: the 2-core machine the
target is stated for), set through OMP_NUM_THREADS before torch loads, so the scoring process inherits it.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time

from pathlib import Path
from typing import Any, Callable

from rest_em_rm import LikelihoodScorer, TransformersScorer
from rest_train.training.reward_model import build_reward_model
from rest_train.models.tiny import build_model, build_tokenizer
from rest_verify import Grader, Problem


def items(count: int, seed: int = 0) -> tuple[list[Problem], list[str]]:
    rng = random.Random(seed)
    problems, completions = [], []
    for index in range(count):
        a, b, c = rng.randint(0, 9), rng.randint(1, 9), rng.randint(1, 9)
        problems.append(Problem(id=f"p{index}", prompt=f"{a}+{b}-{c}"))
        slip = rng.choice((0, 0, 1, -1))
        completions.append(f"{a}+{b}={a + b}\n{a + b}-{c}={a + b - c + slip}\nAnswer: {a + b - c + slip}")
    return problems, completions


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def saved_scorer(kind: str, folder: Path, args: argparse.Namespace) -> Callable[[int], Any]:
    """Save the reward model(s) of `kind` in `folder`; returns a maker of scorers for a batch size."""
    tokenizer = build_tokenizer()
    sizes = {"layers": args.layers, "width": args.width, "heads": 4, "context": 128}
    if kind == "classifier":
        build_reward_model(tokenizer, seed=0, **sizes).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        return lambda batch_size: TransformersScorer(str(folder), max_length=128, batch_size=batch_size)
    for name, seed in (("positive", 0), ("negative", 1)):
        build_model(tokenizer, seed=seed, **sizes).save_pretrained(folder / name)
        tokenizer.save_pretrained(folder / name)
    return lambda batch_size: LikelihoodScorer(str(folder / "positive"), reference=str(folder / "negative"),
                                               reduce="min", max_length=128, batch_size=batch_size)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid`, all threads (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorer", choices=["classifier", "likelihood"], default="classifier")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of both paths (default 2)")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read when torch loads, here and in the scoring process
    import torch  # none of the imports above loads it

    torch.set_num_threads(args.threads)

    problems, completions = items(args.items)
    with tempfile.TemporaryDirectory(prefix="rm-bench-") as folder:
        make = saved_scorer(args.scorer, Path(folder), args)
        scorer, single = make(args.batch_size), make(1)
        single.verify(problems[0], completions[0])  # model loaded, as in a running grader
        cpu = time.process_time()
        one_time, one = timed(lambda: [single.verify(p, c) for p, c in zip(problems, completions)])
        one_cpu = time.process_time() - cpu

        with Grader(scorer, workers=1, timeout=120, cache=False, progress=False) as grader:
            grader.grade(problems[:2], completions[:2])  # scoring process started, model loaded
            pid = grader._batched._process.pid
            cpu, child_cpu = time.process_time(), cpu_seconds(pid)
            batched_time, batched = timed(lambda: grader.grade(problems, completions))
            batched_cpu = time.process_time() - cpu + cpu_seconds(pid) - child_cpu
            with open(f"/proc/{pid}/status") as status:
                peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

    difference = max(abs(a.reward - b.reward) for a, b in zip(one, batched))  # type: ignore[union-attr]
    model = "GPT-2 classifier" if args.scorer == "classifier" else "two GPT-2 causal LMs (rm-likelihood)"
    print(f"model: {model}, {args.layers} layers x {args.width} wide; {args.items} items; "
          f"{args.threads} torch thread(s) on both paths; load average {os.getloadavg()[0]:.1f}")
    print(f"(a) one at a time, in process     : {args.items / one_time:8.0f} items/s")
    print(f"(b) grade(), batches of {args.batch_size:<4}      : {args.items / batched_time:8.0f} items/s "
          f"(one scoring process)")
    print(f"    speed-up b/a, wall clock      : {one_time / batched_time:8.1f}x   (target >= 10)")
    print(f"    CPU seconds per 1000 items    : a {1000 * one_cpu / args.items:.2f}, b {1000 * batched_cpu / args.items:.2f}"
          f"  -> b/a {one_cpu / batched_cpu:.1f}x")
    print(f"    largest score difference a/b  : {difference:.2e}   (target < 1e-5)")
    print(f"    peak RSS: scoring process {peak_kb / 1024:.0f} MB, caller "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()

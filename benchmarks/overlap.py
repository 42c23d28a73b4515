"""One E-step with generation and grading overlapped, against generate-then-grade, in the same run.

    python benchmarks/overlap.py [--data ../shared/data] [--apps-limit 60] [--arith-problems 96]

Two workloads, each through `rest_train.run.overlap.sample_and_grade` (what the loop runs):

- arith: the demo's task. A quick demo model is pre-trained here and samples K completions per problem
  with the transformers backend; that run gives the completions and the measured generation rate.
- apps: the HumanEval + MBPP problems in APPS layout, graded by `apps` in the Docker sandbox. K = 2
  completions per problem: its reference solution and another problem's (so half are wrong). No code
  model runs offline, so the generation rate is set so that generation takes as long as grading (the
  case where overlap matters most) unless `--apps-seconds-per-prompt` gives one.
  (`python benchmarks/apps_throughput.py` runs the APPS corpus alone.)

The completions are then replayed at that rate (a sleep per prompt: generation on an accelerator leaves
the CPUs to grading) in two ways: a generator that streams each prompt as it finishes, and one that
returns everything at the end. Printed per workload: generation alone, grading alone (a warm pool, no
cache; timed before and after the E-steps, averaged), generate-then-grade, overlapped, and
overlapped / max(generation, grading) (target <= 1.15). Exits 1 when a workload misses the target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rest_verify import Grader, Problem  # noqa: E402
from rest_train.generation import Sampling  # noqa: E402
from rest_train.run.overlap import sample_and_grade  # noqa: E402

TARGET = 1.15


class Replay:
    """Recorded completions, handed back at a recorded generation rate."""

    def __init__(self, completions: list[list[str]], seconds_per_prompt: float):
        self.completions = completions
        self.seconds_per_prompt = seconds_per_prompt


class StreamingReplay(Replay):
    """Yields each prompt's completions as soon as its generation time has passed."""

    def generate_stream(self, prompts: Sequence[str], n: int, sampling: Sampling) -> Iterator[tuple[int, list[str]]]:
        for index in range(len(prompts)):
            time.sleep(self.seconds_per_prompt)
            yield index, self.completions[index]


class BatchReplay(Replay):
    """The same generation time, but every completion at the end: generate-then-grade."""

    def generate(self, prompts: Sequence[str], n: int, sampling: Sampling) -> list[list[str]]:
        time.sleep(self.seconds_per_prompt * len(prompts))
        return self.completions


def timed(function: Any) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def estep(name: str, problems: list[Problem], completions: list[list[str]], seconds_per_prompt: float | None,
          grader: Grader) -> float:
    """Print the figures of one workload; returns overlapped / max(generation, grading).

    Grading alone is timed before and after the two E-steps and averaged, so that a change of load on
    a shared machine during the run weighs on both sides of the ratio. Without `seconds_per_prompt`,
    generation is paced to take as long as the first grading.
    """
    prompts = [problem.id for problem in problems]
    n = len(completions[0])
    flat_problems = [problem for problem, texts in zip(problems, completions) for _ in texts]
    flat = [text for texts in completions for text in texts]
    grader.grade(flat_problems[:4], flat[:4])  # workers (and sandboxes) warm, as mid-run
    grading_before = timed(lambda: grader.grade(flat_problems, flat))
    if seconds_per_prompt is None:
        seconds_per_prompt = grading_before / len(problems)
    generation = timed(lambda: list(StreamingReplay(completions, seconds_per_prompt).generate_stream(
        prompts, n, Sampling())))
    overlapped = timed(lambda: sample_and_grade(StreamingReplay(completions, seconds_per_prompt), prompts,
                                                problems, n, Sampling(), grader, backend="replay"))
    sequential = timed(lambda: sample_and_grade(BatchReplay(completions, seconds_per_prompt), prompts, problems,
                                                n, Sampling(), grader, backend="replay"))
    grading_after = timed(lambda: grader.grade(flat_problems, flat))
    grading = (grading_before + grading_after) / 2
    ratio = overlapped / max(generation, grading)
    print(f"{name}: {len(problems)} problems x {n} samples, {seconds_per_prompt * 1000:.1f} ms generation per prompt")
    print(f"  generation alone      {generation:7.2f} s")
    print(f"  grading alone         {grading:7.2f} s   ({len(flat) / grading:.1f} items/s; {grading_before:.2f} s "
          f"before the E-steps, {grading_after:.2f} s after)")
    print(f"  generate, then grade  {sequential:7.2f} s   (sum of the two: {generation + grading:.2f} s)")
    print(f"  overlapped            {overlapped:7.2f} s   = {ratio:.2f} x max(generation, grading) "
          f"(target <= {TARGET}); {sequential / overlapped:.2f}x faster than generate-then-grade")
    return ratio


def arith_workload(problem_count: int, samples: int) -> tuple[list[Problem], list[list[str]], float]:
    """Problems, completions sampled by a freshly pre-trained demo model, and its seconds per prompt."""
    import torch

    from rest_verify.plugins import get_task
    from rest_train.demo.rest_em import MAX_NEW_TOKENS, QUICK, pretrain
    from rest_train.generation.transformers import TransformersGenerator

    torch.set_num_threads(1)
    task = get_task("arith")
    problems = list(task.load(None, split="train", count=problem_count, seed=20, **QUICK.problems()))
    prompts = [task.format_prompt(problem) for problem in problems]
    with tempfile.TemporaryDirectory(prefix="overlap-") as folder:
        pretrain(task, QUICK, Path(folder) / "base", seed=0, device="cpu", progress=False)
        generator = TransformersGenerator(str(Path(folder) / "base"), device="cpu", batch_size=64, progress=False)
        sampling = Sampling(max_new_tokens=MAX_NEW_TOKENS, stop=tuple(task.stop), seed=1)
        start = time.perf_counter()
        completions = generator.generate(prompts, samples, sampling)
        seconds = time.perf_counter() - start
        generator.close()
    return problems, completions, seconds / len(problems)


def apps_workload(data: Path, limit: int) -> tuple[list[Problem], list[list[str]]]:
    from apps_throughput import load

    problems, solutions = load(data, limit)
    wrong = solutions[1:] + solutions[:1]  # another problem's solution: fails this one's tests
    return problems, [[right, other] for right, other in zip(solutions, wrong)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--arith-problems", type=int, default=96)
    parser.add_argument("--samples", type=int, default=4, help="K for arith")
    parser.add_argument("--apps-limit", type=int, default=60, help="APPS problems (of 1067)")
    parser.add_argument("--apps-seconds-per-prompt", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-apps", action="store_true")
    args = parser.parse_args()

    ratios = []
    problems, completions, seconds_per_prompt = arith_workload(args.arith_problems, args.samples)
    with Grader("arith", workers=args.workers, cache=False, progress=False) as grader:
        ratios.append(estep("arith", problems, completions, seconds_per_prompt, grader))

    if not args.skip_apps:
        from rest_em_apps import AppsVerifier

        problems, completions = apps_workload(args.data, args.apps_limit)
        with Grader(AppsVerifier(sandbox="docker"), workers=args.workers, cache=False, progress=False) as grader:
            ratios.append(estep("apps", problems, completions, args.apps_seconds_per_prompt, grader))
    return 0 if all(ratio <= TARGET for ratio in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())

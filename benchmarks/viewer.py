"""How fast does `rest-em view` open a big run, and how big is its page?

Writes a synthetic ReST-EM run directory of 100,000 training samples (plus held-out samples) with
completions of realistic length and variety, builds the viewer page, then opens it in headless Chromium
(Debian's `chromium`) and reads the time from the start of navigation to the page's first render (the
page records `performance.now()` in `data-render-ms`: real time, even under `--virtual-time-budget`), and
the wall times of whole browser runs (start-up included; a DOM dump, which serialises the embedded data,
and a screenshot) beside those of a blank page.
Targets (issue 27): under 3 s to first render, under 50 MB of HTML.

    python benchmarks/viewer.py [--samples 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from rest_train.reports.viewer import write_view

WORDS = ("first", "we", "compute", "the", "sum", "of", "both", "terms", "then", "multiply", "by", "so", "that",
         "gives", "therefore", "answer", "is", "note", "carry", "digit", "next", "add", "subtract", "check")
STATUSES = ("correct", "wrong", "wrong", "no_answer", "timeout")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=30000")


def completion(rng: random.Random) -> str:
    steps = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))) + f" {rng.randint(0, 9999)}."
             for _ in range(rng.randint(3, 8))]
    return "\n".join(steps) + f"\nThe answer is {rng.randint(0, 999)}"


def verdict(problem_id: str, sample: int, rng: random.Random) -> dict:
    status = rng.choice(STATUSES)
    return {"problem_id": problem_id, "sample": sample, "reward": float(status == "correct"), "status": status,
            "detail": "" if status == "correct" else f"expected {rng.randint(0, 999)}, got {rng.randint(0, 999)}",
            "elapsed": 0.001, "info": {"answer": str(rng.randint(0, 999)), "extraction": "the answer is"}}


def write_stage(directory: Path, prefix: str, problems: list[str], per_problem: int, rng: random.Random) -> list:
    samples = [{"problem_id": p, "sample": s, "prompt": f"Compute problem {p}.", "completion": completion(rng)}
               for p in problems for s in range(per_problem)]
    verdicts = [verdict(s["problem_id"], s["sample"], rng) for s in samples]
    (directory / f"{prefix}samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    (directory / f"{prefix}verdicts.jsonl").write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    return [s for s, v in zip(samples, verdicts) if v["status"] == "correct"]


def synthetic_run(root: Path, samples: int, iterations: int = 4, per_problem: int = 25) -> None:
    rng = random.Random(0)
    problems = [f"train-{i}" for i in range(samples // (iterations * per_problem))]
    held_out = [f"eval-{i}" for i in range(200)]
    root.mkdir(parents=True)
    (root / "problems.jsonl").write_text("".join(json.dumps({"id": p, "prompt": f"Compute problem {p}.",
                                                             "reference": str(rng.randint(0, 999))}) + "\n"
                                                 for p in problems))
    for iteration in range(iterations + 1):
        directory = root / f"iter_{iteration:02d}"
        directory.mkdir()
        metrics = {"pass@1": 0.2 + 0.05 * iteration, "pass@k": {"1": 0.2 + 0.05 * iteration, "4": 0.5},
                   "maj@k": {"4": 0.3}}
        if iteration:
            kept = write_stage(directory, "", problems, per_problem, rng)
            (directory / "train.jsonl").write_text("".join(json.dumps(dict(k, reward=1.0)) + "\n" for k in kept))
            metrics["estep"] = {"kept": len(kept), "problems_solved": len(problems), "threshold": 1.0}
        write_stage(directory, "eval_", held_out, 4, rng)
        (directory / "metrics.json").write_text(json.dumps(dict(metrics, iteration=iteration)))


def open_in_chromium(page: Path, profile: Path) -> tuple[int, float]:
    """(the page's own time to first render in ms, the browser run's wall seconds)."""
    started = time.monotonic()
    done = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    wall = time.monotonic() - started
    body = re.search(r"<body[^>]*>", done.stdout).group(0)
    rendered = re.search(r'data-render-ms="(\d+)"', body)
    if 'data-ready="true"' not in body or rendered is None:
        raise SystemExit(f"the page did not render: {body}")
    return int(rendered.group(1)), wall


def screenshot_wall(page: Path, profile: Path) -> float:
    """Wall seconds of a browser run that opens the page and paints it into a PNG (no DOM dump)."""
    started = time.monotonic()
    subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1800",
                    f"--screenshot={profile / 'shot.png'}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="Write the run here and keep it.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="viewer-bench-"))
    try:
        root = args.keep or work / "run"
        synthetic_run(root, args.samples)
        started = time.monotonic()
        page = write_view(root, work / "viewer.html")
        build = time.monotonic() - started
        blank = work / "blank.html"
        blank.write_text('<!DOCTYPE html><body data-ready="true" data-render-ms="0"></body>')
        _, blank_wall = open_in_chromium(blank, work / "profile-blank")
        render_ms, wall = open_in_chromium(page, work / "profile")
        shot, blank_shot = screenshot_wall(page, work / "profile"), screenshot_wall(blank, work / "profile-blank")
        samples = sum(1 for _ in root.glob("iter_*/*samples.jsonl") for _ in _.open())
        print(json.dumps({"samples": samples, "html_mb": round(page.stat().st_size / 1e6, 2),
                          "build_s": round(build, 2), "first_render_ms": render_ms,
                          "chromium_wall_s": round(wall, 2), "blank_page_wall_s": round(blank_wall, 2),
                          "screenshot_wall_s": round(shot, 2), "blank_screenshot_wall_s": round(blank_shot, 2)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

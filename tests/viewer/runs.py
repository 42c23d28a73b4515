"""Run directories and a graded file written by hand in the layout rest_train/loop.py and rest.py write,
small enough to read in a test: three problems, two iterations, one hostile completion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

HOSTILE = ('</script><script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
           '<a href="javascript:document.title=\'pwned\'">click</a> the answer is 4')
PROBLEMS = {"p1": ("What is 2+2?", "4"), "p2": ("What is 3*3?", "9"), "p3": ("What is 10-7?", "3")}


def _jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _verdict(problem_id: str, sample: int, completion: str, answer: str) -> dict[str, Any]:
    right = completion.rstrip().endswith(answer)
    return {"problem_id": problem_id, "sample": sample, "reward": 1.0 if right else 0.0,
            "status": "correct" if right else "wrong", "detail": "" if right else f"expected {answer}",
            "elapsed": 0.001, "info": {"answer": completion.split()[-1]}}


def _samples(iteration: int) -> list[tuple[str, int, str]]:
    """(problem, sample, completion): two samples per problem; iteration 2 answers better."""
    return [("p1", 0, HOSTILE), ("p1", 1, "2+2 is 5"),
            ("p2", 0, "3*3 is 9"), ("p2", 1, "3*3 is 6" if iteration == 1 else "3*3 is 9"),
            ("p3", 0, "10-7 is 2" if iteration == 1 else "10-7 is 3"), ("p3", 1, "10-7 is 1")]


def _eval(directory: Path, iteration: int) -> None:
    rows = [("q1", 0, "1+1 is 2"), ("q1", 1, "1+1 is 3" if iteration < 2 else "1+1 is 2")]
    _jsonl(directory / "eval_samples.jsonl",
           [{"problem_id": p, "sample": s, "prompt": "What is 1+1?", "completion": c} for p, s, c in rows])
    _jsonl(directory / "eval_verdicts.jsonl", [_verdict(p, s, c, "2") for p, s, c in rows])


def _metrics(iteration: int, passed: float, **extra: Any) -> dict[str, Any]:
    return {"iteration": iteration, "pass@1": passed, "pass@k": {"1": passed, "2": min(1.0, passed + 0.5)},
            "maj@k": {"1": passed, "2": passed}, "problems": 1, "samples_per_problem": 2, **extra}


def make_run(root: Path, mode: str = "rest-em") -> Path:
    """A finished two-iteration run of `mode` ('rest-em' or 'rest': one Grow, two Improve steps)."""
    root.mkdir(parents=True)
    (root / "run.json").write_text(json.dumps({"config": {"mode": mode, "data": {"task": "arith"}},
                                               "verifier": "rm" if mode == "rest" else "arith"}))
    _jsonl(root / "problems.jsonl", [{"id": pid, "prompt": prompt, "reference": ref, "domain": "arith", "meta": {}}
                                     for pid, (prompt, ref) in PROBLEMS.items()])
    _eval(root / "iter_00", 0)
    (root / "iter_00" / "metrics.json").write_text(json.dumps(_metrics(0, 0.25)))
    for iteration in (1, 2):
        directory = root / f"iter_{iteration:02d}"
        if mode == "rest-em" or iteration == 1:
            samples = _samples(iteration)
            _jsonl(directory / "samples.jsonl", [{"problem_id": p, "sample": s, "prompt": PROBLEMS[p][0],
                                                  "completion": c} for p, s, c in samples])
            _jsonl(directory / "verdicts.jsonl", [_verdict(p, s, c, PROBLEMS[p][1]) for p, s, c in samples])
        _eval(directory, iteration)
        if mode == "rest":
            _rest_iteration(directory, iteration)
        else:
            kept = [(p, c) for p, _, c in _samples(iteration) if c.rstrip().endswith(PROBLEMS[p][1])]
            _jsonl(directory / "train.jsonl", [{"problem_id": p, "prompt": PROBLEMS[p][0], "completion": c,
                                                "reward": 1.0} for p, c in kept])
            (directory / "metrics.json").write_text(json.dumps(_metrics(
                iteration, 0.5 * iteration, estep={"samples": 6, "correct": len(kept), "problems": 3,
                                                   "problems_solved": 2, "kept": len(kept), "threshold": 1.0})))
    return root


def _rest_iteration(directory: Path, iteration: int) -> None:
    """An Improve step: a reward model keeps a wrong answer (verified false) and rates one wrong fresh
    sample above the threshold."""
    threshold = 0.5 + 0.2 * iteration
    kept = [("p1", "2+2 is 5", 0.9, False), ("p2", "3*3 is 9", 0.95, True)][: 3 - iteration]
    _jsonl(directory / "train.jsonl", [{"problem_id": p, "prompt": PROBLEMS[p][0], "completion": c, "reward": r,
                                        "verified": v} for p, c, r, v in kept])
    _jsonl(directory / "eval_rewards.jsonl", [{"reward": 0.6, "status": "correct", "detail": "", "elapsed": 0.0},
                                              {"reward": 0.93, "status": "correct", "detail": "", "elapsed": 0.0}])
    estep = {"grow": 1, "improve": iteration, "threshold": threshold, "kept": len(kept), "problems_solved": len(kept),
             "kept_rejected": sum(not v for *_, v in kept), "samples": 6, "problems": 3}
    fresh = {"samples": 2, "scored": 2, "mean_reward": 0.765, "high_rejected": 1 if iteration == 1 else 0}
    (directory / "metrics.json").write_text(json.dumps(_metrics(iteration, 0.5, estep=estep, fresh=fresh)))


def make_graded(path: Path) -> Path:
    """A `rest-em grade` output: four items, one hostile, one an apps-style verdict with per-test results."""
    tests = [{"test": 0, "result": "pass"}, {"test": 1, "result": "wrong", "got": "<b>7</b>", "expected": "8"}]
    rows = [("a", "the answer is 4", "4", {"reward": 1.0, "status": "correct", "detail": "", "info": {}}),
            ("b", HOSTILE, "5", {"reward": 0.0, "status": "wrong", "detail": "expected 5, got 4", "info": {}}),
            ("c", "print(7)", "{}", {"reward": 0.0, "status": "wrong", "detail": "1/2 tests passed",
                                     "info": {"tests": tests, "passed": 1, "total": 2}}),
            ("d", "", "1", {"reward": 0.0, "status": "no_answer", "detail": "no answer found", "info": {}})]
    _jsonl(path, [{"id": i, "problem": f"problem {i}", "completion": c, "reference": r,
                   "verdict": dict(v, elapsed=0.0), "grader": "arith@1"} for i, c, r, v in rows])
    return path

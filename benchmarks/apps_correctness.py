"""Does the `apps` verifier pass every known-correct program and fail every known-wrong one?

Grades, through the sandbox (docker by default) with 2 workers:
- every reference solution of HumanEval and MBPP in APPS layout (target: 1067/1067 pass);
- three mutants of each (answer off by one, reversed list, last line dropped; target: 0 pass);
- the hand-written stdin problems of the plugin's test fixtures: the solution and the awkward-but-correct
  programs must pass, the subtly wrong ones must fail.

    python benchmarks/apps_correctness.py [--data ../shared/data] [--sandbox docker] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Iterator

from rest_em_apps import AppsVerifier
from rest_verify import Problem, grade

FIXTURES = Path(__file__).resolve().parent.parent / "plugins" / "apps" / "tests" / "fixtures"
DATASETS = ("code/humaneval_apps.jsonl", "code/mbpp_apps.jsonl")

# Appended to a solution: wraps the graded function so that its outermost call returns a changed value.
_MUTANT_WRAPPER = '''

def _rest_em_mutate(value, how):
    if how == "reversed" and isinstance(value, (list, tuple, str)) and value[::-1] != value:
        return value[::-1]
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, (list, tuple)):
        return list(value)[:-1] if value else [0]
    if isinstance(value, dict):
        return dict(value, _rest_em_extra=0)
    return 0 if value is None else None


_rest_em_original = {fn}
_rest_em_depth = [0]


def {fn}(*args, **kwargs):
    _rest_em_depth[0] += 1
    try:
        value = _rest_em_original(*args, **kwargs)
    finally:
        _rest_em_depth[0] -= 1
    return _rest_em_mutate(value, {how!r}) if _rest_em_depth[0] == 0 else value
'''


def load_call_based(data: Path) -> Iterator[tuple[Problem, str]]:
    """(problem, reference solution) for every row of the HumanEval and MBPP files."""
    for name in DATASETS:
        with open(data / name, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                problem = Problem(id=row["problem_id"], prompt=row["question"], reference=row["input_output"],
                                  domain="code")
                yield problem, json.loads(row["solutions"])[0]


_NO_OPS = {"return", "return None", "return(None)", "pass"}


def _code_lines(solution: str) -> list[str]:
    lines = solution.rstrip().splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return lines


def mutants(problem: Problem, solution: str) -> dict[str, str]:
    """Three wrong versions of a correct solution."""
    fn = json.loads(problem.reference)["fn_name"]
    return {
        "off_by_one": solution + _MUTANT_WRAPPER.format(fn=fn, how="off_by_one"),
        "reversed": solution + _MUTANT_WRAPPER.format(fn=fn, how="reversed"),
        "last_line_dropped": "\n".join(_code_lines(solution)[:-1]) + "\n",
    }


def unreached_last_line_probe(solution: str) -> str:
    """The solution with its last line replaced by a crash: if this still passes, the tests never run
    that line, and dropping it cannot be detected by any verifier (an equivalent mutant)."""
    lines = _code_lines(solution)
    last = lines[-1]
    indent = last[: len(last) - len(last.lstrip())]
    return "\n".join(lines[:-1] + [indent + "raise RuntimeError('the dropped line was reached')"]) + "\n"


def load_stdin_fixtures() -> Iterator[tuple[Problem, str, bool]]:
    """(problem, program, should pass) for the plugin's hand-written stdin fixtures."""
    with open(FIXTURES / "stdin_problems.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            problem = Problem(id=row["id"], prompt=row["prompt"], reference=row["reference"], domain="code")
            for program in [row["solution"], *row["accepted"]]:
                yield problem, program, True
            for program in row["rejected"]:
                yield problem, program, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sandbox", default="docker")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="grade only the first N problems")
    args = parser.parse_args(argv)

    cases = list(load_call_based(args.data))[: args.limit]
    problems, completions, expect, labels = [], [], [], []
    for problem, solution in cases:
        problems.append(problem), completions.append(solution), expect.append(True)
        labels.append((problem.id, "reference"))
        for kind, program in mutants(problem, solution).items():
            problems.append(problem), completions.append(program), expect.append(False)
            labels.append((problem.id, kind))
    for problem, program, should_pass in load_stdin_fixtures():
        problems.append(problem), completions.append(program), expect.append(should_pass)
        labels.append((problem.id, "stdin fixture " + ("accepted" if should_pass else "rejected")))

    verifier = AppsVerifier(sandbox=args.sandbox)
    start = time.monotonic()
    verdicts = grade(problems, completions, verifier, workers=args.workers, timeout=60.0, progress=False)
    elapsed = time.monotonic() - start

    # A passing "last line dropped" mutant is only a miss if the tests run that line at all.
    suspects = [i for i, ((_, kind), v) in enumerate(zip(labels, verdicts)) if kind == "last_line_dropped" and v.correct]
    solutions = {problem.id: solution for problem, solution in cases}
    probes = grade([problems[i] for i in suspects],
                   [unreached_last_line_probe(solutions[labels[i][0]]) for i in suspects],
                   verifier, workers=args.workers, timeout=60.0, progress=False)
    equivalent = {i for i, probe in zip(suspects, probes) if probe.correct}
    # Dropping a final `return None` (or `return`, `pass`) changes nothing a caller can see.
    equivalent |= {i for i in suspects if _code_lines(solutions[labels[i][0]])[-1].strip() in _NO_OPS}

    groups: dict[str, list[int]] = {}
    failures = []
    for index, ((problem_id, kind), verdict, should_pass) in enumerate(zip(labels, verdicts, expect)):
        if index in equivalent:
            continue
        group = kind if kind.startswith("stdin") else ("reference" if kind == "reference" else "mutant " + kind)
        counts = groups.setdefault(group, [0, 0])
        counts[0] += verdict.correct
        counts[1] += 1
        if verdict.correct != should_pass:
            failures.append(f"{problem_id} [{kind}] expected {'pass' if should_pass else 'fail'}, "
                            f"got {verdict.status}: {verdict.detail}")
    print(f"graded {len(verdicts)} programs with the {args.sandbox} sandbox, {args.workers} workers, "
          f"in {elapsed:.1f} s")
    for group, (passed, total) in groups.items():
        print(f"  {group:32s} {passed:5d}/{total:<5d} passed")
    if equivalent:
        print(f"  {len(equivalent)} 'last line dropped' mutants left out as equivalent on the tests (the "
              "line never runs, or is a final `return None`): "
              + ", ".join(labels[i][0] for i in sorted(equivalent)))
    print(f"{len(failures)} unexpected verdicts")
    for line in failures:
        print("  " + line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

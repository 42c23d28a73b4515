"""Benchmark the `math` and `gsm8k` verifiers on real data, and compare them with the peer grader math-verify.

What is measured (one process, no cache, verifiers called in-process):
  1. every MATH-500 reference solution graded against its own `answer`        (target >= 99.8% correct)
  2. every GSM8K test solution graded against its `#### N` answer             (target 100% correct)
  3. equivalent rewrites of the MATH-500 answers (a/b for \\frac, \\left dropped, `x = ...`,
     \\displaystyle and \\dfrac) graded as correct
  4. perturbed answers (off by one, sign flipped, another fraction, swapped
     interval bracket) graded as wrong                                           (target >= 99.5% wrong)
  5. the same items through math-verify (`parse` + `verify`): agreement, every disagreement listed,
     items/s, p99 and worst single-item latency for both graders
  6. the 5,000 MATH test solutions graded against their own boxed answer (ours only, throughput)

Usage: python benchmarks/math_verify.py [--data-dir ../shared/data] [--limit N] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
# This file shares its name with the peer package `math_verify`: keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins" / "math")]

from rest_verify.types import Problem  # noqa: E402

from rest_em_math.answer import Scalar, Sequence, Union, read_answer  # noqa: E402
from rest_em_math.equivalence import equivalent  # noqa: E402
from rest_em_math.normalise import normalise  # noqa: E402
from rest_em_math.verifier import GSM8KVerifier, MathVerifier  # noqa: E402


@dataclass(frozen=True)
class Item:
    group: str          # which table row the item counts towards
    verifier: str       # "math" or "gsm8k"
    reference: str
    completion: str
    expected: bool      # whether the completion is correct


def load_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def perturbations(answer: str) -> list[tuple[str, str]]:
    """Wrong versions of a correct answer: (kind, perturbed answer); kinds that do not apply are skipped."""
    out: list[tuple[str, str]] = []
    numbers = list(re.finditer(r"\d+", answer))
    if numbers:
        first = numbers[0]
        out.append(("off by one", answer[:first.start()] + str(int(first.group()) + 1) + answer[first.end():]))
    shape = read_answer(normalise(answer), answer)
    if isinstance(shape, Scalar) and not equivalent(answer, "0")[0]:
        if answer.strip().startswith("-"):
            flipped = answer.strip()[1:]
        else:
            flipped = f"-{answer}" if re.fullmatch(r"[\\$\d,.!\s]+", answer) else f"-({answer})"
        out.append(("sign flipped", flipped))
    fraction = re.search(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", answer)
    if fraction and fraction.group(1).strip() != fraction.group(2).strip():
        swapped = f"\\frac{{{fraction.group(2)}}}{{{fraction.group(1)}}}"
        out.append(("another fraction", answer[:fraction.start()] + swapped + answer[fraction.end():]))
    intervals = shape.parts if isinstance(shape, Union) else (shape,)
    if all(isinstance(part, Sequence) and len(part.items) == 2 for part in intervals):
        out.append(("swapped bracket", _swap_bracket(answer)))
    return out


def rewrites(answer: str) -> list[tuple[str, str]]:
    """Equivalent spellings of a correct answer: (kind, rewritten answer), only where the text changes."""
    out: list[tuple[str, str]] = []
    slash = re.sub(r"(?<![\d\s])\\[dt]?frac\s*\{(-?\d+)\}\s*\{(\d+)\}", r"\1/\2", answer)
    if slash != answer:
        out.append(("fraction as a/b", slash))
    spaced = re.sub(r"\s*,\s*", " , ", answer.replace("\\left", "").replace("\\right", ""))
    if spaced != answer and "," in answer and not re.search(r"\d,\\?!?\s*\d{3}", answer):
        out.append(("no \\left/\\right, spaced commas", spaced))
    if isinstance(read_answer(normalise(answer), answer), Scalar) and "=" not in answer:
        name = next(letter for letter in "xytk" if letter not in answer)
        out.append(("assignment x = ...", f"{name} = {answer}"))
        out.append(("display style", "\\displaystyle " + answer.replace("\\frac", "\\dfrac")))
    return out


def _swap_bracket(answer: str) -> str:
    """Flip the bracket at the finite end of the (first) interval: `(-\\infty, 0]` -> `(-\\infty, 0)`."""
    swap = {"(": "[", "[": "(", ")": "]", "]": ")"}
    text = answer.replace("\\left", "").replace("\\right", "")
    first = re.search(r"[(\[]", text)
    if first and not text[first.end():].lstrip().startswith("-\\infty"):
        return text[:first.start()] + swap[text[first.start()]] + text[first.end():]
    close = re.search(r"[)\]]", text)
    assert close is not None
    return text[:close.start()] + swap[text[close.start()]] + text[close.end():]


def build_items(data: Path, limit: int | None) -> list[Item]:
    math500 = load_jsonl(data / "math" / "math500.jsonl")[:limit]
    gsm8k = load_jsonl(data / "gsm8k" / "test.jsonl")[:limit]
    items = [Item("MATH-500 reference solutions", "math", row["answer"], row["solution"], True) for row in math500]
    items += [Item("GSM8K test solutions", "gsm8k", row["answer"].split("####")[-1].strip(), row["answer"], True)
              for row in gsm8k]
    for row in math500:
        for kind, rewritten in rewrites(row["answer"]):
            items.append(Item(f"MATH-500 rewritten: {kind}", "math", row["answer"],
                              f"So the answer is $\\boxed{{{rewritten}}}$.", True))
        for kind, wrong in perturbations(row["answer"]):
            items.append(Item(f"MATH-500 perturbed: {kind}", "math", row["answer"],
                              f"So the answer is $\\boxed{{{wrong}}}$.", False))
    for row in gsm8k:
        value = row["answer"].split("####")[-1].strip().replace(",", "")
        for kind, wrong in (("off by one", str(int(value) + 1)), ("sign flipped", str(-int(value)))):
            if value != "0":
                items.append(Item(f"GSM8K perturbed: {kind}", "gsm8k", value,
                                  f"The total is {wrong}.\n#### {wrong}", False))
    return items


def time_ours(items: list[Item], rules: Counter | None = None) -> tuple[list[bool], list[float]]:
    """Grade in-process; `rules` (if given) counts which equivalence rule decided each `math` item."""
    verifiers = {"math": MathVerifier(), "gsm8k": GSM8KVerifier()}
    results, latencies = [], []
    for i, item in enumerate(items):
        problem = Problem(str(i), reference=item.reference, domain=item.verifier)
        start = time.perf_counter()
        verdict = verifiers[item.verifier].verify(problem, item.completion)
        latencies.append(time.perf_counter() - start)
        results.append(verdict.correct)
        if rules is not None and item.verifier == "math":
            rules[verdict.info.get("rule", str(verdict.status))] += 1
    return results, latencies


def time_peer(items: list[Item]) -> tuple[list[bool], list[float]]:
    from math_verify import parse, verify

    results, latencies = [], []
    for item in items:
        start = time.perf_counter()
        try:
            ok = bool(verify(parse(f"${item.reference}$"), parse(item.completion)))
        except Exception:  # a peer failure counts as "not correct", like math-verify's own default
            ok = False
        latencies.append(time.perf_counter() - start)
        results.append(ok)
    return results, latencies


def summary(latencies: list[float]) -> tuple[float, float, float]:
    """(items/s, p99 ms, worst ms)."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return len(latencies) / sum(latencies), p99 * 1000, ordered[-1] * 1000


def warm_up(run: Callable[[list[Item]], object]) -> None:
    """Import-time and first-call costs (SymPy, regex compilation) are excluded from both graders' timings."""
    run([Item("warm-up", "math", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\sin(\\pi/4)}", True),
         Item("warm-up", "gsm8k", "5", "#### 5", True)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N rows of each data set")
    parser.add_argument("--no-peer", action="store_true", help="skip the math-verify comparison")
    args = parser.parse_args()
    if not (args.data_dir / "math" / "math500.jsonl").exists():
        parser.error(f"no math/math500.jsonl under {args.data_dir}; pass --data-dir")

    items = build_items(args.data_dir, args.limit)
    warm_up(time_ours)
    rules: Counter = Counter()
    ours, our_latency = time_ours(items, rules)

    print(f"\n{'group':<42}{'items':>7}{'as expected':>13}{'rate':>9}")
    groups = sorted({item.group for item in items}, key=lambda g: ("perturbed" in g, "rewritten" in g, g))
    for group in groups:
        members = [i for i, item in enumerate(items) if item.group == group]
        good = sum(ours[i] == items[i].expected for i in members)
        print(f"{group:<42}{len(members):>7}{good:>13}{100 * good / len(members):>8.2f}%")
    for label, expected in (("all correct items", True), ("all perturbed (wrong) items", False)):
        members = [i for i, item in enumerate(items) if item.expected is expected]
        good = sum(ours[i] == expected for i in members)
        print(f"{label:<42}{len(members):>7}{good:>13}{100 * good / len(members):>8.2f}%")
    print("rules that decided the math items: " + ", ".join(f"{rule} {n}" for rule, n in rules.most_common()))
    misses = [(items[i], ours[i]) for i in range(len(items)) if ours[i] != items[i].expected]
    for item, got in misses:
        print(f"  MISS [{item.group}] reference={item.reference!r} graded {'correct' if got else 'wrong'}: "
              f"{item.completion[-120:]!r}")

    rows = [("rest-em math/gsm8k", *summary(our_latency))]
    if not args.no_peer:
        warm_up(time_peer)
        peer, peer_latency = time_peer(items)
        rows.append(("math-verify 0.9 (parse+verify)", *summary(peer_latency)))
        disagreements = [i for i in range(len(items)) if ours[i] != peer[i]]
        print(f"\nagreement with math-verify: {len(items) - len(disagreements)}/{len(items)} = "
              f"{100 * (1 - len(disagreements) / len(items)):.2f}%; disagreements:")
        for i in disagreements:
            item = items[i]
            truth = "correct" if item.expected else "wrong"
            print(f"  [{item.group}] truth={truth} ours={ours[i]} math-verify={peer[i]} "
                  f"reference={item.reference!r} answer={item.completion[-80:]!r}")

    print(f"\n{'grader':<34}{'items/s':>10}{'p99 ms':>10}{'worst ms':>10}")
    for name, rate, p99, worst in rows:
        print(f"{name:<34}{rate:>10.0f}{p99:>10.2f}{worst:>10.2f}")
    if len(rows) == 2:
        print(f"speed-up: {rows[0][1] / rows[1][1]:.1f}x")

    test_rows = load_jsonl(args.data_dir / "math" / "test.jsonl")[:args.limit]
    test_items = [Item("MATH test", "math", row["solution"], row["solution"], True) for row in test_rows]
    correct, latency = time_ours(test_items)
    rate, p99, worst = summary(latency)
    print(f"\nMATH test solutions vs their own boxed answer: {sum(correct)}/{len(correct)} correct, "
          f"{rate:.0f} items/s, p99 {p99:.2f} ms, worst {worst:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Grade completions that mark no answer, with rest-em's `math` verifier and with math-verify, side by side.

Three sources, each item labelled correct or not:
  1. our own corpus of unmarked completions, `plugins/math/tests/unmarked.txt` (written for this project;
     the plugin's tests grade it too);
  2. with `--data-dir`, the MATH-500 reference solutions with every `\\boxed{X}` replaced by `X` (labelled
     correct: how often the fallbacks find the answer) and the same texts with the answer perturbed as in
     `math_verify.py` (labelled wrong: a reward there is a false positive);
  3. math-verify's public test tables, read from its repository's `tests/` folder when `--peer-tests` names
     one (`git clone https://github.com/huggingface/Math-Verify` and pass `Math-Verify/tests`; the tables are
     not copied here). Gold and prediction go to both graders exactly as those tests pass them; math-verify
     also gets the extraction targets and options each test uses, so its own labels are its best case.

Printed: agreement with the labels per source for rest-em (lenient and strict extraction) and math-verify;
every item where rest-em disagrees with the label or with math-verify, with the argument recorded in
`benchmarks/math_peer_disputes.json` (keyed by a hash of gold and prediction, so no peer text is stored);
speed of both graders over all items (items/s, p99, worst; for rest-em also the best of three passes per
item, since on a loaded machine one pass's tail measures the scheduler).

Usage: python benchmarks/math_unmarked.py [--peer-tests PATH/TO/Math-Verify/tests] [--data-dir ../shared/data]
                                          [--no-peer]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
# A sibling file is named like the peer package `math_verify`: keep this folder off the import path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins" / "math")]

from rest_verify.types import Problem  # noqa: E402

from rest_em_math.verifier import MathVerifier  # noqa: E402

CORPUS = ROOT / "plugins" / "math" / "tests" / "unmarked.txt"
DISPUTES = HERE / "math_peer_disputes.json"
UNBOXED = "MATH-500, boxes removed"
# Sources whose labels hold by construction: there rest-em agreeing with the label needs no other argument.
BY_CONSTRUCTION = {UNBOXED + ", perturbed": "rest-em right by construction: the answer was perturbed (off by one, "
                   "sign, swapped fraction or bracket), so math-verify's reward is a false positive.",
                   "our unmarked corpus": "rest-em agrees with the corpus's label, whose reason is the comment above "
                   "its family in plugins/math/tests/unmarked.txt; math-verify, with its defaults, reads the form "
                   "otherwise."}


@dataclass(frozen=True)
class Item:
    source: str
    gold: str
    pred: str
    label: bool
    peer: Callable[[], bool]


def dispute_key(gold: str, pred: str) -> str:
    return hashlib.blake2b(f"{gold}\0{pred}".encode(), digest_size=8).hexdigest()


def corpus_items() -> list[Item]:
    items = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        verifier, gold, pred, status = (field.strip() for field in line.split(";;"))
        if verifier != "math":
            continue
        pred = pred.replace("\\n", "\n")
        items.append(Item("our unmarked corpus", gold, pred, status == "correct",
                          lambda g=gold, p=pred: _peer_default(f"${g}$", p)))
    return items


def table_items(tests_dir: Path) -> tuple[list[Item], int]:
    loader = _load_sibling("math_peer_tables")
    rows, skipped = loader.load_tables(tests_dir)
    return [Item(f"math-verify tests: {row.source.split('::')[0]}", row.gold, row.pred, row.label,
                 lambda r=row: loader.peer_verdict(r)) for row in rows], skipped


def unboxed_items(data_dir: Path) -> list[Item]:
    """MATH-500 solutions without their boxes, as is (correct) and with the answer perturbed (wrong)."""
    from rest_em_math.extract import last_boxed

    sibling = _load_sibling("math_verify", as_name="math_verify_benchmark")
    items = []
    for row in sibling.load_jsonl(data_dir / "math" / "math500.jsonl"):
        text = _unboxed(row["solution"], last_boxed)
        items.append(Item(UNBOXED, row["answer"], text, True,
                          lambda g=row["answer"], p=text: _peer_default(f"${g}$", p)))
        if row["answer"] not in text:
            continue
        for _kind, wrong in sibling.perturbations(row["answer"]):
            perturbed = text.replace(row["answer"], wrong)
            items.append(Item(UNBOXED + ", perturbed", row["answer"], perturbed, False,
                              lambda g=row["answer"], p=perturbed: _peer_default(f"${g}$", p)))
    return items


def _unboxed(text: str, last_boxed: Callable[[str], str | None]) -> str:
    """`... = \\boxed{5}.` -> `... = 5.`, for every box."""
    while (start := text.rfind("\\boxed{")) >= 0:
        content = last_boxed(text[start:])
        if content is None:
            break
        text = text[:start] + content + text[start + len("\\boxed{") + len(content) + 1:]
    return text


def _load_sibling(name: str, as_name: str | None = None):
    """A module of this folder, loaded by path (the folder stays off `sys.path`, see above)."""
    spec = importlib.util.spec_from_file_location(as_name or name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[as_name or name] = module
    spec.loader.exec_module(module)
    return module


def _peer_default(gold: str, pred: str) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse(gold), parse(pred)))
    except Exception:  # math-verify's own convention: a failure is "not equal"
        return False


def timed(grade: Callable[[Item], bool], items: list[Item]) -> tuple[list[bool], list[float]]:
    results, latencies = [], []
    for item in items:
        start = time.perf_counter()
        results.append(grade(item))
        latencies.append(time.perf_counter() - start)
    return results, latencies


def summary(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    return len(ordered) / sum(ordered), ordered[int(0.99 * (len(ordered) - 1))] * 1000, ordered[-1] * 1000


def grade_ours(verifier: MathVerifier) -> Callable[[Item], bool]:
    return lambda item: verifier.verify(Problem("benchmark", reference=item.gold), item.pred).correct


def print_agreement(items: list[Item], results: dict[str, list[bool]], with_tables: bool) -> None:
    """Agreement with the labels per source, one column per grader."""
    groups: list[tuple[str, Callable[[Item], bool]]] = [
        (source, lambda item, s=source: item.source == s) for source in sorted({item.source for item in items})]
    if with_tables:
        groups.append(("math-verify tests, all", lambda item: item.source.startswith("math-verify")))
    groups.append(("all", lambda item: True))
    print(f"\n{'source':<40}{'items':>6}" + "".join(f"{name:>13}" for name in results) + "   (agreement with labels)")
    for source, member in groups:
        members = [i for i, item in enumerate(items) if member(item)]
        rates = [100 * sum(verdicts[i] == items[i].label for i in members) / len(members)
                 for verdicts in results.values()]
        print(f"{source:<40}{len(members):>6}" + "".join(f"{rate:>12.1f}%" for rate in rates))


def print_disagreements(items: list[Item], ours: list[bool], peer: list[bool]) -> None:
    """Every item where rest-em differs from the label or from math-verify, with its recorded argument; of the
    MATH-500 texts without boxes, only the count of answers not found (a miss costs a reward, never a wrong one)."""
    disputes: dict[str, str] = json.loads(DISPUTES.read_text(encoding="utf-8"))
    missed = sum(1 for i, item in enumerate(items) if item.source == UNBOXED and not ours[i])
    if missed:
        print(f"\n{UNBOXED}: {missed} answers not found by the fallbacks (not listed)")
    print("\nitems where rest-em disagrees with the label or with math-verify:")
    unargued = 0
    for i, item in enumerate(items):
        if ours[i] == item.label and (not peer or ours[i] == peer[i]) or item.source == UNBOXED:
            continue
        argument = disputes.get(dispute_key(item.gold, item.pred))
        if argument is None and ours[i] == item.label and item.source in BY_CONSTRUCTION:
            argument = BY_CONSTRUCTION[item.source]
        if argument is None:
            unargued += 1
            argument = "(no argument recorded) right: " + ("rest-em" if ours[i] == item.label else "the label")
        peer_text = f" math-verify={peer[i]}" if peer else ""
        print(f"- [{item.source}] label={item.label} rest-em={ours[i]}{peer_text}\n"
              f"    gold={item.gold[-90:]!r}\n    pred={item.pred[-90:]!r}\n    {argument}")
    if unargued:
        print(f"({unargued} of them have no argument recorded in {DISPUTES.name})")


def print_speed(rows: list[tuple[str, list[float]]]) -> None:
    print(f"\n{'grader':<34}{'items/s':>10}{'p99 ms':>10}{'worst ms':>10}")
    for name, latencies in rows:
        rate, p99, worst = summary(latencies)
        print(f"{name:<34}{rate:>10.0f}{p99:>10.3f}{worst:>10.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peer-tests", type=Path, default=None, help="math-verify's tests/ folder")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with math/math500.jsonl")
    parser.add_argument("--no-peer", action="store_true", help="grade with rest-em only")
    args = parser.parse_args()
    if not args.no_peer and importlib.util.find_spec("math_verify") is None:
        parser.error("math-verify is not installed: `pip install math-verify`, or pass --no-peer")
    items = corpus_items()
    if args.data_dir is not None:
        if not (args.data_dir / "math" / "math500.jsonl").exists():
            parser.error(f"no math/math500.jsonl under {args.data_dir}")
        items += unboxed_items(args.data_dir)
    if args.peer_tests is not None:
        if not (args.peer_tests / "test_all.py").exists():
            parser.error(f"{args.peer_tests} holds no test_all.py: pass Math-Verify's tests/ folder")
        tables, skipped = table_items(args.peer_tests)
        items += tables
        print(f"math-verify tables: {len(tables)} labelled rows ({skipped} rows skipped: not literals)")

    lenient = grade_ours(MathVerifier())
    lenient(items[0])  # first-call costs (regex compilation) are not graded time
    # Each grader gets its own pass, rest-em's first: timed item by item in turn, rest-em's calls would pay
    # for collecting the garbage SymPy leaves behind inside math-verify.
    ours, our_latency = timed(lenient, items)
    # One pass's tail is mostly the scheduler: the best of three per item is the grader's own cost.
    best_latency = [min(times) for times in zip(our_latency, *(timed(lenient, items)[1] for _ in range(2)))]
    results = {"rest-em": ours, "strict": timed(grade_ours(MathVerifier(extraction="strict")), items)[0]}
    speed = [("rest-em math (lenient)", our_latency), ("rest-em, best of 3 per item", best_latency)]
    peer: list[bool] = []
    if not args.no_peer:
        items[0].peer()
        peer, peer_latency = timed(lambda item: item.peer(), items)
        results["math-verify"] = peer
        speed.append(("math-verify (as its tests call it)", peer_latency))

    print_agreement(items, results, with_tables=args.peer_tests is not None)
    print_disagreements(items, ours, peer)
    print_speed(speed)
    if peer:
        print(f"speed-up (one pass each): {summary(our_latency)[0] / summary(peer_latency)[0]:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The filter between E-step and M-step: keep rewarded samples, dedupe them, cap them per problem."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping


def select(samples: Iterable[Mapping[str, Any]], rewards: Iterable[float], *, threshold: float = 1.0,
           max_per_problem: int = 10, dedupe: bool = True) -> Iterator[dict[str, Any]]:
    """Training examples from graded samples, in sample order.

    A sample is kept when its reward reaches `threshold` (ReST-EM: 1, i.e. verified correct). With
    `dedupe`, completions of one problem identical up to surrounding whitespace count once, since
    repeats only re-weight a problem; then at most `max_per_problem` are kept per problem (paper: 10),
    so easy problems, which yield many correct samples, do not crowd out hard ones.
    """
    if max_per_problem < 1:
        raise ValueError(f"max_per_problem must be >= 1, got {max_per_problem}")
    kept: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for sample, reward in zip(samples, rewards, strict=True):
        if reward < threshold:
            continue
        problem_id = sample["problem_id"]
        completion = sample["completion"]
        if dedupe:
            key = (problem_id, completion.strip())
            if key in seen:
                continue
            seen.add(key)
        if kept.get(problem_id, 0) >= max_per_problem:
            continue
        kept[problem_id] = kept.get(problem_id, 0) + 1
        yield {"problem_id": problem_id, "prompt": sample["prompt"], "completion": completion,
               "reward": float(reward)}

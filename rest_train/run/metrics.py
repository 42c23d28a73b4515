"""Held-out metrics: unbiased pass@k (Chen et al. 2021) and majority-vote accuracy maj@k.

Both are estimated from n >= k samples per problem, so one set of samples serves every k.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples, drawn without replacement from n with c correct, is correct.

    Uses the numerically stable product 1 - prod_{i=n-c+1}^{n} (1 - k/i) instead of binomial
    coefficients, which overflow for the n of a real evaluation.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def majority_correct(answers: Sequence[str | None], correct: Sequence[bool]) -> bool:
    """Whether the most frequent extracted answer is a correct one; samples without an answer do not vote.

    Ties go to the answer seen first, so the result is deterministic for a given sample order.
    """
    votes = Counter(answer for answer in answers if answer is not None)
    if not votes:
        return False
    winner = votes.most_common(1)[0][0]
    return any(ok for answer, ok in zip(answers, correct) if answer == winner)


def maj_at_k(answers: Sequence[str | None], correct: Sequence[bool], k: int) -> float:
    """maj@k estimated from n samples as the mean over the n // k disjoint groups of k samples.

    The samples are independent draws, so every group is an unbiased draw of k; averaging the groups
    lowers the variance compared with voting over the first k alone.
    """
    n = len(answers)
    if not 1 <= k <= n:
        raise ValueError(f"maj@k needs 1 <= k <= n, got n={n}, k={k}")
    groups = n // k
    hits = sum(majority_correct(answers[g * k:(g + 1) * k], correct[g * k:(g + 1) * k]) for g in range(groups))
    return hits / groups


def vote_key(verdict_info: Mapping[str, Any], completion: str) -> str | None:
    """What a sample votes for: the verifier's extracted `info["answer"]`, else the stripped completion."""
    answer = verdict_info.get("answer")
    if answer is not None:
        return str(answer)
    text = completion.strip()
    return text or None


def summarise(per_problem: Mapping[str, Sequence[tuple[bool, str | None]]], ks: Sequence[int]) -> dict[str, Any]:
    """The metrics.json record: pass@1, pass@k and maj@k per k (fractions), averaged over problems.

    `per_problem` maps a problem id to its samples as (correct, vote) pairs, all with the same n.
    """
    if not per_problem:
        raise ValueError("no held-out problems to evaluate")
    sizes = {len(samples) for samples in per_problem.values()}
    if len(sizes) != 1:
        raise ValueError(f"every problem needs the same number of samples, got sizes {sorted(sizes)}")
    n = sizes.pop()
    count = len(per_problem)
    pass_k = {}
    maj_k = {}
    for k in sorted(set(ks) | {1}):
        if k > n:
            raise ValueError(f"k={k} needs at least {k} samples per problem, have {n}")
        pass_k[str(k)] = sum(pass_at_k(n, sum(ok for ok, _ in samples), k)
                             for samples in per_problem.values()) / count
        maj_k[str(k)] = sum(maj_at_k([vote for _, vote in samples], [ok for ok, _ in samples], k)
                            for samples in per_problem.values()) / count
    return {"pass@1": pass_k["1"], "pass@k": pass_k, "maj@k": maj_k, "problems": count,
            "samples_per_problem": n}

"""rest-em verifiers as verl's custom reward function.

verl loads `custom_reward_function.path` as a file, so give it a one-line `reward.py`:

    from rest_verify.integrations.verl import compute_score

and point verl 0.9.1's trainer at it (these keys are checked against verl's own config in CI):

    reward.custom_reward_function.path=reward.py
    reward.custom_reward_function.name=compute_score
    reward.reward_manager.name=naive                           # or dapo
    +reward.custom_reward_function.reward_kwargs.verifier=math # optional; note the leading +

(importing, rather than pointing verl at this module's file, keeps the functions picklable by
reference when verl ships the reward function to Ray workers).

verl 0.9.1 scores through its reward loop: one `run_single` call per sample, all samples of a step in
flight at once, each calling `compute_score` (gathering those calls into batches was measured and did not
pay: see the README's compatibility table). The older spellings `custom_reward_function.*` and
`reward_model.reward_manager=...` are still accepted by 0.9.1's config but only its fully-async entry
point migrates them; `main_ppo` ignores them and falls back to verl's built-in scorer. The `batch`
reward manager and `compute_score_batch` belong to verl's legacy reward-manager registry, which 0.9.1's
trainer no longer uses ("Unknown reward manager: batch"); `compute_score_batch` stays for callers of
that registry.

Each sample's `data_source` picks the verifier through `DATA_SOURCES` (a verifier's own name works
too). The result is verl's dict form: `score` (the reward), `acc` (1.0 when correct), `pred` (the
extracted answer, which verl uses for maj@k), `status`, and `grading_failed` (1.0 on error, timeout
or invalid input), so validation metrics show the share of items that could not be graded. Failures are
also counted (`failure_counts()`) and logged as warnings: verl once scored every MATH sample 0 because
the grader's exceptions were swallowed (verl PR #5635).

`reward_kwargs` may set `verifier` (ignore data_source), `workers` and `timeout`.
"""

from __future__ import annotations

import collections
import threading
from typing import Any, Sequence

from rest_verify.engine import AUTO
from rest_verify.errors import UnknownNameError
from rest_verify.integrations.scoring import FAILURES, Scorer
from rest_verify.plugins import get_registry
from rest_verify.types import Status, Verdict

# verl's data_source values (its own preprocessing scripts and common Hub datasets) -> verifier names.
DATA_SOURCES: dict[str, str] = {
    "lighteval/MATH": "math",
    "DigitalLearningGmbH/MATH-lighteval": "math",
    "HuggingFaceH4/MATH-500": "math",
    "hendrycks/competition_math": "math",
    "EleutherAI/hendrycks_math": "math",
    "openai/gsm8k": "gsm8k",
    "gsm8k": "gsm8k",
    "codeparrot/apps": "apps",
    "likaixin/TACO-verified": "apps",
    "BAAI/TACO": "apps",
    "taco": "apps",
    "deepmind/code_contests": "apps",
    "codecontests": "apps",
}

DEFAULT_WORKERS = 2

_scorers: dict[tuple[str, int, float | None], Scorer] = {}
_scorers_lock = threading.Lock()
_failures: collections.Counter[tuple[str, str]] = collections.Counter()


def verifier_for(data_source: str) -> str:
    """The verifier that grades `data_source`; `UnknownNameError` listing the known sources otherwise."""
    installed = set(get_registry().names("verifiers"))
    name = DATA_SOURCES.get(data_source, data_source)
    if name in installed:
        return name
    known = sorted(source for source, verifier in DATA_SOURCES.items() if verifier in installed)
    missing = f" (it maps to {name!r}, which is not installed)" if data_source in DATA_SOURCES else ""
    raise UnknownNameError(
        f"no rest-em verifier for data_source {data_source!r}{missing}; known data sources: {', '.join(known)}; "
        f"installed verifiers: {', '.join(sorted(installed))}. Pass reward_kwargs verifier=NAME to choose one.")


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: Any = None, *,
                  verifier: str | None = None, workers: int = DEFAULT_WORKERS,
                  timeout: float | str | None = AUTO, **_: Any) -> dict[str, Any]:
    """verl's per-sample reward: `{"score", "acc", "pred", "status", "grading_failed"}` (see module doc)."""
    name = verifier or verifier_for(data_source)
    verdict = _scorer(name, workers, timeout).score([solution_str], [ground_truth], [_prompt(extra_info)])[0]
    return _result(data_source, verdict)


def compute_score_batch(data_sources: Sequence[str], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, *, verifier: str | None = None,
                        workers: int = DEFAULT_WORKERS, timeout: float | str | None = AUTO,
                        **_: Any) -> list[dict[str, Any]]:
    """verl's BatchRewardManager form: the same results for a whole batch, graded in parallel."""
    count = len(solution_strs)
    if not len(data_sources) == len(ground_truths) == count:
        raise ValueError(f"batch lengths differ: {len(data_sources)} data sources, {count} solutions, "
                         f"{len(ground_truths)} ground truths")
    infos = list(extra_infos) if extra_infos is not None else [None] * count
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for index, source in enumerate(data_sources):
        groups[verifier or verifier_for(source)].append(index)
    results: dict[int, dict[str, Any]] = {}
    for name, indices in groups.items():
        verdicts = _scorer(name, workers, timeout).score([solution_strs[i] for i in indices],
                                                         [ground_truths[i] for i in indices],
                                                         [_prompt(infos[i]) for i in indices])
        for index, verdict in zip(indices, verdicts):
            results[index] = _result(data_sources[index], verdict)
    return [results[index] for index in range(count)]


def failure_counts() -> dict[str, dict[str, int]]:
    """Items that could not be graded in this process, by data source and status, since start."""
    table: dict[str, dict[str, int]] = collections.defaultdict(dict)
    with _scorers_lock:
        failures = list(_failures.items())
    for (source, status), count in failures:
        table[source][status] = count
    return dict(table)


def _scorer(name: str, workers: int, timeout: float | None) -> Scorer:
    key = (name, workers, timeout)
    with _scorers_lock:
        scorer = _scorers.get(key)
        if scorer is None:
            scorer = _scorers[key] = Scorer(name, workers=workers, timeout=timeout)
        return scorer


def _result(data_source: str, verdict: Verdict) -> dict[str, Any]:
    failed = verdict.status in FAILURES
    if failed:
        with _scorers_lock:
            _failures[(str(data_source), verdict.status.value)] += 1
    answer = verdict.info.get("answer")
    return {"score": verdict.reward, "acc": 1.0 if verdict.status is Status.CORRECT else 0.0,
            "pred": answer if isinstance(answer, str) else "", "status": verdict.status.value,
            "grading_failed": 1.0 if failed else 0.0}


def _prompt(extra_info: Any) -> str:
    if isinstance(extra_info, dict):
        question = extra_info.get("question") or extra_info.get("prompt")
        if isinstance(question, str):
            return question
    return ""

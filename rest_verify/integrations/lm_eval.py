"""rest-em verifiers as an lm-evaluation-harness metric.

In a task's `utils.py`:

    from rest_verify.integrations.lm_eval import make_process_results
    process_results = make_process_results("math", reference_key="answer")

and in its YAML (`output_type: generate_until`):

    process_results: !function utils.process_results
    metric_list:
      - metric: math          # the verifier's name, or `metric=` below
        aggregation: mean
        higher_is_better: true

lm-eval calls `process_results(doc, results)` once per document with the filtered generations; the
first one is graded (as lm-eval's own exact_match does).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from rest_verify.engine import AUTO
from rest_verify.integrations.scoring import Scorer


class ProcessResults:
    """A `process_results(doc, results) -> {metric: 0 or 1}`; items that fail to grade score 0 and are logged."""

    def __init__(self, verifier: Any, reference_key: str | Callable[[Mapping[str, Any]], Any], *,
                 metric: str | None = None, workers: int = 1, timeout: float | str | None = AUTO):
        self.scorer = Scorer(verifier, workers=workers, timeout=timeout)
        self.reference_key = reference_key
        self.metric = metric or self.scorer.name

    def __call__(self, doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, int]:
        reference = self.reference_key(doc) if callable(self.reference_key) else doc.get(self.reference_key)
        completion = results[0] if isinstance(results, (list, tuple)) and results else results
        verdict = self.scorer.score([completion], [reference])[0]
        return {self.metric: 1 if verdict.correct else 0}


def make_process_results(verifier: Any, reference_key: str | Callable[[Mapping[str, Any]], Any] = "answer", *,
                         metric: str | None = None, workers: int = 1,
                         timeout: float | str | None = AUTO) -> ProcessResults:
    """A `process_results` for lm-eval grading with `verifier` against `doc[reference_key]`.

    `reference_key` may be a function of the doc (e.g. to pull the boxed answer out of a field you
    preprocess). The metric is named after the verifier unless `metric` is given.
    """
    return ProcessResults(verifier, reference_key, metric=metric, workers=workers, timeout=timeout)

"""A rest-em verifier as a TRL reward function (any trainer taking `reward_funcs`: GRPO, RLOO).

    from trl import GRPOTrainer
    from rest_verify.integrations.trl import reward_func

    trainer = GRPOTrainer(model=..., reward_funcs=[reward_func("math")], train_dataset=dataset)

TRL calls `fn(prompts=..., completions=..., completion_ids=..., **columns)` every step, where
`columns` are the dataset's other columns, one value per completion. The reference comes from one of
them. Nothing here imports TRL: the signature is the whole contract.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from rest_verify.engine import AUTO
from rest_verify.errors import InvalidRecordError
from rest_verify.integrations.scoring import Scorer, status_flags

# Dataset columns that hold the hidden truth, in the order `reference_column="auto"` looks for them.
REFERENCE_COLUMNS = ("reference", "answer", "solution", "ground_truth", "label", "target")

# Keyword arguments TRL adds beside the dataset columns; never a reference.
_TRL_KEYWORDS = frozenset({"completion_ids", "trainer_state", "log_extra", "log_metric", "environments"})


class VerifierReward:
    """A TRL reward function backed by one long-lived `Grader`; items that fail to grade score 0.0.

    `__name__` is the verifier's name, so TRL logs `rewards/<verifier>/mean`. When TRL passes its
    `log_metric` hook, the share of each failure status is logged as `<verifier>/<status>`, so a
    broken reference column or a deadline that is too tight shows up in the training logs.
    """

    def __init__(self, verifier: Any, *, reference_column: str = "auto", workers: int = 2,
                 timeout: float | str | None = AUTO, cache: Any = None):
        self.scorer = Scorer(verifier, workers=workers, timeout=timeout, cache=cache)
        self.reference_column = reference_column
        self.__name__ = self.scorer.name

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float]:
        references = self._references(columns, len(completions))
        verdicts = self.scorer.score(completions, references, prompts)
        log_metric: Callable[[str, float], None] | None = columns.get("log_metric")
        if callable(log_metric) and verdicts:
            for status, flags in status_flags(verdicts).items():
                if status != "correct":
                    log_metric(f"{self.__name__}/{status}", sum(flags) / len(flags))
        return [verdict.reward for verdict in verdicts]

    def _references(self, columns: dict[str, Any], count: int) -> Sequence[Any]:
        if self.reference_column == "auto":
            found = next((name for name in REFERENCE_COLUMNS if name in columns), None)
            if found is None:
                raise InvalidRecordError(
                    f"reward {self.__name__!r} found no reference column among the dataset columns "
                    f"{sorted(k for k in columns if k not in _TRL_KEYWORDS)}; add one of {list(REFERENCE_COLUMNS)} "
                    f"or pass reference_column=...")
        else:
            found = self.reference_column
            if found not in columns:
                raise InvalidRecordError(
                    f"reward {self.__name__!r} needs the dataset column {found!r}, but the batch has "
                    f"{sorted(k for k in columns if k not in _TRL_KEYWORDS)}")
        references = columns[found]
        if len(references) != count:
            raise InvalidRecordError(f"column {found!r} has {len(references)} values for {count} completions")
        return references

    def close(self) -> None:
        """Stop the grading workers now rather than at exit."""
        self.scorer.close()


def reward_func(verifier: Any, *, reference_column: str = "auto", workers: int = 2,
                timeout: float | str | None = AUTO, cache: Any = None) -> VerifierReward:
    """A reward function for TRL trainers that grades with `verifier` (an installed name, or an object).

    `reference_column`: the dataset column holding references; "auto" takes the first of
    `REFERENCE_COLUMNS` present. `workers`/`timeout`/`cache` are the grading engine's options.
    """
    return VerifierReward(verifier, reference_column=reference_column, workers=workers, timeout=timeout,
                          cache=cache)

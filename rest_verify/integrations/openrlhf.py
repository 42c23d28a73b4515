"""rest-em verifiers as OpenRLHF's custom reward function (`--remote_rm_url reward.py`).

OpenRLHF loads the file given to `--remote_rm_url` and calls its `reward_func(queries, prompts, labels)`
in Ray workers, where `queries` are prompt + response decoded with the chat template, `prompts` the
templated prompts and `labels` the `--label_key` column. Either point `--remote_rm_url` at a two-line
file:

    from rest_verify.integrations.openrlhf import make_reward_func
    reward_func = make_reward_func("math")

or at this module's own file with `REST_EM_VERIFIER=math` in the Ray runtime environment.
For a reward server instead of a file, see `rest-em serve`.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any, Callable, Sequence

from rest_verify.engine import AUTO
from rest_verify.errors import RestEmError
from rest_verify.integrations.scoring import Scorer, status_flags
from rest_verify.types import Verdict

VERIFIER_VARIABLE = "REST_EM_VERIFIER"


def response_of(query: Any, prompt: Any) -> Any:
    """The model's response inside an OpenRLHF query: the query minus its prompt prefix.

    When the query does not start with the prompt (a template that rewrites it), the whole query is
    graded; verifiers read the final answer, which the response still ends with.
    """
    if isinstance(query, str) and isinstance(prompt, str) and prompt and query.startswith(prompt):
        return query[len(prompt):]
    return query


def protocol_result(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """OpenRLHF's reward dict as plain lists: `rewards`, `scores` (0/1 for dynamic filtering), and
    per-sample `extra_logs` columns (correct, no_answer, error, timeout, invalid_input)."""
    rewards = [verdict.reward for verdict in verdicts]
    return {"rewards": rewards, "scores": [min(max(r, 0.0), 1.0) for r in rewards],
            "extra_logs": status_flags(verdicts)}


def grade_queries(scorer: Scorer, queries: Sequence[Any], prompts: Sequence[Any],
                  labels: Sequence[Any]) -> dict[str, Any]:
    """The protocol dict for one call: each query's response graded against its label."""
    if not len(queries) == len(prompts) == len(labels):
        raise ValueError(f"{len(queries)} queries, {len(prompts)} prompts and {len(labels)} labels: "
                         "OpenRLHF sends one of each per sample")
    responses = [response_of(query, prompt) for query, prompt in zip(queries, prompts)]
    return _as_tensors(protocol_result(scorer.score(responses, labels, prompts)))


def make_reward_func(verifier: Any, *, workers: int = 2,
                     timeout: float | str | None = AUTO) -> Callable[..., dict[str, Any]]:
    """An OpenRLHF `reward_func(queries, prompts, labels, **kwargs)` grading with `verifier`.

    A plain function (Ray's `ray.remote` accepts nothing else), closing over one `Scorer` that
    cloudpickle ships to each Ray worker; the worker pool starts there on first call and is kept.
    Returns torch tensors when torch is installed (older OpenRLHF `torch.cat`s them as they are),
    plain lists otherwise.
    """
    scorer = Scorer(verifier, workers=workers, timeout=timeout)

    def reward_func(queries: Sequence[Any], prompts: Sequence[Any], labels: Sequence[Any],
                    **_: Any) -> dict[str, Any]:
        return grade_queries(scorer, queries, prompts, labels)

    reward_func.scorer = scorer  # type: ignore[attr-defined]  # for logs and for closing it early
    return reward_func


_default: Callable[..., dict[str, Any]] | None = None
_default_lock = threading.Lock()


def env_reward_func() -> Callable[..., dict[str, Any]]:
    """The reward function for the verifier named by `$REST_EM_VERIFIER`, made once per process."""
    global _default
    with _default_lock:
        if _default is None:
            name = os.environ.get(VERIFIER_VARIABLE)
            if not name:
                raise RestEmError(f"set {VERIFIER_VARIABLE} to the verifier to grade with (e.g. math), or use "
                                  "make_reward_func(NAME) in your own reward file")
            _default = make_reward_func(name)
        return _default


def reward_func(queries: Sequence[Any], prompts: Sequence[Any], labels: Sequence[Any], **kwargs: Any) -> dict[str, Any]:
    """OpenRLHF's entry point when `--remote_rm_url` names this file; the verifier is `$REST_EM_VERIFIER`."""
    # Imported by name: OpenRLHF loads this file as an anonymous module and Ray pickles this function
    # by value, which must not drag the module's lock and state along.
    from rest_verify.integrations.openrlhf import env_reward_func

    return env_reward_func()(queries, prompts, labels, **kwargs)


def _as_tensors(result: dict[str, Any]) -> dict[str, Any]:
    if importlib.util.find_spec("torch") is None:
        return result
    import torch

    def tensor(values: list[float]) -> Any:
        return torch.tensor(values, dtype=torch.float32)

    return {"rewards": tensor(result["rewards"]), "scores": tensor(result["scores"]),
            "extra_logs": {key: tensor(values) for key, values in result["extra_logs"].items()}}

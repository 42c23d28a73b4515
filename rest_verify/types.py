"""The two records every part of rest-em exchanges: a `Problem` and the `Verdict` on one completion.

Both are frozen and JSON round-trippable, because verdicts are written to run directories, cached on
disk and sent between processes; their field names are a stable, documented format (see README).
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from rest_verify.errors import InvalidRecordError


class Status(str, enum.Enum):
    """Why a verdict has the reward it has. Only `correct` may carry a positive verifier reward."""

    CORRECT = "correct"
    WRONG = "wrong"
    NO_ANSWER = "no_answer"
    ERROR = "error"
    TIMEOUT = "timeout"
    INVALID_INPUT = "invalid_input"

    def __str__(self) -> str:  # so f-strings and tables print "correct", not "Status.CORRECT"
        return self.value


@dataclass(frozen=True)
class Problem:
    """What the model is asked (`prompt`) and the hidden truth it is graded against (`reference`).

    `reference` is any JSON value: a LaTeX answer for MATH, an `input_output` object for APPS.
    """

    id: str
    prompt: str = ""
    reference: Any = None
    domain: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "prompt": self.prompt, "reference": self.reference,
                "domain": self.domain, "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Problem":
        if not isinstance(data, Mapping):
            raise InvalidRecordError(f"a problem must be a JSON object, got {type(data).__name__}")
        if "id" not in data:
            raise InvalidRecordError("a problem needs an 'id'")
        meta = data.get("meta") or {}
        if not isinstance(meta, Mapping):
            raise InvalidRecordError("a problem's 'meta' must be a JSON object")
        return cls(id=str(data["id"]), prompt=str(data.get("prompt") or ""),
                   reference=data.get("reference"), domain=str(data.get("domain") or ""),
                   meta=dict(meta))


@dataclass(frozen=True)
class Verdict:
    """The reward of one completion, why it has it, and how long deciding took.

    `reward` is 0 or 1 for verifiers and real-valued for reward models. `detail` is one human-readable
    line; `info` holds structured, JSON-serialisable particulars (per-test results, extracted answer).
    """

    reward: float
    status: Status
    detail: str = ""
    elapsed: float = 0.0
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        status = self.status
        if not isinstance(status, Status):
            try:
                status = Status(status)
            except ValueError:
                allowed = ", ".join(s.value for s in Status)
                raise InvalidRecordError(f"unknown verdict status {status!r}; expected one of {allowed}") from None
            object.__setattr__(self, "status", status)
        reward = float(self.reward)
        if math.isnan(reward):
            raise InvalidRecordError("a verdict's reward must be a number, got NaN")
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "elapsed", float(self.elapsed))
        object.__setattr__(self, "detail", _one_line(str(self.detail)))

    @property
    def correct(self) -> bool:
        return self.status is Status.CORRECT

    def with_elapsed(self, elapsed: float) -> "Verdict":
        return Verdict(self.reward, self.status, self.detail, elapsed, self.info)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["info"] = dict(self.info)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Verdict":
        if not isinstance(data, Mapping) or "reward" not in data or "status" not in data:
            raise InvalidRecordError("a verdict needs 'reward' and 'status'")
        return cls(reward=data["reward"], status=data["status"], detail=data.get("detail", ""),
                   elapsed=data.get("elapsed", 0.0), info=dict(data.get("info") or {}))

    @classmethod
    def from_json(cls, text: str) -> "Verdict":
        return cls.from_dict(json.loads(text))

    # Constructors for the common outcomes, so verifiers read as decisions rather than plumbing.
    @classmethod
    def right(cls, detail: str = "", **info: Any) -> "Verdict":
        return cls(1.0, Status.CORRECT, detail, info=info)

    @classmethod
    def wrong(cls, detail: str = "", **info: Any) -> "Verdict":
        return cls(0.0, Status.WRONG, detail, info=info)

    @classmethod
    def no_answer(cls, detail: str = "no final answer found", **info: Any) -> "Verdict":
        return cls(0.0, Status.NO_ANSWER, detail, info=info)

    @classmethod
    def invalid_input(cls, detail: str, **info: Any) -> "Verdict":
        return cls(0.0, Status.INVALID_INPUT, detail, info=info)

    @classmethod
    def error(cls, detail: str, **info: Any) -> "Verdict":
        return cls(0.0, Status.ERROR, detail, info=info)

    @classmethod
    def timeout(cls, detail: str, **info: Any) -> "Verdict":
        return cls(0.0, Status.TIMEOUT, detail, info=info)


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

"""The run's graders: one per role, each configured in full and opened once.

A run grades for two purposes. The **reward** role scores the samples it trains on (E-step and Grow
samples, hence every Improve filter). The **exact** role is the verifier it reports pass@k with
(held-out samples, and in ReST the check of what a reward model kept). Each role holds a verifier with
its options and sandbox options applied, and opens one grader with the run's backend, workers and
deadline; when both roles are the same configured verifier they share that grader. Whatever grades is
handed the grader of its role, and nothing grades any other way, so a configured isolation (gVisor)
or backend (Ray) cannot be dropped on one path.

Which options go where:
- mode `rest-em`: one verifier, `grading.verifier` (default: the task's), with
  `grading.verifier_options`, serves both roles.
- mode `rest`: the reward is `grading.verifier` (default: the task's) with `rest.reward_options`; the
  exact verifier is the task's own with `grading.verifier_options`. Without a task verifier there is no
  exact role: held-out samples get the reward's verdicts and pass@k is not reported.
- `grading.sandbox_options` go to every role's verifier that runs a sandbox; they are an error when no
  role does. `backend`, `address`, `workers` and `timeout` apply to every role (timeout None: each
  verifier's own deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from rest_verify.backends import open_grader
from rest_verify.engine import AUTO
from rest_verify.errors import VerifierOptionError
from rest_verify.sandbox_options import SandboxOptionError, runs_sandbox, with_sandbox_options
from rest_verify.verifier_options import configured

from rest_train.config import ConfigError, RunConfig

REWARD, EXACT = "reward", "exact"


@dataclass(frozen=True)
class RoleVerifiers:
    """The configured verifier of each role; `exact` is `reward` itself when the two are one."""

    reward: Any
    exact: Any | None

    @property
    def shared(self) -> bool:
        return self.exact is self.reward

    def describe(self) -> dict[str, Any]:
        """`name@version` of each role, for the run record."""
        return {role: None if verifier is None else f"{verifier.name}@{verifier.version}"
                for role, verifier in ((REWARD, self.reward), (EXACT, self.exact))}


def role_verifiers(config: RunConfig, task_verifier: str | None) -> RoleVerifiers:
    """Each role's verifier as `config` describes it; a bad option is a ConfigError naming its field."""
    grading = config.grading
    reward_name = grading.verifier or task_verifier
    if not reward_name:
        raise ConfigError(f"grading.verifier is required: task {config.data.task!r} names no verifier")
    if config.mode == "rest":
        reward = _configured(reward_name, config.rest.reward_options, "rest.reward_options")
        exact = (None if task_verifier is None else
                 _configured(task_verifier, grading.verifier_options, "grading.verifier_options"))
        if exact is not None and _same(reward, exact):
            exact = reward
    else:
        reward = exact = _configured(reward_name, grading.verifier_options, "grading.verifier_options")
    return _with_sandbox(RoleVerifiers(reward, exact), grading.sandbox_options)


def _configured(name: str, options: Mapping[str, Any], field: str) -> Any:
    try:
        return configured(name, options)
    except VerifierOptionError as exc:
        raise ConfigError(f"{field}: {exc}") from None


def _same(a: Any, b: Any) -> bool:
    """Two configured verifiers give the same verdicts: same name and version (options change the version)."""
    return (a.name, str(a.version)) == (b.name, str(b.version)) and type(a) is type(b)


def _with_sandbox(verifiers: RoleVerifiers, options: Mapping[str, Any]) -> RoleVerifiers:
    if not options:
        return verifiers
    roles = [v for v in (verifiers.reward, verifiers.exact) if v is not None]
    if not any(runs_sandbox(v) for v in roles):
        names = " and ".join(sorted({repr(v.name) for v in roles}))
        raise ConfigError(f"grading.sandbox_options: verifier {names} runs no sandbox, so it takes no sandbox "
                          f"options (given: {', '.join(sorted(options))})")

    def apply(verifier: Any) -> Any:
        if not runs_sandbox(verifier):
            return verifier
        try:
            return with_sandbox_options(verifier, options)
        except (SandboxOptionError, ValueError) as exc:
            raise ConfigError(f"grading.sandbox_options: {exc}") from None

    reward = apply(verifiers.reward)
    if verifiers.shared:
        return RoleVerifiers(reward, reward)
    return RoleVerifiers(reward, None if verifiers.exact is None else apply(verifiers.exact))


class RunGraders:
    """The graders of one run by role, each opened on first use and closed by `close`."""

    def __init__(self, verifiers: RoleVerifiers, config: RunConfig, *, progress: bool | None = None):
        self.verifiers = verifiers
        self._config = config.grading
        self._progress = progress
        self._open: dict[str, Any] = {}

    @property
    def separate(self) -> bool:
        """Whether the reward and the exact verifier are two graders (ReST with a reward model)."""
        return self.verifiers.exact is not None and not self.verifiers.shared

    def reward(self) -> Any:
        return self._grader(REWARD)

    def exact(self) -> Any:
        """The pass@k grader: the exact verifier's, or the reward's where there is no exact role."""
        return self._grader(EXACT if self.separate else REWARD)

    def close(self) -> None:
        graders, self._open = list(self._open.values()), {}
        for grader in graders:
            grader.close()

    def _grader(self, role: str) -> Any:
        if role not in self._open:
            grading = self._config
            verifier = self.verifiers.reward if role == REWARD else self.verifiers.exact
            self._open[role] = open_grader(verifier, backend=grading.backend, address=grading.address,
                                           workers=grading.workers, progress=self._progress,
                                           timeout=AUTO if grading.timeout is None else grading.timeout)
        return self._open[role]

"""`apps`: reward 1 when a program passes every test of an APPS/CodeContests-style problem."""

from __future__ import annotations

import time
from typing import Any, Mapping

from rest_em_apps.compare import compare_stdout, compare_value
from rest_em_apps.extract import extract_code, fence_tags
from rest_em_apps.reference import InvalidReference, TestSuite, parse_reference
from rest_em_apps.runner import HarnessFailure, RunSettings, build_request, new_key, read_report
from rest_verify.errors import PluginError
from rest_verify.languages import Language, find_language, registered_languages
from rest_verify.types import Problem, Verdict
from sandboxes.base import SandboxError

MAX_TIME_LIMIT = 10.0
MAX_COMPILE_TIME_LIMIT = 60.0
_SNIPPET = 300


class AppsVerifier:
    """Runs the completion's program in a sandbox on every test input; compares outputs on the host.

    Options: `sandbox` (backend name, "docker" for untrusted code), `sandbox_options` (passed to its
    factory), `time_limit` (seconds per test, at most 10), `memory_mb` (per test; by default 512, or
    more where the language asks for more), `total_time_limit` (seconds for the whole submission),
    `language` (a registered language, used when neither the problem's `meta["language"]` nor a fence
    tag of the completion names one), `compile_time_limit` and `compile_memory_mb` (the compiler's own
    limits, for compiled languages; by default the language's). Languages come from the
    `register_languages` hook and are looked up when a submission is graded (the verifier is built while
    plugins load, before every language is known). The sandbox is created lazily in the process that
    grades, so the verifier pickles to worker processes without one.
    """

    name = "apps"
    version = "3"  # 2: C++, and the language taken from a completion's fence; 3: registered languages

    def __init__(self, sandbox: str = "docker", time_limit: float = 6.0, memory_mb: int | None = None,
                 total_time_limit: float = 60.0, language: str = "python",
                 sandbox_options: Mapping[str, Any] | None = None, compile_time_limit: float | None = None,
                 compile_memory_mb: int | None = None):
        if not 0 < time_limit <= MAX_TIME_LIMIT:
            raise ValueError(f"time_limit must be in (0, {MAX_TIME_LIMIT}] seconds, got {time_limit!r}")
        if memory_mb is not None and not (isinstance(memory_mb, int) and memory_mb >= 64):
            raise ValueError(f"memory_mb must be an integer of at least 64, got {memory_mb!r}")
        if not total_time_limit >= time_limit:
            raise ValueError(f"total_time_limit ({total_time_limit!r}) must be at least time_limit ({time_limit!r})")
        if compile_time_limit is not None and not 0 < compile_time_limit <= MAX_COMPILE_TIME_LIMIT:
            raise ValueError(f"compile_time_limit must be in (0, {MAX_COMPILE_TIME_LIMIT}] seconds, "
                             f"got {compile_time_limit!r}")
        if compile_memory_mb is not None and not (isinstance(compile_memory_mb, int) and compile_memory_mb >= 64):
            raise ValueError(f"compile_memory_mb must be an integer of at least 64, got {compile_memory_mb!r}")
        if not isinstance(language, str) or not language.strip():
            raise ValueError(f"language must be a language's name, got {language!r}")
        self.sandbox_name = sandbox
        self.sandbox_options = dict(sandbox_options or {})
        self.language = language
        self.settings = RunSettings(time_limit=float(time_limit), memory_mb=memory_mb,
                                    total_time_limit=float(total_time_limit),
                                    compile_seconds=None if compile_time_limit is None else float(compile_time_limit),
                                    compile_memory_mb=compile_memory_mb)
        self._sandbox: Any = None

    @property
    def deadline(self) -> float:
        """The engine's kill deadline for one submission: the sandbox's own wall limit plus room to start
        and remove a container under load. The sandbox enforces the real limit; this is the backstop."""
        compile_seconds = self.settings.compile_seconds or max(
            (language.compile.seconds for language in registered_languages().values() if language.compile),
            default=0.0)
        return self.settings.total_time_limit + compile_seconds + 30.0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_sandbox"] = None  # a live sandbox (containers, a docker client) stays in its process
        return state

    def close(self) -> None:
        """Release the sandbox (its warm containers); a later `verify` makes a new one."""
        if self._sandbox is not None:
            sandbox, self._sandbox = self._sandbox, None
            sandbox.close()

    @property
    def examples(self) -> list[tuple[Problem, str]]:
        """Known-correct (problem, completion) pairs, one per test mode, for the conformance kit."""
        add = Problem(id="apps-example/stdin", prompt="Print the sum of two integers read from stdin.",
                      reference={"inputs": ["1 2\n", "-5 5\n"], "outputs": ["3\n", "0\n"]}, domain="code")
        call = Problem(id="apps-example/call", prompt="Write reverse_words(s) reversing the word order.",
                       reference={"fn_name": "reverse_words", "inputs": [["a b c"], ["x"]],
                                  "outputs": ["c b a", "x"]}, domain="code")
        return [(add, "```python\na, b = map(int, input().split())\nprint(a + b)\n```"),
                (call, "def reverse_words(s):\n    return ' '.join(reversed(s.split()))\n")]

    def verify(self, problem: Problem, completion: str) -> Verdict:
        try:
            suite = parse_reference(problem.reference)
        except InvalidReference as exc:
            return Verdict.invalid_input(str(exc))
        if not isinstance(completion, str):
            return Verdict.invalid_input(f"completion must be text, got {type(completion).__name__}")
        try:
            language = self.language_for(problem, completion)
        except UnknownLanguage as exc:
            return Verdict.invalid_input(str(exc))
        if suite.call_based and not language.call_based:
            return Verdict.invalid_input(f"call-based problems (fn_name) need Python, not {language.name}")
        source = extract_code(completion, language)
        if source is None:
            return Verdict.no_answer(_missing_program(completion, language))
        start = time.monotonic()
        try:
            key = new_key()
            result = self._get_sandbox().run(build_request(source, suite, language, self.settings, key))
            report = read_report(result, key)
        except (SandboxError, PluginError) as exc:  # PluginError: no such sandbox backend installed
            self._discard_sandbox()
            return Verdict.error(f"sandbox {self.sandbox_name!r} failed: {exc}")
        except HarnessFailure as exc:
            info = {"sandbox_elapsed": round(time.monotonic() - start, 4)}
            if exc.cause == "infrastructure":
                return Verdict.error(str(exc), **info)
            if exc.cause == "timeout":
                return Verdict.timeout(f"0/{len(suite.inputs)} tests passed: {exc}", **info)
            return Verdict.wrong(f"0/{len(suite.inputs)} tests passed: {exc}", **info)
        except Exception as exc:  # noqa: BLE001 -- a backend's unforeseen failure is a verdict, not a crash
            self._discard_sandbox()
            return Verdict.error(f"sandbox {self.sandbox_name!r} failed: {type(exc).__name__}: {exc}")
        return judge(suite, report, time.monotonic() - start)

    def _discard_sandbox(self) -> None:
        """After a backend failure, start afresh next time rather than reuse a sandbox in a bad state."""
        try:
            self.close()
        except Exception:  # noqa: BLE001 -- already failing; the original error is the one to report
            self._sandbox = None

    def language_for(self, problem: Problem, completion: str) -> Language:
        """The problem's `meta["language"]`, else the last fence tag naming a known language, else the
        verifier's default."""
        meta = problem.meta if isinstance(problem.meta, Mapping) else {}
        if "language" in meta:
            name = meta["language"]
            language = find_language(name) if isinstance(name, str) else None
            if language is None:
                raise UnknownLanguage(f"unknown language {name!r} in the problem's meta; known: {_known()}")
            return language
        tagged = [find_language(tag) for tag in fence_tags(completion)]
        known = [language for language in tagged if language is not None]
        if known:
            return known[-1]
        default = find_language(self.language)
        if default is None:
            raise UnknownLanguage(f"the verifier's language {self.language!r} is not registered; known: {_known()}")
        return default

    def with_sandbox_options(self, options: Mapping[str, Any]) -> "AppsVerifier":
        """A copy whose sandbox gets `options` over its own, checked now when the backend can check
        them without running anything (`check_options`), so bad options stop a run before it grades."""
        from rest_verify.plugins import get_sandbox_factory

        merged = {**self.sandbox_options, **options}
        check = getattr(get_sandbox_factory(self.sandbox_name), "check_options", None)
        if check is not None:
            check(**merged)
        copy = AppsVerifier.__new__(AppsVerifier)
        copy.__dict__.update(self.__getstate__(), sandbox_options=merged)
        return copy

    def _get_sandbox(self) -> Any:
        if self._sandbox is None:
            from rest_verify.plugins import get_sandbox_factory

            self._sandbox = get_sandbox_factory(self.sandbox_name)(**self.sandbox_options)
        return self._sandbox


class UnknownLanguage(ValueError):
    """A problem asks for a language no plugin registers."""


def _known() -> str:
    return ", ".join(sorted(registered_languages())) or "none"


def _missing_program(completion: str, language: Language) -> str:
    detail = f"no {language.name} program found in the completion"
    others = sorted({tag for tag in fence_tags(completion) if tag and find_language(tag) is None})
    if others:
        detail += (f"; its code is tagged {', '.join(others)}, which the verifier cannot run "
                   f"(languages: {_known()})")
    return detail


def judge(suite: TestSuite, report: Mapping[str, Any], sandbox_elapsed: float) -> Verdict:
    """The verdict from the harness's report: every expected output compared here, on the host."""
    total = len(suite.inputs)
    records = list(report.get("tests") or [])
    compile_error = report.get("compile_error")
    tests: list[dict[str, Any]] = []
    for index in range(total):
        record = records[index] if index < len(records) and isinstance(records[index], dict) else None
        tests.append(_judge_test(suite, index, record, compile_error))
    passed = sum(test["result"] == "pass" for test in tests)
    info = {"tests": tests, "passed": passed, "total": total, "sandbox_elapsed": round(sandbox_elapsed, 4)}
    if isinstance(report.get("compile_elapsed"), (int, float)):
        info["compile_elapsed"] = report["compile_elapsed"]
    if compile_error:
        info["compile_error"] = _text(compile_error, limit=4 * _SNIPPET)
    if passed == total:
        return Verdict.right(f"{total}/{total} tests passed", **info)
    first = next(test for test in tests if test["result"] != "pass")
    detail = f"{passed}/{total} tests passed; first failure: test {first['test']} {_describe(first)}"
    if first["result"] == "timeout":
        return Verdict.timeout(detail, **info)
    return Verdict.wrong(detail, **info)


def _judge_test(suite: TestSuite, index: int, record: Mapping[str, Any] | None,
                compile_error: Any) -> dict[str, Any]:
    test: dict[str, Any] = {"test": index + 1}
    if compile_error:
        return {**test, "result": "error", "reason": f"does not compile: {_text(compile_error)}"}
    if record is None:
        return {**test, "result": "error", "reason": "missing from the harness report"}
    test["elapsed"] = record.get("elapsed") if isinstance(record.get("elapsed"), (int, float)) else None
    status = record.get("status")
    if status == "ok":
        if suite.call_based:
            if "value" not in record:
                return {**test, "result": "error", "reason": "no return value reported"}
            reason = compare_value(record["value"], suite.outputs[index])
        else:
            stdout = record.get("stdout")
            if not isinstance(stdout, str):
                return {**test, "result": "error", "reason": "no output reported"}
            reason = compare_stdout(stdout, suite.outputs[index])
        return {**test, "result": "pass"} if reason is None else {**test, "result": "fail", "reason": reason}
    if status == "timeout":
        return {**test, "result": "timeout", "reason": "time limit exceeded"}
    if status == "runtime_error":
        why = record.get("error") or _last_line(record.get("stderr")) or f"exit code {record.get('exit_code')}"
        if record.get("signal"):
            why = f"killed by signal {record['signal']}"
        return {**test, "result": "runtime_error", "reason": _text(why)}
    if status == "skipped":
        return {**test, "result": "skipped", "reason": _text(record.get("reason") or "not run")}
    if status == "output_limit":
        return {**test, "result": "error", "reason": _text(record.get("error") or "output limit exceeded")}
    return {**test, "result": "error", "reason": _text(record.get("error") or f"harness status {status!r}")}


def _describe(test: Mapping[str, Any]) -> str:
    label = {"fail": "wrong answer", "timeout": "timeout", "runtime_error": "runtime error",
             "skipped": "skipped", "error": "error"}[test["result"]]
    return f"{label} ({test['reason']})" if test.get("reason") else label


def _last_line(text: Any) -> str:
    lines = [line for line in str(text or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _text(value: Any, limit: int = _SNIPPET) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""One sandbox execution per submission: ship the harness, the program and the test INPUTS, read back
what the program did. Expected outputs never enter the request; nothing here decides a verdict."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from rest_em_apps.languages import HARNESS_ARGV, HARNESS_FILE, JOB_FILE
from rest_em_apps.reference import TestSuite
from rest_verify.languages import CompileStep, Language
from sandboxes.base import ExecRequest, ExecResult, Limits

# Must match rest_em_apps/harness.py (which cannot import this module: it runs alone in the sandbox).
READY = b"RESTEM-APPS-READY\n"
MAC_HEADER = b"RESTEM-APPS-MAC "

HARNESS_MEMORY_MB = 128  # the harness interpreter itself, on top of the program's own allowance
START_SECONDS = 2.0  # interpreter start-up and report, on top of the tests' own time
DEFAULT_MEMORY_MB = 512  # per test, for a language that asks for no more


@dataclass(frozen=True)
class RunSettings:
    """Limits of one submission's run. Time and memory are per test; output is per test and in total.
    A compiled language first gets `compile_seconds` and `compile_memory_mb` for its compiler. Memory and
    the compiler's limits left None are the language's own (`for_language`)."""

    time_limit: float = 6.0
    memory_mb: int | None = None
    total_time_limit: float = 60.0
    max_output_bytes: int = 4 << 20
    total_output_bytes: int = 16 << 20
    max_file_bytes: int = 16 << 20
    compile_seconds: float | None = None
    compile_memory_mb: int | None = None

    def for_language(self, language: Language) -> "RunSettings":
        """These settings with every limit left None filled from `language` (or the general default)."""
        step = language.compile or CompileStep(())
        return replace(self, memory_mb=self.memory_mb or language.memory_mb or DEFAULT_MEMORY_MB,
                       compile_seconds=self.compile_seconds or step.seconds,
                       compile_memory_mb=self.compile_memory_mb or step.memory_mb)


class HarnessFailure(Exception):
    """No usable report came back. `cause` is "infrastructure" (the harness could not start, or failed
    with its own traceback), "timeout" (the overall deadline) or "program" (the harness was killed or
    starved, which only the submitted program can do)."""

    def __init__(self, message: str, cause: str):
        super().__init__(message)
        self.cause = cause


def new_key() -> str:
    """A one-time key for one submission's report (64 hex characters, as the harness expects)."""
    return secrets.token_hex(32)


def build_request(source: str, suite: TestSuite, language: Language, settings: RunSettings,
                  key: str) -> ExecRequest:
    """The sandbox request for running `source` on every input of `suite` (outputs stay out).

    `key` goes to the harness's standard input; only a report authenticated with it is accepted back.
    """
    settings = settings.for_language(language)
    total = min(settings.total_time_limit, len(suite.inputs) * settings.time_limit + START_SECONDS)
    step = language.compile
    compile_seconds = settings.compile_seconds if step else 0.0
    memory_mb = max(settings.memory_mb, settings.compile_memory_mb if step else 0)
    job: dict[str, Any] = {
        "source_file": language.source_file,
        "mode": "call" if suite.call_based else "stdin",
        "fn_name": suite.fn_name,
        "inputs": list(suite.inputs),
        "in_process": language.in_process,
        "argv": list(language.run),
        "compile": list(step.argv) if step else [],
        "compile_seconds": settings.compile_seconds,
        "compile_memory_mb": settings.compile_memory_mb,
        "compile_output_bytes": step.output_bytes if step else 0,
        "environment": dict(language.environment),
        "limit_address_space": language.limit_address_space,
        "time_limit": settings.time_limit,
        "total_seconds": total,
        "memory_mb": settings.memory_mb,
        "max_output_bytes": settings.max_output_bytes,
        "total_output_bytes": settings.total_output_bytes,
        "max_file_bytes": settings.max_file_bytes,
    }
    # Lone surrogates (from undecodable model output) travel as they are and fail to compile.
    files = {HARNESS_FILE: harness_source(), language.source_file: source.encode("utf-8", "surrogatepass"),
             JOB_FILE: json.dumps(job)}
    limits = Limits(wall_seconds=total + compile_seconds + START_SECONDS,
                    memory_mb=memory_mb + HARNESS_MEMORY_MB,
                    max_output_bytes=settings.total_output_bytes + (1 << 20),
                    max_file_bytes=settings.max_file_bytes)
    return ExecRequest(files=files, argv=list(HARNESS_ARGV), stdin=key.encode("ascii"), limits=limits)


@functools.lru_cache(maxsize=1)
def harness_source() -> str:
    """The harness script, read once per process (every request ships the same text)."""
    return resources.files("rest_em_apps").joinpath("harness.py").read_text(encoding="utf-8")


def read_report(result: ExecResult, key: str) -> dict[str, Any]:
    """The harness's report, authenticated with `key`, or `HarnessFailure` saying why there is none.

    The report is the last frame of standard output: `<json>\nRESTEM-APPS-MAC <length> <hmac>\n`.
    Anything else on the stream (whatever a program managed to write there) is ignored.
    """
    out = result.stdout
    if not out.startswith(READY):
        raise HarnessFailure(f"the harness did not start (exit code {result.exit_code}): "
                             f"{_tail(result.stderr)}", "infrastructure")
    head, _, trailer = out[:-1].rpartition(b"\n")
    if not out.endswith(b"\n") or not trailer.startswith(MAC_HEADER):
        raise HarnessFailure(*_why_silent(result))
    length, _, mac = trailer[len(MAC_HEADER):].partition(b" ")
    if not length.isdigit() or int(length) > len(head):
        raise HarnessFailure("the harness report is malformed", "program")
    data = head[len(head) - int(length):]
    expected = hmac.new(key.encode("ascii"), data, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, expected):
        raise HarnessFailure("the report does not carry the harness's signature (forged or corrupted)",
                             "program")
    try:
        report = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise HarnessFailure(f"the harness report is not valid JSON: {exc}", "infrastructure") from None
    if not isinstance(report, dict) or not isinstance(report.get("tests"), list):
        raise HarnessFailure("the harness report has no test list", "infrastructure")
    return report


def _why_silent(result: ExecResult) -> tuple[str, str]:
    if result.timed_out:
        return "the submission ran past its overall time limit", "timeout"
    if result.oom_killed:
        return "the submission exhausted the sandbox's memory", "program"
    if result.stderr.strip():  # children never hold the harness's stderr: this is the harness's own
        return f"the harness failed (exit code {result.exit_code}): {_tail(result.stderr)}", "infrastructure"
    return f"the harness was killed before it reported (exit code {result.exit_code})", "program"


def _tail(data: bytes, limit: int = 300) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text[-limit:] if text else "no error output"

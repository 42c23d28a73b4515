"""Isolated execution of untrusted programs: `Sandbox.run(ExecRequest) -> ExecResult`.

`docker` is the security boundary; `process` is for trusted code and machines without Docker.
"""

from sandboxes.base import ExecRequest, ExecResult, Limits, Sandbox, SandboxError, SandboxUnavailable

__all__ = ["ExecRequest", "ExecResult", "Limits", "Sandbox", "SandboxError", "SandboxUnavailable"]

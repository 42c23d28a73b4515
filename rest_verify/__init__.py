"""rest-em's reward subsystem: verdict types, plugin hooks, the grading engine."""

from rest_verify.assets import AssetError, asset, read_asset
from rest_verify.commands import Command
from rest_verify.deadlines import current_deadline
from rest_verify.engine import Grader, grade, grade_iter, verify
from rest_verify.errors import (DuplicateNameError, InvalidRecordError, PluginError, RestEmError,
                                UnknownNameError)
from rest_verify.hookspecs import hookimpl
from rest_verify.plugins import get_registry, get_verifier
from rest_verify.types import Problem, Status, Verdict

__all__ = [
    "AssetError", "Command", "DuplicateNameError", "Grader", "InvalidRecordError", "PluginError", "Problem",
    "RestEmError", "Status", "UnknownNameError", "Verdict", "asset", "current_deadline", "get_registry",
    "get_verifier", "grade", "grade_iter", "hookimpl", "read_asset", "verify",
]

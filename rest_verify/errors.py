"""Errors a user of rest-em can meet. Each says what was wrong and what to do next."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name when the message is empty: the cause of a
    third-party failure (a hub, a tracker, a file system) in the one line our errors give it."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class RestEmError(Exception):
    """Base class of every error rest-em raises on purpose."""


class InvalidRecordError(RestEmError, ValueError):
    """A problem, verdict or input line does not have the documented shape."""


class PluginError(RestEmError):
    """A plugin could not be loaded, or broke a registration rule."""


class DuplicateNameError(PluginError):
    """Two plugins registered the same name for the same kind of thing."""


class UnknownNameError(PluginError, LookupError):
    """A verifier, sandbox, task or generator was asked for by a name nobody registered."""


class CacheError(RestEmError):
    """A verdict cache file cannot be opened or used (not an SQLite database, no permission…)."""


class MissingDependencyError(RestEmError, ImportError):
    """A feature needs an optional package that is not installed; the message says what to install."""


class VerifierOptionError(RestEmError, ValueError):
    """A verifier option is malformed, unknown to the verifier, or given to a verifier that takes none."""

"""A text-to-SQL verifier by execution match: rest-em's worked third-party plugin."""

from rest_em_sql.verifier import SqlExecVerifier

__all__ = ["SqlExecVerifier"]

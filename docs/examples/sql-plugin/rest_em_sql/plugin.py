"""The module the `rest_em` entry point names: hooks only, no heavy imports."""

from rest_verify import hookimpl


@hookimpl
def register_verifiers(register):
    from rest_em_sql.verifier import SqlExecVerifier

    register(SqlExecVerifier())

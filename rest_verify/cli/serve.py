"""`rest-em serve`: a reward server for trainers that call rewards over HTTP (OpenRLHF's protocol)."""

from __future__ import annotations

import os

import click

from rest_verify.cli.options import timeout_option, verifier_option
from rest_verify.errors import MissingDependencyError, RestEmError


@click.command()
@verifier_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the loopback default unless the trainer runs on another machine.")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=5000, show_default=True,
              help="Port to listen on; 0 picks a free one (printed on start).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
              help="Grading worker processes (default: CPU count).")
@timeout_option("scores 0 as `timeout`")
@click.option("--max-concurrency", type=click.IntRange(min=1), default=64, show_default=True,
              help="Requests in flight at once; more are answered 429 with Retry-After (not queued).")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=150.0, show_default=True,
              help="Deadline per request, queueing included; past it the answer is 504.")
@click.option("--cache", type=click.Path(dir_okay=False), default=None,
              help="SQLite file of verdicts kept across restarts (shared with `rest-em grade --cache`).")
def serve(verifier: str, host: str, port: int, workers: int | None, timeout: float | str, max_concurrency: int,
          request_timeout: float, cache: str | None) -> None:
    """Serve VERIFIER over HTTP: POST /get_reward {"query", "prompts", "labels"} -> {"rewards", "scores", "extra_logs"}.

    Speaks OpenRLHF's remote reward-model protocol (--remote_rm_url http://HOST:PORT/get_reward);
    GET /health reports load and verdict counts. Stop it with Ctrl-C.
    """
    try:
        from rest_verify.integrations.server import run_server
    except ImportError as exc:
        raise MissingDependencyError(f"rest-em serve needs FastAPI and uvicorn ({exc}); "
                                     "install them with: pip install 'rest-em[serve]'") from exc
    try:
        run_server(verifier, host=host, port=port, workers=workers or os.cpu_count() or 1, timeout=timeout,
                   max_concurrency=max_concurrency, request_timeout=request_timeout, cache=cache)
    except OSError as exc:  # said here because only here is it known which address was wanted
        raise RestEmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

"""`rest-em view PATH`: write the viewer page, and with `--serve` serve it on 127.0.0.1 until Ctrl-C.

Imports neither torch nor the training loop: it reads files only (registered in rest_train.plugin).
"""

from __future__ import annotations

import http.server
from pathlib import Path

import click

from rest_train.reports.viewer import write_view


def make_server(page: Path, port: int) -> http.server.HTTPServer:
    """A server on 127.0.0.1:`port` (0: any free one) answering every GET with the page, nothing else."""
    body = Path(page).read_bytes()

    class PageHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
            pass

    return http.server.ThreadingHTTPServer(("127.0.0.1", port), PageHandler)


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where the page goes (default: viewer.html in a run directory, FILE.html beside a graded file).")
@click.option("--against", default=None, metavar="VERIFIER",
              help="Regrade the samples that have a reference with this second verifier; disagreements become "
                   "audit findings.")
@click.option("--serve", is_flag=True, help="Also serve the page on 127.0.0.1 until Ctrl-C (opens no browser).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="--serve: the port (0: any free one).")
def view(path: Path, output: Path | None, against: str | None, serve: bool, port: int) -> None:
    """Write one self-contained HTML page to read PATH: a run directory or a `rest-em grade` output file.

    The page needs no network and no server: open it from disk. It shows the per-iteration curves, every
    sample with its verdict (filters by status, kept, iteration, problem and text), and the audit's findings.
    """
    written = write_view(path, output, against=against)
    click.echo(f"viewer: {written}")
    if not serve:
        return
    server = make_server(written, port)
    host, bound = server.server_address[:2]
    click.echo(f"serving on http://{host}:{bound}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

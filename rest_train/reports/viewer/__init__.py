"""`rest-em view`: one self-contained HTML page to read a run directory or a graded file in a browser."""

from __future__ import annotations

from pathlib import Path

from rest_train.reports.viewer import data, page

# The page's name beside a run's report.md (rest-em demo writes it there).
VIEWER_NAME = "viewer.html"


def write_view(path: Path, output: Path | None = None, against: str | None = None) -> Path:
    """Write the viewer of `path` (run directory or graded JSONL) to `output` and return where it is.

    Default place: VIEWER_NAME inside a run directory, `<file>.html` beside a graded file.
    """
    path = Path(path)
    if output is None:
        output = path / VIEWER_NAME if path.is_dir() else path.with_name(path.name + ".html")
    return page.write(data.load(path, against=against), output)

"""Headless Chromium for the viewer tests: dump a page's DOM after its script ran, or screenshot it.

Debian's `chromium` package (scripts/test.sh installs it). Each run gets its own profile directory and a
deadline; `--virtual-time-budget` lets the page's asynchronous start (decompressing its data) finish
before the DOM is dumped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

DEADLINE = 60
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=10000")


def chromium() -> str:
    """The Chromium binary; skips the test without one, and fails it under CI=true."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "no Chromium (apt-get install chromium; scripts/test.sh does it as root)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but: {reason}")
        pytest.skip(reason)
    return found


def _run(page_url: str, profile: Path, *extra: str) -> str:
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page_url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


def dump_dom(page: Path, tmp_path: Path, fragment: str = "") -> str:
    """The DOM of `page` (opened from disk, `#fragment` appended) once its script has run."""
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    return _run(url, tmp_path / "profile-dom", "--dump-dom")


def screenshot(page: Path, png: Path, tmp_path: Path, size: str = "1280,1800", fragment: str = "") -> Path:
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    _run(url, tmp_path / "profile-shot", f"--screenshot={png}", f"--window-size={size}")
    assert png.exists() and png.stat().st_size > 0, "chromium wrote no screenshot"
    return png

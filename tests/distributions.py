"""Installed distributions made by hand for the plugin-loading tests: what `pip install` leaves on sys.path."""

from __future__ import annotations

from pathlib import Path


def write_dist_info(root: Path, dist_name: str, entry_points: dict[str, str], version: str = "0.1") -> Path:
    """A `.dist-info` in `root` naming `dist_name` with `rest_em` entry points (name -> module)."""
    info = root / f"{dist_name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n")
    lines = "".join(f"{name} = {module}\n" for name, module in entry_points.items())
    (info / "entry_points.txt").write_text(f"[rest_em]\n{lines}")
    return info

"""rest-em and its plugins as a user installs them from the package index: .envs/wheels holds the wheels
scripts/envs/wheels.sh built (each from its sdist, both passing `twine check`), installed from those files
alone, and the installed framework finds its plugins and passes its own conformance kit."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.isolated_env("wheels")

# What wheels.sh installs; rest-em-rm is built and checked only (it needs torch).
INSTALLED = ("rest-em", "rest-em-math", "rest-em-apps", "rest-em-arith")


def run(environment: Path, *argv: str, cwd: Path) -> str:
    """A program of the environment run as a user would: none of this process's PYTHONPATH or
    REST_EM_PLUGINS, from a folder outside the checkout; fails the test unless it succeeds cleanly."""
    keep = {name: os.environ[name] for name in ("HOME", "TMPDIR") if name in os.environ}
    env = {**keep, "PATH": f"{environment / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    result = subprocess.run([str(environment / "bin" / argv[0]), *argv[1:]], capture_output=True, text=True,
                            timeout=180, cwd=cwd, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in output, f"{' '.join(argv)} exited {result.returncode}:\n{output}"
    return result.stdout


def direct_urls(environment: Path) -> dict[str, dict]:
    """Each installed distribution's direct_url.json (how pip got it), by distribution name."""
    found = {}
    for record in environment.glob("lib/python*/site-packages/*.dist-info/direct_url.json"):
        name = record.parent.name.split("-", 1)[0].replace("_", "-").lower()
        found[name] = json.loads(record.read_text())
    return found


def test_every_distribution_has_an_sdist_and_a_wheel(isolated_env: Path) -> None:
    built = {path.name for path in (isolated_env / "dist").iterdir()}
    for name in (*INSTALLED, "rest-em-rm"):
        stem = name.replace("-", "_")
        assert {f"{stem}-0.1.0.tar.gz", f"{stem}-0.1.0-py3-none-any.whl"} <= built, built


def test_the_distributions_are_installed_from_the_built_wheels_and_none_is_editable(isolated_env: Path,
                                                                                    tmp_path: Path) -> None:
    urls = direct_urls(isolated_env)
    for name in INSTALLED:
        assert urls[name]["url"].startswith(f"file://{isolated_env / 'dist'}/"), urls[name]
        assert urls[name]["url"].endswith(".whl") and "archive_info" in urls[name], urls[name]
    assert not [name for name, url in urls.items() if url.get("dir_info", {}).get("editable")]
    assert json.loads(run(isolated_env, "pip", "list", "--editable", "--format", "json", cwd=tmp_path)) == []
    assert "rest-em-rm" not in urls and "torch" not in run(isolated_env, "pip", "list", cwd=tmp_path)


def test_installed_rest_em_lists_its_plugins_and_passes_its_kit(isolated_env: Path, tmp_path: Path) -> None:
    rows = json.loads(run(isolated_env, "rest-em", "plugins", "--json", "--kind", "verifiers", cwd=tmp_path))
    assert {row["name"]: row["distribution"] for row in rows} == {
        "exact": "rest-em", "math": "rest-em-math", "gsm8k": "rest-em-math", "apps": "rest-em-apps",
        "arith": "rest-em-arith"}
    for verifier in ("exact", "math"):
        assert " 0 failed" in run(isolated_env, "rest-em", "check", verifier, cwd=tmp_path)

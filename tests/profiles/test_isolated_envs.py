"""Every environment scripts/envs/ builds sees only its own site-packages, so what it imports comes from
its own requirements on every machine, not from packages someone installed into the base interpreter."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENVS = sorted(path.stem for path in (ROOT / "scripts" / "envs").glob("*.sh"))


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.isolated_env(name)) for name in ENVS])
def test_an_isolated_environment_sees_no_site_packages_but_its_own(name, isolated_env):
    settings = dict(line.split(" = ", 1) for line in (isolated_env / "pyvenv.cfg").read_text().splitlines()
                    if " = " in line)
    assert settings.get("include-system-site-packages") == "false", f".envs/{name} sees the base interpreter"
    paths = subprocess.run([str(isolated_env / "bin" / "python"), "-c", "import sys; print('\\n'.join(sys.path))"],
                           capture_output=True, text=True, timeout=60, check=True).stdout.split()
    outside = [path for path in paths if "site-packages" in path and not path.startswith(str(isolated_env))]
    assert not outside, f".envs/{name} imports from outside itself: {outside}"

"""`make lint` inside `make test`: ruff's rules (pyproject.toml) pass on the whole tree, and the
tree is formatted as `ruff format` would write it. The notebooks are excluded (pyproject.toml)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from conftest import ROOT

RUFF = pathlib.Path(sys.executable).parent / ("ruff.exe" if sys.platform == "win32" else "ruff")


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUFF), *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_ruff_check_passes():
    done = _ruff("check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_tree_is_formatted():
    done = _ruff("format", "--check", "--no-cache", ".")
    assert done.returncode == 0, "run `ruff format .`:\n" + done.stdout + done.stderr


def test_the_checks_can_fail(tmp_path):
    """The rules are on: an unused import and an unformatted line are caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx = {  'a':1 }\n", encoding="utf-8")
    assert (
        "F401"
        in _ruff("check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad)).stdout
    )
    assert _ruff("format", "--check", "--no-cache", str(bad)).returncode == 1

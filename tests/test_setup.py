"""scripts/setup.py (what `make lab` and `make test` run): the interpreter it picks, the clear
stop when there is none, and the broken .venv it mends."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import ROOT

SETUP = ROOT / "scripts" / "setup.py"

# A `python3` that reports another version: the real interpreter, with sys.version_info
# replaced before it runs `-c CODE` or a script, as a real Python of that version would.
SHIM = """#!{real}
import collections, runpy, sys
V = collections.namedtuple("version_info", "major minor micro releaselevel serial")
sys.version_info = V({major}, {minor}, 0, "final", 0)
sys.version = "{major}.{minor}.0 (shim)"
if {no_ensurepip}:
    sys.modules["ensurepip"] = None
args = sys.argv[1:]
if args[:1] == ["--version"]:
    print("Python {major}.{minor}.0")
elif args[:1] == ["-c"]:
    sys.argv = ["-c"] + args[2:]
    exec(compile(args[1], "<string>", "exec"), {{"__name__": "__main__"}})
else:
    sys.argv = args
    runpy.run_path(args[0], run_name="__main__")
"""


def make_shim(directory, version: str, no_ensurepip: bool = False):
    major, minor = (int(p) for p in version.split("."))
    directory.mkdir(exist_ok=True)
    shim = directory / "python3"
    shim.write_text(
        SHIM.format(real=sys.executable, major=major, minor=minor, no_ensurepip=no_ensurepip),
        encoding="utf-8",
    )
    shim.chmod(0o755)
    return shim


def run_alone(command, tmp_path, bin_dir):
    """Run with only ``bin_dir`` on PATH (no other Python to fall back on)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV")}
    env.update(PATH=str(bin_dir), VENV=str(tmp_path / "venv"), HOME=str(tmp_path))
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    return done, time.monotonic() - start


@pytest.mark.skipif(os.name == "nt", reason="POSIX shims; Windows uses the py launcher")
@pytest.mark.parametrize("version", ["3.9", "3.16"])
@pytest.mark.parametrize("via", ["make lab", "make test", "setup.py lab"])
def test_unsupported_python3_gets_the_clear_message_quickly(tmp_path, version, via):
    bin_dir = tmp_path / "bin"
    make_shim(bin_dir, version)
    make = shutil.which("make")
    if via.startswith("make"):
        assert make, "make is needed for this test"
        (bin_dir / "make").symlink_to(make)
        command = [make, "-s", via.split()[1]]
    else:
        command = [str(bin_dir / "python3"), str(SETUP), "lab"]
    done, seconds = run_alone(command, tmp_path, bin_dir)
    message = done.stderr
    assert done.returncode != 0, done.stdout + message
    assert seconds < 5, f"took {seconds:.1f} s to stop"
    assert f"python3: Python {version}.0 (not 3.11-3.15)" in message, message
    for fix in (
        "sudo apt install python3 python3-venv",
        "brew install python@3.14",
        "winget install Python.Python.3.14",
        "py -3.14 scripts\\setup.py lab",
    ):
        assert fix in message, f"the message lacks {fix!r}:\n{message}"
    assert not (tmp_path / "venv").exists(), "nothing may be created"


@pytest.mark.skipif(os.name == "nt", reason="POSIX shims")
def test_python_without_ensurepip_is_named_with_its_venv_package(tmp_path):
    bin_dir = tmp_path / "bin"
    make_shim(bin_dir, "3.12", no_ensurepip=True)
    done, seconds = run_alone([str(bin_dir / "python3"), str(SETUP), "python"], tmp_path, bin_dir)
    assert done.returncode != 0 and seconds < 5
    assert "cannot make a venv" in done.stderr and "python3.12-venv" in done.stderr, done.stderr


@pytest.mark.skipif(os.name == "nt", reason="POSIX shims")
def test_a_supported_python_further_down_path_is_chosen(tmp_path):
    bin_dir = tmp_path / "bin"
    make_shim(bin_dir, "3.9")
    real = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (bin_dir / real).symlink_to(sys.executable)
    done, _ = run_alone([str(bin_dir / "python3"), str(SETUP), "python"], tmp_path, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(bin_dir / real)), done.stdout


def load_setup(monkeypatch, venv):
    monkeypatch.setenv("VENV", str(venv))
    spec = importlib.util.spec_from_file_location("setup_under_test", SETUP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_broken_venvs_are_recognised(tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    setup = load_setup(monkeypatch, venv)
    assert setup.venv_health() == "missing"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert "has no pip" in setup.venv_health()
    os.remove(setup.VENV_PYTHON)
    assert "has no python binary" in setup.venv_health()


@pytest.mark.slow
def test_half_made_venv_without_pip_is_rebuilt(tmp_path, monkeypatch):
    """As on Ubuntu before `apt install python3-venv`: a .venv without pip is rebuilt, not
    failed on again with "No module named pip"."""
    venv = tmp_path / "venv"
    setup = load_setup(monkeypatch, venv)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    monkeypatch.setenv("PYTHON", sys.executable)
    setup.ensure_venv()
    assert setup.venv_health() is None
    pip = subprocess.run(
        [setup.VENV_PYTHON, "-m", "pip", "--version"], capture_output=True, text=True
    )
    assert pip.returncode == 0 and "pip" in pip.stdout


def test_setup_py_parses_on_old_pythons():
    """setup.py must run on an old Python to tell its user what to install: no syntax newer
    than 3.6 (f-strings are 3.6, so the check is: no walrus, no match, no `X | Y` types)."""
    import ast

    tree = ast.parse(SETUP.read_text(encoding="utf-8"), feature_version=(3, 6))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)], (
        "keep setup.py free of f-strings, so that even Python 3.5 can print the message"
    )

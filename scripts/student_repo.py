"""Write the student repository (``make student-repo DEST=...``).

This repository is the instructors': the exercise masters in ``notebooks/exercises/`` hold the
solutions and the hidden tests. Students get a separate repository made by this script, with

- the lecture notebooks ``notebooks/NN_*.ipynb``,
- the student exercise notebooks ``notebooks/exercises/student/NN_name/NN_name.ipynb`` (public
  tests only, in their metadata),
- ``lecture_utils`` (without the grading plugin), ``data/``, ``requirements.txt``,
  ``pyproject.toml``, ``jupyter/overrides.json``,
- a short ``Makefile`` (``make lab``), a ``.gitignore`` and a student ``README.md``.

No master, no hidden test, no solutions notebook, no autograder zip. Point Binder and
nbgitpuller at the repository you push DEST to, never at this one.

Usage::

    python scripts/student_repo.py DEST     # DEST must not exist or be empty
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: Files and folders copied as they are (relative to the repository root).
COPIED = ("requirements.txt", "pyproject.toml", "jupyter/overrides.json", "data")
#: lecture_utils modules that are instructor-only.
INSTRUCTOR_ONLY = ("otter_guard.py",)

MAKEFILE = """\
# make lab   set up .venv (first time only) and open JupyterLab on the first notebook
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip --disable-pip-version-check
BASE   := $(VENV)/.installed-base
ROOT_ARG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab setup

$(PY):
\t$(PYTHON) -m venv $(VENV)

$(BASE): requirements.txt pyproject.toml jupyter/overrides.json | $(PY)
\t$(PIP) install -r requirements.txt
\t$(PIP) install --no-deps -e .
\tmkdir -p $(VENV)/share/jupyter/lab/settings
\tcp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
\t@touch $@

# set up without starting JupyterLab
setup: $(BASE)

lab: $(BASE)
\t$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" \\
\t  --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(ROOT_ARG)
"""

GITIGNORE = """\
.venv/
__pycache__/
*.egg-info/
.ipynb_checkpoints/
.OTTER_LOG
notebooks/exercises/student/*/*.zip
"""

README = """\
# Latent Variable Models and the EM Algorithm — student repository

Lecture notebooks (`notebooks/00_start_here.ipynb` to `06_em_algorithm.ipynb`) and six graded
exercise sets (`notebooks/exercises/student/NN_name/NN_name.ipynb`).

**Set up and open JupyterLab:** `make lab` (Python 3.10 or newer; the first run installs the
pinned packages into `.venv`). Without make: `python3 -m venv .venv`,
`.venv/bin/pip install -r requirements.txt -e .`, `.venv/bin/jupyter lab`.

**Exercises:** replace each `...`, run the `grader.check("qN")` cell under it (the public checks;
hidden tests check more), then run *Kernel → Restart and Run All* and the export cell at the end.
It writes `NN_name.zip` next to the notebook (a new export replaces the old one): hand in that
file. Written answers are graded by hand.
"""


def write(dest: pathlib.Path) -> None:
    """Write the student repository into ``dest`` (created; must be absent or empty)."""
    dest = pathlib.Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"DEST={dest} exists and is not empty; choose a new folder")
    if dest.resolve() == ROOT or ROOT in dest.resolve().parents:
        raise ValueError(
            f"DEST={dest} is inside the instructors' repository; choose a folder outside it"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for rel in COPIED:
        src = ROOT / rel
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest / rel)
        else:
            shutil.copy(src, dest / rel)
    (dest / "lecture_utils").mkdir()
    for module in sorted((ROOT / "lecture_utils").glob("*.py")):
        if module.name not in INSTRUCTOR_ONLY:
            shutil.copy(module, dest / "lecture_utils" / module.name)
    (dest / "notebooks").mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy(nb, dest / "notebooks" / nb.name)
    student = ROOT / "notebooks" / "exercises" / "student"
    for nb in sorted(student.glob("*/*.ipynb")):
        target = dest / "notebooks" / "exercises" / "student" / nb.parent.name / nb.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(nb, target)
    (dest / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (dest / "README.md").write_text(README, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", help="folder to create (outside this repository)")
    args = parser.parse_args(argv)
    try:
        write(pathlib.Path(args.dest))
    except ValueError as err:
        print(f"student_repo: {err}", file=sys.stderr)
        return 2
    print(f"student repository written to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

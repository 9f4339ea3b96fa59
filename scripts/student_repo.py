"""Write the student repository (``make student-repo DEST=...``).

This repository is the instructors': the exercise masters in ``notebooks/exercises/`` hold the
solutions and the hidden tests. Students get a separate repository made by this script, with

- the lecture notebooks ``notebooks/NN_*.ipynb``,
- the student exercise notebooks ``notebooks/exercises/student/NN_name/NN_name.ipynb`` (public
  tests only, in their metadata),
- ``lecture_utils`` (without the grading plugin), ``data/``, ``requirements.txt``,
  ``pyproject.toml``, ``environment.yml`` and ``postBuild`` (Binder), ``scripts/setup.py`` and
  ``jupyter/`` (the set-up of ``make lab``: the same as this repository's),
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

#: Files and folders copied as they are (relative to the repository root): what `make lab`'s
#: set-up needs (scripts/setup.py: the interpreter check, wheels only, a self-mending .venv,
#: the JupyterLab settings and extension), and what Binder builds from (environment.yml,
#: postBuild).
COPIED = (
    "requirements.txt",
    "pyproject.toml",
    "environment.yml",
    "postBuild",
    "scripts/setup.py",
    "jupyter/overrides.json",
    "jupyter/labextensions",
    "data",
)
#: lecture_utils modules that are instructor-only.
INSTRUCTOR_ONLY = ("otter_guard.py",)

MAKEFILE = """\
# make lab    set up .venv (first time only) and open JupyterLab on the first notebook
# make setup  only set up .venv (what make lab does before it starts JupyterLab)
# Windows, without make (PowerShell):  py scripts\\setup.py lab
# Another interpreter: make lab PYTHON=python3.13 ; JupyterLab options: make lab LAB_ARGS="--port 8890"
BOOT := $(firstword $(shell command -v python3 python3.14 python3.13 python3.12 python3.11 \\
          python 2>/dev/null) python3)
LAB_ARGS ?=

.PHONY: lab setup

lab:
\t@$(BOOT) scripts/setup.py lab $(LAB_ARGS)

setup:
\t@$(BOOT) scripts/setup.py install
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

**You need** git and Python 3.11 to 3.15 (on Debian/Ubuntu also `python3-venv`; on macOS the
command-line tools, `xcode-select --install`, for make), and about 750 MB of disk.

**Set up and open JupyterLab:** `make lab` (Windows, PowerShell: `py scripts\\setup.py lab`).
The first run creates `.venv` and installs the pinned packages from wheels (a few minutes), one
line per step; it ends by printing the link to open, framed. Wait until the notebook says
*Idle* before *Run All*. Ctrl-C stops JupyterLab; `make lab` again brings it back. If set-up
stops, it says why and what to type (for example which Python to install).

**Exercises:** replace each `...`, run the `grader.check("qN")` cell under it (the public checks;
hidden tests check more), then run *Kernel → Restart and Run All* and the export cell at the end.
It writes `NN_name.zip` next to the notebook (a new export replaces the old one): hand in that
file. Written answers are graded by hand.

**Your own work and course updates:** work on your own branch (`git switch -c mine`, commit,
then `git pull --rebase origin main`), or save a copy of a notebook under another name. To get
a notebook back as it was: `git checkout -- <notebook>`.
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

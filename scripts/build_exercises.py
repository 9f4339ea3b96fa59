"""Build the graded exercises with Otter Assign (``make exercises``).

For every master ``notebooks/exercises/NN_name.ipynb`` (Otter Assign v1 format) this runs
``otter assign`` and writes

- the student notebook to ``notebooks/exercises/student/NN_name/NN_name.ipynb`` (committed, so a
  student who clones can open it at once; public tests live in its metadata), and
- the autograder zip to ``dist/NN_name-autograder.zip`` and the solutions notebook to
  ``dist/NN_name-solutions.ipynb`` (git-ignored; upload the zip to Gradescope, or grade locally
  with ``otter run -a dist/NN_name-autograder.zip submission.ipynb``).

The master is assigned from a staging directory that also holds what grading needs besides the
notebook: ``requirements.txt`` (the numpy/scipy/pandas pins of the repository) and a copy of
``lecture_utils/data.py`` with the CSVs of ``data/``. Those travel inside the autograder zip, so it
grades the same way on a machine where this repository is not installed (Gradescope).

Links in the master's markdown are relative to the master (``../02_heights_and_gender.ipynb``
is the lecture notebook); the student notebook sits two folders deeper, so the build rewrites
them (``../../../02_heights_and_gender.ipynb``) and they work from both places.

Otter gives generated cells random ids; the build replaces every cell id by a stable one derived
from the cell's position, so rebuilding an unchanged master changes nothing in git.

Usage::

    python scripts/build_exercises.py            # all masters, Otter also grades each solution
    python scripts/build_exercises.py 02_heights_and_gender --no-run-tests
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "notebooks" / "exercises"
STUDENT = EXERCISES / "student"
DIST = ROOT / "dist"
MASTER_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")

#: Packages the autograder needs, taken with their pins from the repository's requirements.txt.
GRADING_PACKAGES = ("numpy", "scipy", "pandas")
#: Added to the master's ``# ASSIGNMENT CONFIG`` in the staging folder only: the files it names
#: exist there, not next to the master, so ``otter assign`` run by hand on a master stops in the
#: grading plugin's ``during_assign`` with a one-line message pointing to ``make exercises``.
STAGING_CONFIG = "requirements: requirements.txt\nautograder_files:\n  - lecture_utils\n  - data\n"

#: Files copied next to the master so that Otter puts them into the autograder zip.
SUPPORT_FILES = (
    "lecture_utils/__init__.py",
    "lecture_utils/data.py",
    "data/heights.csv",
    "data/polls_us_election_2016.csv",
    "data/results_us_election_2016.csv",
)


@dataclasses.dataclass(frozen=True)
class Built:
    """What ``otter assign`` produced for one master (paths inside a build directory)."""

    name: str
    student: pathlib.Path
    solutions: pathlib.Path
    autograder_zip: pathlib.Path


def masters(folder: pathlib.Path = EXERCISES) -> list[pathlib.Path]:
    """The exercise masters, in lecture order."""
    return sorted(p for p in folder.glob("*.ipynb") if MASTER_PATTERN.match(p.name))


def grading_requirements(requirements: pathlib.Path = ROOT / "requirements.txt") -> str:
    """The ``==`` pins of :data:`GRADING_PACKAGES`, one per line, environment markers kept (a
    package pinned per Python range, like numpy, has one line per range)."""
    pins: dict[str, list[str]] = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip()
        name = re.split(r"[=<>!~\[ ;]", spec, maxsplit=1)[0].lower()
        if name in GRADING_PACKAGES:
            pins.setdefault(name, []).append(spec)
    missing = [p for p in GRADING_PACKAGES if p not in pins]
    if missing:
        raise ValueError(f"{requirements}: no pin for {missing}")
    return "\n".join(spec for p in GRADING_PACKAGES for spec in pins[p]) + "\n"


def stable_ids(nb: nbformat.NotebookNode, prefix: str) -> nbformat.NotebookNode:
    """Give every cell an id that depends only on its position (Otter's new cells get random ones)."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{prefix}-{i:03d}"
    return nb


#: A relative link target in markdown: ``](path)``, not a URL, an anchor or an absolute path.
_RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#|/)([^)\s]+)\)", re.IGNORECASE)


def relink(nb: nbformat.NotebookNode, prefix: str) -> nbformat.NotebookNode:
    """Prefix every relative markdown link with ``prefix`` (the way back from a deeper folder)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _RELATIVE_LINK.sub(lambda m: f"]({prefix}{m.group(1)})", cell.source)
    return nb


def export_cell_source(name: str) -> str:
    """The export cell: one zip name per notebook (overwritten on re-export), no test kernel.

    Otter's own cell (``run_tests=True``) starts a second kernel, whose start-up warning ("Kernel
    is running over TCP without encryption") lands in the notebook, and it writes a new
    timestamped zip each time. ``grader.check_all()`` just above already runs the public checks.
    """
    return (
        "# Save the notebook first (Ctrl-S), then run this cell. It writes "
        f"{name}.zip next to this notebook\n"
        "# (a new export replaces the old one): hand in that file.\n"
        f'grader.export(pdf=False, run_tests=False, export_path="{name}.zip")'
    )


#: Copied to the root of every autograder zip: on Gradescope ``/autograder/source`` (the folder
#: of ``run_otter.py``) is on ``sys.path``, so Otter can import the plugin named in the config.
GUARD_FILES = {
    "lecture_utils/__init__.py": '"""The grading plugin only (the exercises\' copy of lecture_utils is in files/)."""\n',
    "lecture_utils/otter_guard.py": None,
}


def written_questions(master: pathlib.Path) -> list[list]:
    """``[name, points]`` of the master's written (``manual: true``) questions, in order."""
    import yaml

    out = []
    for cell in nbformat.read(master, as_version=4).cells:
        lines = cell.source.strip().splitlines()
        if cell.cell_type == "raw" and lines and lines[0].strip() == "# BEGIN QUESTION":
            config = yaml.safe_load("\n".join(lines[1:])) or {}
            if config.get("manual"):
                out.append([config["name"], config["points"]])
    return out


def add_guard(autograder_zip: pathlib.Path, written: list[list]) -> None:
    """Put :mod:`lecture_utils.otter_guard` at the root of ``autograder_zip`` and tell the plugin
    which written questions to copy into results.json (rewrites ``otter_config.json``)."""
    import json
    import zipfile

    with zipfile.ZipFile(autograder_zip) as zf:
        entries = {info.filename: zf.read(info) for info in zf.infolist()}
    config = json.loads(entries["otter_config.json"])
    for plugin in config.get("plugins", []):
        if isinstance(plugin, dict) and "lecture_utils.otter_guard.GuardPlugin" in plugin:
            plugin["lecture_utils.otter_guard.GuardPlugin"]["written"] = written
    entries["otter_config.json"] = json.dumps(config, indent=4).encode()
    for rel, text in GUARD_FILES.items():
        entries[rel] = (
            text if text is not None else (ROOT / rel).read_text(encoding="utf-8")
        ).encode()
    with zipfile.ZipFile(autograder_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def assign(master: pathlib.Path, build_dir: pathlib.Path, run_tests: bool = True) -> Built:
    """Run ``otter assign`` on ``master`` inside ``build_dir`` (created; must not hold a build)."""
    name = master.stem
    stage = build_dir / name
    stage.mkdir(parents=True)
    staged = nbformat.read(master, as_version=4)
    staged.cells[0].source = staged.cells[0].source.rstrip("\n") + "\n" + STAGING_CONFIG
    nbformat.write(staged, stage / master.name)
    for rel in SUPPORT_FILES:
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, stage / rel)
    (stage / "requirements.txt").write_text(grading_requirements(), encoding="utf-8")

    command = [sys.executable, "-m", "otter", "assign", master.name, "out"]
    if not run_tests:
        command.append("--no-run-tests")
    done = subprocess.run(command, cwd=stage, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(
            f"otter assign failed on {master.name} (exit {done.returncode}):\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    out = stage / "out"
    zips = sorted((out / "autograder").glob(f"{name}-autograder_*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip for {name}, found {zips}")
    add_guard(zips[0], written_questions(master))
    solutions_path = out / "autograder" / master.name
    nbformat.write(
        stable_ids(nbformat.read(solutions_path, as_version=4), name[:2]), solutions_path
    )
    # The student notebook is published two folders below the master (student/NN_name/), and
    # starts clean: no timings left from the executed master.
    student_path = out / "student" / master.name
    student = stable_ids(nbformat.read(student_path, as_version=4), name[:2])
    for cell in student.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and "grader.export(" in cell.source:
            cell.source = export_cell_source(name)
    nbformat.write(relink(student, "../../"), student_path)
    return Built(name, student_path, solutions_path, zips[0])


def publish(built: Built, student_root: pathlib.Path = STUDENT, dist: pathlib.Path = DIST) -> None:
    """Copy the student notebook into the repository and the grading files into ``dist/``."""
    target = student_root / built.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(built.student, target / built.student.name)
    dist.mkdir(exist_ok=True)
    shutil.copy(built.autograder_zip, dist / f"{built.name}-autograder.zip")
    shutil.copy(built.solutions, dist / f"{built.name}-solutions.ipynb")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help="masters to build (default: all), e.g. 01_bayesian_inference_recap"
    )
    parser.add_argument(
        "--no-run-tests",
        action="store_true",
        help="do not let Otter grade each solutions notebook (faster)",
    )
    args = parser.parse_args(argv)

    selected = masters()
    if args.names:
        by_name = {p.stem: p for p in selected}
        unknown = [n for n in args.names if n not in by_name]
        if unknown:
            parser.error(f"unknown master(s) {unknown}; choose from {sorted(by_name)}")
        selected = [by_name[n] for n in args.names]
    if not selected:
        parser.error(f"no masters found in {EXERCISES}")

    with tempfile.TemporaryDirectory(prefix="exercises-") as tmp:
        for master in selected:
            print(f"otter assign {master.relative_to(ROOT)}", flush=True)
            built = assign(master, pathlib.Path(tmp), run_tests=not args.no_run_tests)
            publish(built)
            print(
                f"  -> {(STUDENT / built.name / built.student.name).relative_to(ROOT)}, "
                f"dist/{built.name}-autograder.zip",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

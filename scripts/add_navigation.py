"""Insert previous/next navigation links at the top and bottom of every lecture notebook.

    .venv/bin/python scripts/add_navigation.py          # or: make nav
    .venv/bin/python scripts/add_navigation.py --check  # exit 1 if any notebook is out of date

The lecture notebooks are ``notebooks/NN_name.ipynb``, in lecture order. Each gets a markdown
cell first and last (marked with the cell metadata ``"nav": true``); running the script again
replaces them, so it is idempotent. Only markdown cells change: outputs stay as executed.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import nbformat

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
PATTERN = re.compile(r"^(\d\d)_(.+)\.ipynb$")
# Titles where the file name does not capitalise well.
TITLES = {
    "00_start_here": "Start here",
    "01_bayesian_inference_recap": "Bayesian inference recap",
    "02_heights_and_gender": "Heights and gender",
    "03_graphical_models": "Graphical models",
    "04_fish_hmm": "Fish hidden Markov model",
    "05_election_forecasting": "Election forecasting",
    "06_em_algorithm": "The EM algorithm",
}


def lecture_notebooks(folder: pathlib.Path = NOTEBOOKS) -> list[pathlib.Path]:
    """The numbered lecture notebooks present in ``folder``, in order."""
    return sorted(p for p in folder.glob("*.ipynb") if PATTERN.match(p.name))


def notebook_map(folder: pathlib.Path = NOTEBOOKS) -> list[pathlib.Path]:
    """Every lecture notebook of the map (``TITLES``: the notebook map of the course, 00 to 06), in order.

    Navigation is computed from the map, not from the files present, so adding one notebook
    never changes the links in another.
    """
    return [folder / f"{stem}.ipynb" for stem in TITLES]


def title(path: pathlib.Path) -> str:
    number, name = PATTERN.match(path.name).groups()
    return f"{number} · {TITLES.get(path.stem, name.replace('_', ' ').capitalize())}"


def nav_markdown(paths: list[pathlib.Path], i: int) -> str:
    """The navigation line for the i-th notebook of ``paths``."""
    parts = []
    if i > 0:
        parts.append(f"[← {title(paths[i - 1])}]({paths[i - 1].name})")
    if paths[i].stem != "00_start_here":
        parts.append("[Contents](00_start_here.ipynb)")
    if i + 1 < len(paths):
        parts.append(f"[{title(paths[i + 1])} →]({paths[i + 1].name})")
    return "<!--NAVIGATION-->\n" + " | ".join(parts)


def with_navigation(nb: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if not c.get("metadata", {}).get("nav")]
    top = nbformat.v4.new_markdown_cell(text, metadata={"nav": True})
    bottom = nbformat.v4.new_markdown_cell(text, metadata={"nav": True})
    nb.cells = [top, *cells, bottom]
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks to update")
    args = parser.parse_args(argv)
    paths = notebook_map()
    stale = []
    for i, path in enumerate(paths):
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        text = nav_markdown(paths, i)
        current = [c.source for c in nb.cells if c.get("metadata", {}).get("nav")]
        ok = (
            len(current) == 2
            and current == [text, text]
            and nb.cells[0].get("metadata", {}).get("nav")
            and nb.cells[-1].get("metadata", {}).get("nav")
        )
        if ok:
            continue
        stale.append(path)
        if not args.check:
            nbformat.write(with_navigation(nb, text), path)
            print(f"{path.name}: navigation updated")
    if args.check and stale:
        print("navigation out of date (run `make nav`): " + ", ".join(p.name for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

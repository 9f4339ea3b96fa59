"""Re-execute notebooks in place, top to bottom, each in a fresh python3 kernel.

    .venv/bin/python scripts/execute_notebooks.py notebooks/0*.ipynb     # or: make execute

Outputs (and the widget state, so widgets show on GitHub/nbviewer without a kernel) are
written back into the files. Stops at the first cell that raises, naming the notebook and cell.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NEEDS_KERNEL = "explorer-needs-kernel"  # lecture_utils.explorer.NEEDS_KERNEL
KERNEL_NOTE = "explorer-kernel-note"  # lecture_utils.explorer.KERNEL_NOTE


def mark_needs_kernel(nb: nbformat.NotebookNode) -> int:
    """In the saved widget state (what a page without a kernel shows), disable the controls
    that need Python and show their one-line note; a live kernel makes fresh, enabled ones.
    Returns how many controls were disabled."""
    from lecture_utils.explorer import KERNEL_NOTE_TEXT

    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    n = 0
    for model in state.values():
        s = model.get("state", {})
        classes = s.get("_dom_classes", [])
        if NEEDS_KERNEL in classes:
            s["disabled"] = True
            n += 1
        if KERNEL_NOTE in classes:
            s["value"] = f"<i>{KERNEL_NOTE_TEXT}</i>"
    return n


def execute(path: pathlib.Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    mark_needs_kernel(nb)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        try:
            elapsed = execute(path, args.timeout)
        except CellExecutionError as exc:
            print(f"{path}: a cell raised\n{exc}", file=sys.stderr)
            return 1
        print(f"{path}: executed in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

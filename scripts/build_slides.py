"""Turn each lecture notebook's core path (the cells tagged ``core``) into a reveal.js deck.

    .venv/bin/python scripts/build_slides.py                  # or: make slides -> _build/slides/
    .venv/bin/python scripts/build_slides.py --output _build/site

Nothing is re-executed: a deck shows the committed outputs. For each notebook:

- only the ``core`` cells are kept, in the notebook's order (the title and goals open the deck);
- every level-2 heading (the lecture's slides: "★ Slide 3 — …") starts a slide, a level-3
  heading or a cell with a figure a sub-slide below it (reveal.js' vertical stack);
- code is hidden; printed numbers and figures stay, each figure with its alt text;
- a markdown cell of a section marked ``[on board]`` that holds a derivation (display maths)
  becomes a speaker note of its slide (press S in the deck): the board derivation, for the
  presenter, while the audience sees the heading and the figures;
- widget outputs (the explorers) are dropped and so is the saved widget state: each explorer
  appears as the static figure beside it;
- reveal.js 5, require.js and MathJax come from ``_vendor/`` beside the decks (see
  scripts/vendor.py): a deck works offline, from ``file://`` too.
"""

from __future__ import annotations

import argparse
import copy
import pathlib
import re
import sys

import nbformat
from nbconvert import SlidesExporter

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import build_html  # noqa: E402

ROOT = build_html.ROOT
DEFAULT_OUTPUT = ROOT / "_build" / "slides"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_DISPLAY_MATH = re.compile(r"\$\$|\\begin\{(aligned|align|equation)")


def deck_filename(path: pathlib.Path) -> str:
    return f"{path.stem}.slides.html"


def _split_derivation(source: str) -> tuple[str, str]:
    """(what the slide shows, the derivation for the speaker notes): paragraphs with display
    maths go to the notes, the rest (the heading, the prose) stays on the slide."""
    shown, notes = [], []
    for block in re.split(r"\n\s*\n", source):
        (notes if _DISPLAY_MATH.search(block) else shown).append(block)
    return "\n\n".join(shown), "\n\n".join(notes)


def core_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with only its ``core`` cells, slide types set, widget outputs dropped,
    and the display maths of ``[on board]`` sections moved to speaker notes."""
    deck = copy.deepcopy(nb)
    deck.metadata.pop("widgets", None)
    cells, on_board, first = [], False, True
    for cell in deck.cells:
        if "core" not in cell.metadata.get("tags", []):
            continue
        source = cell.source.lstrip()
        slide_type = "-"
        heading = source.splitlines()[0] if source else ""
        if cell.cell_type == "markdown" and heading.startswith("## "):
            on_board = "[on board]" in heading.lower()
            slide_type = "slide"
        elif cell.cell_type == "markdown" and heading.startswith("### "):
            on_board = on_board or "[on board]" in heading.lower()
            slide_type = "subslide"
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
            if not cell.outputs:
                continue
            if any("image/png" in o.get("data", {}) for o in cell.outputs):
                slide_type = "subslide"
        if first:
            slide_type, first = "slide", False
        notes = ""
        if cell.cell_type == "markdown" and on_board:
            cell.source, notes = _split_derivation(cell.source)
        if cell.source.strip():
            cell.metadata["slideshow"] = {"slide_type": slide_type}
            cells.append(cell)
        if notes:
            note = nbformat.v4.new_markdown_cell(notes)
            note.metadata["slideshow"] = {"slide_type": "notes"}
            cells.append(note)
    deck.cells = cells
    return deck


def make_exporter() -> SlidesExporter:
    urls = build_html.vendor_urls(build_html.VENDOR_DIR)
    return SlidesExporter(
        template_name="companion_reveal",
        extra_template_basedirs=[str(build_html.TEMPLATES)],
        extra_template_paths=[str(build_html.TEMPLATES)],
        reveal_url_prefix=f"{build_html.VENDOR_DIR}/reveal.js",
        reveal_theme="white",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        require_js_url=urls["require_js_url"],
        mathjax_url=urls["mathjax_url"],
    )


def build(output: pathlib.Path, notebooks: list[pathlib.Path]) -> list[tuple[pathlib.Path, str]]:
    """Write one deck per notebook that has core cells; return (deck path, title) of each."""
    output.mkdir(parents=True, exist_ok=True)
    build_html.copy_vendor(output)
    exporter = make_exporter()
    decks = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        deck = core_notebook(nb)
        if not deck.cells:
            continue
        title = build_html.title_of(nb, path.stem)
        body, _ = exporter.from_notebook_node(deck, resources={"metadata": {"name": title}})
        target = output / deck_filename(path)
        target.write_text(build_html.link_rendered_pages(body), encoding="utf-8")
        decks.append((target, title))
    return decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT,
        help=f"folder for the decks (default: {DEFAULT_OUTPUT.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    notebooks = sorted(build_html.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    decks = build(args.output, notebooks)
    for path, title in decks:
        print(f"{path}: {title}")
    if not decks:
        print("no notebook has cells tagged 'core'", file=sys.stderr)
    return 0 if decks else 1


if __name__ == "__main__":
    sys.exit(main())

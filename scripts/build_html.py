"""Render every executed lecture notebook to static HTML, with an index page.

    .venv/bin/python scripts/build_html.py                 # or: make html  -> _build/html/
    .venv/bin/python scripts/build_html.py --output site/

Nothing is re-executed: the committed outputs are what students read. The notebooks' saved
widget state is kept, so widgets show (and browser-side links such as ``jslink`` work) in the
static pages. Links between notebooks (``01_x.ipynb``) are rewritten to the rendered pages
(``01_x.html``). Only the lecture notebooks (``notebooks/NN_name.ipynb``) are published: the
Otter master notebooks under ``notebooks/exercises`` hold the solutions and stay out.

The pages work offline: require.js, MathJax and @jupyter-widgets/html-manager come from
``vendor/static`` (pinned npm packages, see ``scripts/vendor.py``), copied to ``_vendor/`` beside
the pages, and the template ``jupyter/nbconvert/templates/companion`` loads nothing from a CDN
and writes each figure's alt text (``lecture_utils.plotting.describe``) into its ``<img alt>``.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import pathlib
import re
import shutil
import sys

import nbformat
from nbconvert import HTMLExporter

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUTPUT = ROOT / "_build" / "html"
TEMPLATES = ROOT / "jupyter" / "nbconvert" / "templates"
VENDOR = ROOT / "vendor" / "static"
VENDOR_DIR = "_vendor"  # the vendored files' folder beside the pages
#: vendored packages the pages need (axe-core is for the tests only, it is not published)
PUBLISHED_VENDOR = ("@jupyter-widgets/html-manager", "requirejs", "mathjax", "reveal.js")
_NOTEBOOK_LINK = re.compile(r'href="(\./)?([0-9][0-9]_[A-Za-z0-9_]+)\.ipynb(#[^"]*)?"')
_SECTION = re.compile(r'<h2 id="([^"]+)">(.*?)<a class="anchor-link"', re.S)


@dataclasses.dataclass(frozen=True)
class Page:
    source: pathlib.Path
    title: str
    sections: tuple[tuple[str, str], ...]  # (anchor id, heading as HTML) of each "## " heading

    @property
    def filename(self) -> str:
        return f"{self.source.stem}.html"


def is_executed(nb: nbformat.NotebookNode) -> bool:
    """Every non-empty code cell has an execution count (and there is at least one)."""
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    return bool(cells) and all(c.get("execution_count") for c in cells)


def title_of(nb: nbformat.NotebookNode, default: str) -> str:
    """The notebook's first ``# `` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def link_rendered_pages(body: str) -> str:
    """``href="02_x.ipynb#sec"`` -> ``href="02_x.html#sec"``."""
    return _NOTEBOOK_LINK.sub(lambda m: f'href="{m.group(2)}.html{m.group(3) or ""}"', body)


def vendor_urls(prefix: str) -> dict[str, str]:
    """nbconvert's ``*_url`` options pointing at the vendored copies under ``prefix``
    (``_vendor`` beside the pages, ``../_vendor`` from a subfolder)."""
    return {
        "require_js_url": f"{prefix}/requirejs/require.js",
        "mathjax_url": f"{prefix}/mathjax/es5/tex-chtml-full.js",
        "widget_renderer_url": f"{prefix}/@jupyter-widgets/html-manager/dist/embed-amd.js",
        # where html-manager looks for widget modules it does not bundle (data-jupyter-widgets-cdn)
        "jupyter_widgets_base_url": f"{prefix}/npm/",
    }


def make_exporter() -> HTMLExporter:
    return HTMLExporter(
        template_name="companion",
        extra_template_basedirs=[str(TEMPLATES)],
        extra_template_paths=[str(TEMPLATES)],
        **vendor_urls(VENDOR_DIR),
    )


def copy_vendor(output: pathlib.Path) -> pathlib.Path:
    """Copy the vendored packages the pages use to ``output/_vendor``."""
    target = output / VENDOR_DIR
    if target.exists():
        shutil.rmtree(target)
    for package in PUBLISHED_VENDOR:
        shutil.copytree(VENDOR / package, target / package)
    return target


def render(path: pathlib.Path, output: pathlib.Path, exporter: HTMLExporter) -> Page:
    nb = nbformat.read(path, as_version=4)
    title = title_of(nb, path.stem)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    page = Page(path, title, tuple(_SECTION.findall(body)))
    (output / page.filename).write_text(link_rendered_pages(body), encoding="utf-8")
    return page


def index_html(
    pages: list[Page], skipped: list[pathlib.Path], decks: dict[str, str] | None = None
) -> str:
    """The index page; ``decks`` maps a page's filename to its slide deck's (``make site``)."""
    items = []
    decks = decks or {}
    for page in pages:
        deck = f' · <a href="{decks[page.filename]}">slides</a>' if page.filename in decks else ""
        sections = "".join(
            f'<li><a href="{page.filename}#{anchor}">{heading}</a></li>'
            for anchor, heading in page.sections
        )
        items.append(
            f'<li><a href="{page.filename}">{html.escape(page.source.stem)}</a> — '
            f"{html.escape(page.title)}{deck}"
            + (f'<ul class="sections">{sections}</ul>' if sections else "")
            + "</li>"
        )
    note = ""
    if skipped:
        names = ", ".join(html.escape(p.name) for p in skipped)
        note = f"<p class='note'>Not rendered (not executed yet): {names}.</p>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Latent Variable Models and the EM Algorithm — notebooks</title>
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto;
         padding: 0 1rem; line-height: 1.5; color: #222; }}
  h1 {{ font-size: 1.6rem; }}
  ol > li {{ margin-bottom: 0.8rem; }}
  a {{ font-weight: 600; }}
  ul.sections {{ font-size: 0.9rem; margin-top: 0.2rem; }}
  ul.sections a {{ font-weight: normal; color: #333; }}
  .note {{ color: #a33; }}
</style>
</head>
<body>
<h1>Latent Variable Models and the EM Algorithm — a course companion</h1>
<p>The lecture's notebooks, rendered with their committed outputs (nothing is re-run here).
Start with <a href="00_start_here.html">00_start_here</a>. To change and run them, open the
repository in JupyterLab (<code>make lab</code>), on Binder, or on your JupyterHub.</p>
<ol start="0">
{chr(10).join(items)}
</ol>
{note}
</body>
</html>
"""


def build(
    output: pathlib.Path, notebooks: list[pathlib.Path]
) -> tuple[list[Page], list[pathlib.Path]]:
    """Render the executed ``notebooks`` into ``output``; return (pages, skipped)."""
    output.mkdir(parents=True, exist_ok=True)
    exporter = make_exporter()
    copy_vendor(output)
    pages, skipped = [], []
    for path in notebooks:
        if is_executed(nbformat.read(path, as_version=4)):
            pages.append(render(path, output, exporter))
        else:
            skipped.append(path)
    (output / "index.html").write_text(index_html(pages, skipped), encoding="utf-8")
    return pages, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT,
        help=f"folder for the pages (default: {DEFAULT_OUTPUT.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"no notebooks found in {NOTEBOOKS}", file=sys.stderr)
        return 1
    pages, skipped = build(args.output, notebooks)
    for page in pages:
        print(f"{args.output / page.filename}")
    for path in skipped:
        print(f"skipped {path.name}: not executed (run `make execute`)", file=sys.stderr)
    print(f"{args.output / 'index.html'}: {len(pages)} notebooks")
    return 0 if pages else 1


if __name__ == "__main__":
    sys.exit(main())

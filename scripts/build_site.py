"""Build the published course into one folder, ready for GitHub Pages: the notebooks as HTML
pages, their core paths as reveal.js decks, and an index linking both.

    .venv/bin/python scripts/build_site.py               # or: make site -> _build/site/

Everything the pages load is in the folder (``_vendor/``: require.js, MathJax, html-manager,
reveal.js); nothing comes from a CDN, so the site also works opened from disk (``file://``).
``.nojekyll`` stops GitHub Pages' Jekyll from dropping ``_vendor/`` (Jekyll skips folders
whose name starts with "_"). docs/publishing.md says how to publish it.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import build_html  # noqa: E402
import build_slides  # noqa: E402

ROOT = build_html.ROOT
DEFAULT_OUTPUT = ROOT / "_build" / "site"


def build(output: pathlib.Path, notebooks: list[pathlib.Path]) -> dict[str, object]:
    pages, skipped = build_html.build(output, notebooks)
    decks = build_slides.build(output, notebooks)
    by_page = {f"{path.name.removesuffix('.slides.html')}.html": path.name for path, _ in decks}
    (output / "index.html").write_text(
        build_html.index_html(pages, skipped, by_page), encoding="utf-8"
    )
    (output / ".nojekyll").write_text("", encoding="utf-8")
    return {"pages": pages, "skipped": skipped, "decks": decks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT,
        help=f"folder of the site (default: {DEFAULT_OUTPUT.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    notebooks = sorted(build_html.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    built = build(args.output, notebooks)
    size = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print(
        f"{args.output}: {len(built['pages'])} pages, {len(built['decks'])} decks, "
        f"{size / 1e6:.1f} MB"
    )
    return 0 if built["pages"] else 1


if __name__ == "__main__":
    sys.exit(main())

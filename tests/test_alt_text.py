"""Every figure has alt text that says what it shows, from lecture_utils.plotting.describe, in the
committed notebook outputs and in the HTML of ``make html``; placeholders fail."""

from __future__ import annotations

import html.parser
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from conftest import ROOT  # noqa: E402
from IPython.core.formatters import DisplayFormatter  # noqa: E402

from lecture_utils import plotting  # noqa: E402

LECTURE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MIN_WORDS = 6


def real_alt_problem(alt: str | None) -> str | None:
    """Why ``alt`` is not real alt text (None when it is)."""
    if not alt or not alt.strip():
        return "missing"
    text = alt.strip()
    if text.rstrip(".").lower() in plotting.PLACEHOLDER_ALT:
        return f"placeholder {text!r}"
    if len(text.split()) < MIN_WORDS:
        return f"too short to say what it shows: {text!r}"
    return None


def test_real_alt_problem_catches_placeholders():
    assert real_alt_problem(None) == "missing"
    assert real_alt_problem("  ") == "missing"
    assert real_alt_problem("No description has been provided for this image").startswith("place")
    assert real_alt_problem("Figure.").startswith("placeholder")
    assert real_alt_problem("heights").startswith("too short")
    assert real_alt_problem("Histogram of heights, women left and men right") is None


def test_describe_rejects_placeholders_and_non_figures():
    fig = plt.figure()
    with pytest.raises(ValueError, match="alt"):
        plotting.describe(fig, "")
    with pytest.raises(ValueError, match="not just"):
        plotting.describe(fig, "A plot.")
    with pytest.raises(TypeError, match="fig"):
        plotting.describe("not a figure", "a line rising from left to right")
    assert plotting.describe(fig, " A line rising ") is fig
    assert plotting.alt_text(fig) == "A line rising"


def test_the_png_formatter_puts_the_alt_text_in_the_output_metadata():
    class Shell:
        display_formatter = DisplayFormatter()

    shell = Shell()
    assert plotting.register_alt_text_formatter(shell) is True
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    data, metadata = shell.display_formatter.format(fig)
    assert data["image/png"][:4] == "iVBO"  # a base64 PNG
    assert "image/png" not in metadata  # no describe: no alt (the tests catch it)
    plotting.describe(fig, "A straight line from the origin up to (1, 1)")
    data, metadata = shell.display_formatter.format(fig)
    assert metadata["image/png"] == {"alt": "A straight line from the origin up to (1, 1)"}
    assert plotting.register_alt_text_formatter(None) is False  # outside IPython


def test_the_png_formatter_stores_a_palette_png_that_looks_the_same():
    import base64
    import io

    import numpy as np
    from IPython.core.pylabtools import print_figure
    from PIL import Image

    class Shell:
        display_formatter = DisplayFormatter()

    shell = Shell()
    plotting.register_alt_text_formatter(shell)
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    x = np.linspace(0, 10, 400)
    for k in range(6):
        ax.plot(x, np.sin(x + k), lw=2, label=f"curve {k}")
    ax.fill_between(x, -0.2, 0.2, alpha=0.3)
    ax.legend()
    plain = print_figure(fig, "png", bbox_inches="tight")
    data, _ = shell.display_formatter.format(fig)
    stored = base64.b64decode(data["image/png"])
    ours, theirs = Image.open(io.BytesIO(stored)), Image.open(io.BytesIO(plain))
    assert ours.mode == "P" and ours.size == theirs.size
    assert len(stored) < 0.6 * len(plain), (len(stored), len(plain))
    difference = np.abs(
        np.asarray(ours.convert("RGBA"), dtype=int) - np.asarray(theirs.convert("RGBA"), dtype=int)
    )
    assert np.array_equal(np.asarray(ours.convert("RGB"))[0, 0], [255, 255, 255])  # white stays
    assert difference.mean() < 0.5 and np.percentile(difference, 99.9) <= 24, (
        difference.mean(),
        np.percentile(difference, 99.9),
    )


@pytest.mark.parametrize("path", LECTURE, ids=[p.stem for p in LECTURE])
def test_every_figure_in_the_notebook_outputs_has_real_alt_text(path):
    nb = nbformat.read(path, as_version=4)
    problems, figures = [], 0
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            figures += 1
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if (why := real_alt_problem(alt)) is not None:
                problems.append(f"cell {index}: {why}")
    assert problems == [], f"{path.name}: {len(problems)} of {figures} figures: {problems}"


class _Images(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.alts: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt"))


def _build_html(out: pathlib.Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_html

    build_html.build(out, LECTURE)


def test_every_image_of_the_built_html_has_real_alt_text(tmp_path):
    _build_html(tmp_path)
    problems = []
    for path in LECTURE:
        parser = _Images()
        parser.feed((tmp_path / f"{path.stem}.html").read_text(encoding="utf-8"))
        for i, alt in enumerate(parser.alts):
            if (why := real_alt_problem(alt)) is not None:
                problems.append(f"{path.stem} image {i}: {why}")
    assert problems == []

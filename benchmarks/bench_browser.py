"""Slider key press → updated figure, in JupyterLab, in Debian's Chromium (issue 8: ≤ 150 ms).

    .venv/bin/python benchmarks/run.py browser

What is timed: the EM explorer of ``notebooks/06_em_algorithm.ipynb`` (the first
``.lecture-explorer`` there; until that notebook exists, the contract-following demo explorer of
``tests/browser_helpers.py`` stands in, and the row says so). JupyterLab runs the notebook; then
the explorer's main slider handle gets real key presses (ArrowRight; Home at the maximum) from
Playwright. Each latency is measured inside the page, from the ``keydown`` event's time stamp
to the first animation frame after the new PNG has loaded into the figure's ``<img>``: the
whole round trip a student waits for (browser → kernel → redraw + PNG → browser → decode).

Two rows share one measurement: the median of 15 presses of each slider, interleaved (so a
load spike on a shared machine hits both alike; the median, so one slow or fast frame neither
hides nor flatters):

1. against a trivial widget round trip measured the same way in the same page and kernel: an
   IntSlider whose observer only sets an HTML readout (keydown → readout text changed → next
   frame). The ratio is what drawing and shipping the figure costs on top of the unavoidable
   comm round trip. Target ≤ 5x: the trivial round trip measured 30-55 ms (median) on the
   2-core CI-like machine this was written on, and 5 x 30 ms is the 150 ms budget, so the
   ratio carries the budget to faster and slower machines.
2. against the issue's fixed budget, 150 ms (a constant, not measured: the ratio is the
   absolute latency in units of the budget; target ≤ 1).
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
import statistics
import sys
import tempfile

import nbformat

from run import Row

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
import browser_helpers as bh  # noqa: E402

PRESSES = 15
BUDGET = 0.150   # seconds: issue 8's target for key press → updated figure

REFERENCE_CELL = '''\
# Benchmark reference (appended by benchmarks/bench_browser.py to a temporary copy):
# a trivial widget round trip, slider -> kernel -> HTML readout, no drawing.
import ipywidgets as _w
_ref_slider = _w.IntSlider(value=0, min=0, max=1000, description="reference")
_ref_slider.add_class("bench-ref-slider")
_ref_readout = _w.HTML("0").add_class("bench-ref-readout")
_ref_slider.observe(lambda change: setattr(_ref_readout, "value", str(change["new"])),
                    names="value")
_w.VBox([_ref_slider, _ref_readout]).add_class("bench-reference")
'''

# Installs listeners on one slider handle and one target; resolves nothing, sets window.__lat.
# kind "img": done when the <img> has a new src and it has loaded; "text": when the text changed.
_ARM = """([handle, target, kind]) => {
  const state = {t0: null, t1: null, before: kind === 'img' ? target.src : target.textContent};
  window.__lat = state;
  const frame = () => requestAnimationFrame(() => { state.t1 = performance.now(); });
  handle.addEventListener('keydown', e => { state.t0 = e.timeStamp; }, {capture: true, once: true});
  if (kind === 'img') {
    const check = () => {
      if (target.src !== state.before && target.complete && target.naturalWidth > 0) frame();
      else target.addEventListener('load', () => frame(), {once: true});
    };
    const obs = new MutationObserver(() => { obs.disconnect(); check(); });
    obs.observe(target, {attributes: true, attributeFilter: ['src']});
  } else {
    const obs = new MutationObserver(() => {
      if (target.textContent !== state.before) { obs.disconnect(); frame(); }
    });
    obs.observe(target, {subtree: true, childList: true, characterData: true});
  }
}"""


@dataclasses.dataclass(frozen=True)
class Slider:
    """One slider to press and the element its press must change (``kind`` "img" or "text")."""

    handle: object   # Playwright Locator of the noUiSlider handle
    target: object   # Locator of the <img> or the readout
    kind: str


def _slider(page, box_selector: str, slider: str, target: str, kind: str) -> Slider:
    box = page.locator(box_selector).first
    return Slider(box.locator(f"{slider} .noUi-handle").first, box.locator(target).first, kind)


def _press(page, slider: Slider) -> float:
    """Latency (s) of one key press: keydown → target changed (and loaded) → next frame."""
    slider.handle.scroll_into_view_if_needed()
    value, high = (float(slider.handle.get_attribute(a))
                   for a in ("aria-valuenow", "aria-valuemax"))
    page.evaluate(_ARM, [slider.handle.element_handle(), slider.target.element_handle(),
                         slider.kind])
    slider.handle.focus()
    slider.handle.press("ArrowRight" if value < high else "Home")
    page.wait_for_function("() => window.__lat.t1 !== null && window.__lat.t0 !== null",
                           timeout=30_000, polling=10)
    t0, t1 = page.evaluate("() => [window.__lat.t0, window.__lat.t1]")
    bh.wait_for_idle(page)
    return (t1 - t0) / 1e3


@functools.lru_cache(maxsize=1)
def measure() -> tuple[float, float, str]:
    """(median explorer latency, median reference latency, which explorer) in seconds."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        root = tmp / "served"
        root.mkdir()
        bh.copy_notebooks(root)
        em = root / "notebooks" / "06_em_algorithm.ipynb"
        if em.exists() and bh.saved_explorer_count(bh.NOTEBOOKS / em.name) > 0:
            path, which = em, "EM explorer, 06_em_algorithm"
        else:
            path = bh.write_demo_explorer(root / "demo" / "demo_explorer.ipynb")
            which = "demo explorer (06_em_algorithm has no explorer yet)"
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(REFERENCE_CELL))
        nbformat.write(nb, path)

        with bh.jupyterlab(root, tmp / "home") as server, sync_playwright() as playwright:
            browser = bh.launch_chromium(playwright)
            try:
                page = bh.new_context(browser, viewport={"width": 1400, "height": 900}).new_page()
                bh.open_notebook(page, server, path.relative_to(root).as_posix())
                bh.run_all_cells(page)
                bh.wait_until_done(page, bh.code_cell_count(path), server=server)
                problems = bh.page_problems(page)
                if problems:
                    raise RuntimeError(f"{path.name}: {problems}")
                panel = bh.CURRENT_PANEL
                bh.wait_for_figure(page.locator(f"{panel} .lecture-explorer").first)
                explorer = _slider(page, f"{panel} .lecture-explorer", ".explorer-main-slider",
                                   bh.FIGURE, "img")
                trivial = _slider(page, f"{panel} .bench-reference", ".bench-ref-slider",
                                  ".bench-ref-readout", "text")
                ours, reference = [], []
                for _ in range(PRESSES):   # interleaved: a load spike hits both alike
                    ours.append(_press(page, explorer))
                    reference.append(_press(page, trivial))
            finally:
                browser.close()
    return statistics.median(ours), statistics.median(reference), which


def row_against_round_trip() -> Row:
    ours, reference, which = measure()
    return Row(
        name="slider key → new figure in JupyterLab",
        ours=ours, reference=reference,
        reference_name="trivial widget round trip (slider → kernel → HTML), same page",
        target=5.0,
        note=f"{which}; median of {PRESSES} presses",
    )


def row_against_budget() -> Row:
    ours, _, which = measure()
    return Row(
        name="slider key → new figure vs the 150 ms budget",
        ours=ours, reference=BUDGET,
        reference_name="issue 8's budget, 150 ms (a constant)",
        target=1.0,
        note=f"{which}; median of {PRESSES} presses",
    )


ROWS = [row_against_round_trip, row_against_budget]

"""The published course (`make site`): every page and deck works offline from file:// with every
request that is not to a local file blocked, math renders, widgets load, every deck steps
through with content on every slide, and axe-core finds no serious or critical WCAG 2.1 AA
violation. The site is built once per session into a temporary folder."""

from __future__ import annotations

import json
import pathlib
import re
import sys

import browser_helpers as bh
import nbformat
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import build_site  # noqa: E402

LECTURE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = [f"{p.stem}.html" for p in LECTURE] + ["index.html"]
DECKS = [
    f"{p.stem}.slides.html"
    for p in LECTURE
    if any("core" in c.metadata.get("tags", []) for c in nbformat.read(p, 4).cells)
]
LOCAL = re.compile(r"^(file|data|blob|about):")
AXE_REPORT = bh.SCREENSHOTS / "axe_site.json"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("site")
    build_site.build(out, LECTURE)
    return out


def test_site_layout(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert (site / ".nojekyll").exists()  # GitHub Pages would drop _vendor/ otherwise
    for page in PAGES[:-1]:
        assert (site / page).is_file() and f'href="{page}"' in index, page
    for deck in DECKS:
        assert (site / deck).is_file() and f'href="{deck}"' in index, deck
    for name in PAGES + DECKS:
        text = (site / name).read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:[^"]+)"', text)
        assert remote == [], f"{name} loads {remote}"
        for local in re.findall(r'<(?:script|link)[^>]+(?:src|href)="(_vendor/[^"?]+)"', text):
            assert (site / local).is_file(), f"{name}: {local} missing"


def _open(browser, path: pathlib.Path):
    context = bh.new_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return context, page


def _wait_for_math(page) -> None:
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=60_000
    )
    page.evaluate("() => MathJax.startup.promise")


def _record_axe(name: str, violations: list[dict]) -> None:
    bh.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.exists() else {}
    report[name] = bh.impact_counts(violations)
    AXE_REPORT.write_text(json.dumps(report, indent=1, sort_keys=True))


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_page_works_offline_and_passes_axe(name, site, browser):
    context, page = _open(browser, site / name)
    try:
        if name != "index.html":
            _wait_for_math(page)
            assert page.locator("mjx-container").count() > 0, "no math rendered"
            assert page.locator("mjx-merror").count() == 0, "MathJax errors"
            text = page.locator("body").inner_text()
            assert "$$" not in text, "raw TeX left on the page"
            nb = nbformat.read(ROOT / "notebooks" / name.replace(".html", ".ipynb"), 4)
            if bh.WIDGET_STATE in nb.metadata.get("widgets", {}):
                page.locator(".jupyter-widgets").first.wait_for(timeout=60_000)
                bh.wait_for_outputs(page, "body")
                assert page.locator(".jupyter-widgets-error-widget").count() == 0
        assert [u for u in page.requests if not LOCAL.match(u)] == []
        assert context.blocked == [] and page.errors == [], (context.blocked, page.errors)
        page.evaluate("window.scrollTo(0, 0)")
        bh.screenshot(page, f"site_{name.replace('.html', '')}")
        violations = bh.axe_violations(page)
        _record_axe(name, violations)
        assert bh.blocking(violations) == []
    finally:
        context.close()


_STEP = """() => {
  const R = window.Reveal, seen = [];
  R.slide(0, 0);
  for (let guard = 0; guard < 1000; guard++) {
    const s = R.getCurrentSlide();
    seen.push({at: R.getIndices().h + '.' + (R.getIndices().v || 0),
               chars: s.innerText.trim().length, images: s.querySelectorAll('img').length,
               raw_tex: /\\$\\$/.test(s.innerText)});
    if (R.isLastSlide()) break;
    R.next();
  }
  return seen;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("name", DECKS)
def test_deck_steps_through_offline(name, site, browser):
    context, page = _open(browser, site / name)
    try:
        page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=60_000)
        _wait_for_math(page)
        seen = page.evaluate(_STEP)
        assert len(seen) == page.evaluate("() => Reveal.getTotalSlides()") > 1
        assert [s for s in seen if s["chars"] == 0 and s["images"] == 0] == []
        assert [s for s in seen if s["raw_tex"]] == []
        assert page.locator("mjx-container").count() > 0
        assert page.locator("mjx-merror").count() == 0
        assert [u for u in page.requests if not LOCAL.match(u)] == []
        assert context.blocked == [] and page.errors == [], (context.blocked, page.errors)
        page.evaluate("() => Reveal.slide(1, 0)")
        page.wait_for_timeout(600)
        bh.screenshot(page, f"site_{name.replace('.html', '')}")
        violations = bh.axe_violations(page)
        _record_axe(name, violations)
        assert bh.blocking(violations) == []
    finally:
        context.close()

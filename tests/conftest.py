"""Shared pytest configuration.

- Under CI (``CI=true``) a skipped test is reported as a failure: nothing may skip in CI for
  lack of a dependency, a browser or data.
- Hypothesis: the ``ci`` profile is derandomized (the same examples every run) with no
  deadline (the CI machine has 2 cores shared with a JupyterLab server); ``dev`` is the default
  randomized search, also without a deadline. Select with ``HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import os
import pathlib

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

ROOT = pathlib.Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which counts as a failure: {reason}"


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session, shared by every browser test file.

    Playwright's sync API runs its own event loop while the ``with`` block is open, so a second
    ``sync_playwright()`` in the same process fails ("using Playwright Sync API inside the asyncio
    loop") for as long as the first is alive: a session-scoped browser in one file and another in
    a second file cannot coexist. Hence one fixture, here."""
    import browser_helpers as bh

    if not bh.CHROMIUM.exists():
        message = (
            f"{bh.CHROMIUM} not found: the browser tests need Debian's chromium "
            "(apt-get install chromium)"
        )
        (pytest.fail if IN_CI else pytest.skip)(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = bh.launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def assert_explorer_contract(explorer) -> None:
    """The Explorer contract (lecture_utils.explorer): the box and its main slider carry their
    classes; every frame is a PNG with its own alt text and readout; each linked control is
    jslinked to its Stack; the static figure has alt text."""
    import html as _html
    import re as _re

    import ipywidgets

    from lecture_utils.explorer import Explorer

    assert isinstance(explorer, Explorer)
    assert "lecture-explorer" in explorer.widget._dom_classes
    assert "explorer-main-slider" in explorer.slider._dom_classes
    assert isinstance(explorer.figure, ipywidgets.Stack)

    def leaves(stack):
        for child in stack.children:
            yield from (leaves(child) if isinstance(child, ipywidgets.Stack) else [child])

    alts, pngs = [], []
    for leaf in leaves(explorer.figure):
        value = leaf.value
        assert 'class="explorer-readout"' in value and 'class="explorer-figure"' in value
        alt = _html.unescape(_re.search(r'alt="([^"]*)"', value).group(1))
        assert len(alt) > 40, alt
        alts.append(alt)
        pngs.append(_re.search(r'src="data:image/webp;base64,([^"]+)"', value).group(1))
    assert len(set(alts)) == len(alts), "two frames share their alt text"
    assert len(set(pngs)) == len(pngs), "two frames are the same picture"
    for control, trait in explorer.links:
        assert any(
            link.source == (control, trait) and link.target[1] == "selected_index"
            for link in explorer.jslinks
        ), (control, trait)
    image = explorer.frame.image
    assert image[:4] == b"RIFF" and image[8:12] == b"WEBP"
    # shown at its own pixel width (CSS px * PIXEL_RATIO), never stretched by the box
    import io as _io

    from PIL import Image

    from lecture_utils.explorer import PIXEL_RATIO

    width = Image.open(_io.BytesIO(image)).size[0]
    assert abs(width - explorer.frame.width_px * PIXEL_RATIO) <= 1, (width, explorer.frame)
    assert f"width:{explorer.frame.width_px}px;max-width:100%" in explorer.frame.html()
    fig = explorer.static_figure()
    assert getattr(fig, "_lecture_alt", ""), "the static figure has no alt text"
    for control in explorer.controls.values():
        assert getattr(control, "description", "") or getattr(control, "tooltip", ""), control


def assert_frame_changes(explorer, **state) -> tuple[str, str]:
    """update(**state) shows another frame: new readout, new alt text, new picture; the Stacks'
    selected indices follow the controls in Python too."""
    before = (explorer.readout, explorer.alt, explorer.frame.image)
    explorer.update(**state)
    after = (explorer.readout, explorer.alt, explorer.frame.image)
    assert all(a != b for a, b in zip(before, after)), state
    stack, shown = explorer.figure, None
    for index in explorer.state:
        assert stack.selected_index == index
        shown = stack = stack.children[index]
    assert shown.value == explorer.frame.html()
    return explorer.readout, explorer.alt

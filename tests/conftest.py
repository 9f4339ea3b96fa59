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
    "ci", derandomize=True, deadline=None, max_examples=100,
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


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def assert_figure_shown_at_own_size(image) -> None:
    """An explorer's ``widgets.Image`` holds a PNG and is laid out at that PNG's pixel width
    (scaled down, never up, in a narrow cell): a VBox would otherwise stretch it, blurred, to
    the cell's width."""
    png = image.value
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "the explorer's image is not a PNG"
    width = int.from_bytes(png[16:20], "big")               # the IHDR chunk's width field
    assert image.layout.width == f"{width}px", (image.layout.width, width)
    assert image.layout.max_width == "100%" and image.layout.height == "auto"

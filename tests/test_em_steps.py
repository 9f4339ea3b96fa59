"""The step-by-step EM figures of 06 (Old Faithful): what they draw, their alt text, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_utils import em_steps, mixture
from lecture_utils.data import load_faithful


@pytest.fixture(scope="module")
def trace():
    x = load_faithful()["eruptions"].to_numpy()
    return mixture.run_em(
        x, mixture.MixtureParams.shared([0.5, 0.5], [2.0, 4.0], 1.0), max_iter=500, tol=1e-8
    )


def test_slide_index_is_one_based():
    assert em_steps.slide_index(0) == "⁽¹⁾"
    assert em_steps.slide_index(11) == "⁽¹²⁾"


def test_small_multiples_draw_each_iteration_with_alt_text(trace):
    fig = em_steps.plot_em_iterations(
        trace, (0, 1, None), unit="duration (minutes)", names=("short", "long")
    )
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(panels) == 3
    assert panels[0].get_title().startswith("θ⁽¹⁾ (start)")
    assert "converged" in panels[-1].get_title()
    # the drawn component means are the trace's: the peak of each curve sits at mu_k
    curve = panels[-1].lines[1]
    peak = curve.get_xdata()[np.argmax(curve.get_ydata())]
    assert peak == pytest.approx(trace.final.means[1], abs=0.02)
    assert "short" in fig._lecture_alt and f"{trace.final.means[1]:.2f}" in fig._lecture_alt


def test_convergence_figure_has_one_point_per_iterate(trace):
    fig = em_steps.plot_em_convergence(trace, marked=(0, 2), title="EM on the eruptions")
    ax_ll = fig.axes[0]
    assert ax_ll.lines[0].get_ydata().size == trace.n_iter + 1
    assert np.all(np.diff(ax_ll.lines[0].get_ydata()) >= -1e-9)
    assert "never going down" in fig._lecture_alt


def test_bad_input_is_refused(trace):
    with pytest.raises(TypeError, match="trace must be an EMTrace"):
        em_steps.plot_em_iterations("trace", unit="minutes")
    with pytest.raises(ValueError, match=r"iterations must be in 0\.\."):
        em_steps.plot_em_iterations(trace, (0, trace.n_iter + 5), unit="minutes")

"""The EM pictures (lecture_utils.em_plots) and the interactive EM explorer (widgets.em_explorer).

The slices drawn in the Bishop Fig. 9.14 panel are checked against lecture_utils.mixture's own
log_likelihood and lower_bound; the explorer is driven without a browser: its slider, half-step
toggle and start controls are set from Python, as the widget front end would set them.
"""

from __future__ import annotations

import dataclasses
import io

import ipywidgets
import matplotlib as mpl
import numpy as np
import pytest
from conftest import assert_explorer_contract, assert_frame_changes
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.image import imread

from lecture_utils import em_plots, mixture, widgets
from lecture_utils.data import load_heights
from lecture_utils.plotting import use_style

use_style()


@pytest.fixture(scope="module")
def heights() -> np.ndarray:
    return load_heights()["height"].to_numpy()


def start(mu0=60.0, mu1=75.0, sigma=4.0, pi=0.5) -> mixture.MixtureParams:
    return mixture.MixtureParams(
        weights=np.array([1 - pi, pi]),
        means=np.array([mu0, mu1]),
        variances=np.array([sigma**2, sigma**2]),
    )


@pytest.fixture(scope="module")
def trace(heights):
    return mixture.run_em(heights, start(), max_iter=40, tol=0)


@pytest.fixture(scope="module")
def frames(heights, trace):
    return em_plots.em_frames(heights, trace)


# --- the slices against lecture_utils.mixture ------------------------------------------------


def with_mean(params, k, value):
    means = np.array(params.means, dtype=float)
    means[k] = value
    return dataclasses.replace(params, means=means)


@pytest.mark.parametrize("k", [0, 1])
def test_slices_equal_mixture_log_likelihood_and_lower_bound(heights, trace, k):
    params = trace.params[3]
    resp = mixture.e_step(heights, params)
    values = np.array([55.0, 63.2, 68.0, 71.5, 80.0])
    ll = em_plots.log_likelihood_slice(heights, params, k, values)
    bound = em_plots.lower_bound_slice(heights, params, resp, k, values)
    for v, a, b in zip(values, ll, bound):
        moved = with_mean(params, k, v)
        assert a == pytest.approx(mixture.log_likelihood(heights, moved), rel=1e-10)
        assert b == pytest.approx(mixture.lower_bound(heights, moved, resp), rel=1e-10)


def test_bound_touches_at_theta_t_and_its_top_is_the_next_iterate(heights, trace):
    for t in (0, 1, 5, 20):
        p, nxt = trace.params[t], trace.params[t + 1]
        q = mixture.e_step(heights, p)
        at = np.array([p.means[1]])
        assert em_plots.lower_bound_slice(heights, p, q, 1, at)[0] == pytest.approx(
            em_plots.log_likelihood_slice(heights, p, 1, at)[0], abs=1e-7
        )
        around = nxt.means[1] + np.array([-1e-3, 0.0, 1e-3])
        b = em_plots.lower_bound_slice(heights, p, q, 1, around)
        assert b[1] > b[0] and b[1] > b[2], f"iteration {t}: the bound's top is not at mu_1^(t+1)"


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1),
    mu=st.tuples(st.floats(-5, 5), st.floats(-5, 5)),
    sigma=st.floats(0.3, 3.0),
    pi=st.floats(0.05, 0.95),
    shift=st.floats(-3, 3),
)
def test_bound_slice_is_below_the_log_likelihood_slice(seed, mu, sigma, pi, shift):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, size=40)
    p = mixture.MixtureParams(np.array([1 - pi, pi]), np.array(mu), np.array([sigma**2] * 2))
    q = mixture.e_step(x, with_mean(p, 1, p.means[1] + shift))  # any q, not only the posterior
    grid = np.linspace(-8, 8, 33)
    assert np.all(
        em_plots.lower_bound_slice(x, p, q, 1, grid)
        <= em_plots.log_likelihood_slice(x, p, 1, grid) + 1e-9
    )


# --- precomputed frames ------------------------------------------------------------------------


def test_frames_hold_every_iteration_and_one_extra_m_step(heights, trace, frames):
    T = trace.n_iter
    assert frames.n_iter == T == 40
    assert len(frames.params) == T + 2
    assert frames.resp.shape == (T + 1, heights.size)
    np.testing.assert_allclose(frames.log_likelihoods[: T + 1], trace.log_likelihoods)
    assert np.all(frames.bound_after_m <= frames.log_likelihoods[1:] + 1e-8)
    np.testing.assert_allclose(frames.resp[7], mixture.e_step(heights, trace.params[7])[:, 1])
    # the densities integrate to the weights
    dx = frames.x_grid[1] - frames.x_grid[0]
    np.testing.assert_allclose(
        frames.densities[4].sum(axis=1) * dx, trace.params[4].weights, atol=1e-3
    )
    assert frames.state(3, "E") == (3, 3) and frames.state(3, "M") == (4, 3)


def test_bad_input_is_named(heights, trace, frames):
    with pytest.raises(ValueError, match="t must be"):
        frames.state(frames.n_iter + 1, "E")
    with pytest.raises(ValueError, match="half"):
        frames.state(0, "X")
    with pytest.raises(ValueError, match="x must be"):
        em_plots.em_frames(heights[:, None], trace)
    with pytest.raises(TypeError, match="trace"):
        em_plots.em_frames(heights, "not a trace")
    three = mixture.MixtureParams(np.full(3, 1 / 3), np.array([60.0, 66.0, 72.0]), np.full(3, 9.0))
    with pytest.raises(ValueError, match="K = 2"):
        em_plots.em_frames(heights, mixture.run_em(heights, three, max_iter=2, tol=0))


# --- static figures -------------------------------------------------------------------------------


def test_small_multiples_show_the_requested_iterations(frames):
    fig = em_plots.plot_em_small_multiples(frames)
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_title()]
    titles = [ax.get_title().split(" ·")[0] for ax in panels]
    # slide 12's numbering: after t iterations the figure shows θ⁽ᵗ⁺¹⁾ (the start is θ⁽¹⁾)
    assert titles == [
        "θ⁽¹⁾",
        "θ⁽²⁾",
        "θ⁽³⁾",
        "θ⁽⁶⁾",
        "θ⁽¹¹⁾",
        f"{em_plots._sup(frames.n_iter)} (final)".replace("⁽", "θ⁽", 1),
    ]
    # every panel is labelled on the outer edges: bottom row x, left column y
    bottom = {id(ax) for ax in panels[-3:]}
    left = {id(panels[i]) for i in (0, 3)}
    for ax in panels:
        assert (ax.get_xlabel() == "height (inches)") == (id(ax) in bottom), ax.get_title()
        assert (ax.get_ylabel() == "density (1/in)") == (id(ax) in left), ax.get_title()
    assert any("q(male)" in ax.get_ylabel() for ax in fig.axes)  # the colour bar


def test_lower_bound_picture_marks_both_iterates(frames):
    fig = Figure()
    ax = fig.add_subplot()
    em_plots.plot_lower_bound(ax, frames, 2)
    assert (
        "μ₁⁽³⁾" in ax.get_title() and "μ₁⁽⁴⁾" in ax.get_title()
    )  # slide numbering: index 2 = θ⁽³⁾
    assert len(ax.get_lines()) == 5


def test_every_frame_draws(frames):
    figure = em_plots.EMFigure(frames)
    sizes = set()
    for t in (0, 1, frames.n_iter):
        for half in em_plots.HALF_STEPS:
            figure.show(t, half)
            png = figure.png(dpi=40)
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            sizes.add(len(png))
    assert len(sizes) > 1


# --- the explorer ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def explorer(heights):
    # a short trace (tol=0, 20 iterations) so that the module renders few frames
    short = mixture.run_em(heights, start(), max_iter=20, tol=0)
    return widgets.em_explorer(heights, short, dpi=30)


def test_explorer_follows_the_widget_contract(explorer):
    assert_explorer_contract(explorer)
    assert isinstance(explorer.slider, ipywidgets.SelectionSlider)
    assert explorer.iterations == [*range(15), 16, 17, 18, 19, 20]
    assert len(explorer.slider.options) == explorer.play.max + 1 == len(explorer.iterations)
    link = explorer.play_link  # Play drives the slider in the browser
    assert link.source == (explorer.play, "value") and link.target == (explorer.slider, "index")
    assert "iteration 1 of 21" in explorer.readout  # slide 12: the start is θ⁽¹⁾
    # the start controls need Python: marked so, with their note (saved disabled, see
    # scripts/execute_notebooks.py)
    for control in explorer.start_controls.values():
        assert "explorer-needs-kernel" in control._dom_classes and not control.disabled
    assert "explorer-kernel-note" in explorer.note._dom_classes


def test_iterations_shown_are_every_early_one_then_spaced_to_the_last():
    assert widgets._em_iterations(5) == [0, 1, 2, 3, 4, 5]
    shown = widgets._em_iterations(64)
    assert shown[:12] == list(range(12)) and shown[-1] == 64 and len(shown) == 20
    assert shown == sorted(set(shown))


def test_the_bound_slice_is_computed_where_asked_and_refused_elsewhere(heights, trace):
    frames = em_plots.em_frames(heights, trace, slices_at=[0, 2])
    full = em_plots.em_frames(heights, trace)
    for t in (0, 2):
        assert np.array_equal(frames.ll_slice[t], full.ll_slice[t])
        assert np.array_equal(frames.bound_slice[t], full.bound_slice[t])
    assert np.isnan(frames.ll_slice[1]).all()
    figure = em_plots.EMFigure(frames)
    figure.show(2, "M")
    with pytest.raises(ValueError, match="slice was not computed"):
        figure.show(1, "E")
    with pytest.raises(ValueError, match="slices_at must hold iterations"):
        em_plots.em_frames(heights, trace, slices_at=[trace.n_iter + 1])


def test_slider_and_half_step_change_readout_alt_and_picture(explorer):
    trace = explorer.trace
    assert_frame_changes(explorer, t=3)
    assert "iteration 4 of 21" in explorer.readout and "E step" in explorer.readout
    assert f"{trace.log_likelihoods[3]:.2f}" in explorer.readout
    assert "iteration 4 of 21 after the E step" in explorer.alt
    assert_frame_changes(explorer, half="M")
    assert "M step" in explorer.readout and f"{trace.log_likelihoods[4]:.2f}" in explorer.readout
    with pytest.raises(ValueError, match="one of the iterations shown"):
        explorer.update(t=99)
    explorer.update(t=0, half="E")


def test_a_trace_carries_its_settings_and_a_restart_uses_them(heights, monkeypatch):
    trace = mixture.run_em(heights, start(), max_iter=12, tol=1e-3)
    assert (trace.max_iter, trace.tol, trace.shared_variance) == (12, 1e-3, True)
    ex = widgets.em_explorer(heights, trace, dpi=20)
    calls = []
    real = mixture.run_em

    def counting(*args, **kwargs):
        calls.append((args[1], kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(mixture, "run_em", counting)
    ex.update(t=5)
    ex.start_controls["mu1"].value = 72.0
    assert len(calls) == 1
    init, kwargs = calls[0]
    np.testing.assert_allclose(init.means, [60.0, 72.0])
    assert kwargs == {"max_iter": 12, "tol": 1e-3, "shared_variance": True, "variance_floor": None}
    assert ex.slider.index == 0 and ex.n_recomputes == 1
    new = real(heights, start(mu1=72.0), max_iter=12, tol=1e-3)
    assert ex.iterations == widgets._em_iterations(new.n_iter)
    assert f"{new.log_likelihoods[0]:.2f}" in ex.readout
    assert_explorer_contract(ex)  # every frame rendered again, each its own
    assert ex.progress.value == ex.progress.max == 2 * len(ex.iterations)
    assert ex.progress.layout.visibility == "hidden"
    with pytest.raises(TypeError, match="no longer takes"):
        widgets.em_explorer(heights, trace, tol=1e-6)


def test_a_per_component_variance_trace_is_never_restarted_as_shared(heights):
    trace = mixture.run_em(heights, start(), max_iter=3, tol=0, shared_variance=False)
    ex = widgets.em_explorer(heights, trace, dpi=20)
    assert all(c.disabled for c in ex.start_controls.values())


def test_moving_a_main_control_computes_no_em(explorer, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("EM computed on a slider move")

    for name in ("run_em", "e_step", "m_step", "log_likelihood", "lower_bound"):
        monkeypatch.setattr(mixture, name, forbidden)
    seen = set()
    for t in (1, 2, 7, 20, 0):
        explorer.update(t=t)
        seen.add(explorer.frame.image)
    explorer.update(half="M")
    seen.add(explorer.frame.image)
    explorer.update(t=5, half="E")
    assert "iteration 6 of 21" in explorer.readout
    assert len(seen) == 6


def _pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def _full_draw(figure: em_plots.EMFigure, dpi: float) -> np.ndarray:
    """The figure's current state drawn whole by savefig: every artist, no cached background."""
    buffer = io.BytesIO()
    with mpl.rc_context(em_plots._NO_LAYOUT):
        figure.figure.savefig(buffer, format="png", dpi=dpi)
    return _pixels(buffer.getvalue())


def test_blitted_frames_are_the_pixels_of_a_full_draw(heights, trace, monkeypatch):
    # Every frame blits onto one cached background; a legend is redrawn only where something
    # moving crosses it (the log-likelihood panel's "now" line does, late in the trace).
    figure = em_plots.EMFigure(em_plots.em_frames(heights, trace))
    crossed = []
    real = em_plots._crosses

    def spy(artist, box, renderer):
        crossed.append(real(artist, box, renderer))
        return crossed[-1]

    monkeypatch.setattr(em_plots, "_crosses", spy)
    for t, half in [(0, "E"), (3, "M"), (1, "E"), (38, "E"), (40, "M"), (2, "M")]:
        figure.show(t, half)
        blitted = _pixels(figure.png(dpi=50))
        assert np.array_equal(blitted, _full_draw(figure, 50)), (t, half)
    assert any(crossed) and not all(crossed)


def test_a_start_density_off_the_axis_is_named_and_later_frames_keep_their_scale(heights):
    narrow = mixture.run_em(heights, start(mu0=50.0, mu1=52.0, sigma=0.5, pi=0.1), max_iter=20)
    figure = em_plots.EMFigure(em_plots.em_frames(heights, narrow))
    top = figure.ax_hist.get_ylim()[1]
    figure.show(0, "E")
    assert "off the axis" in figure.note_hist.get_text()
    blitted = _pixels(figure.png(dpi=40))
    assert np.array_equal(blitted, _full_draw(figure, 40))
    figure.show(1, "E")
    assert figure.note_hist.get_text() == "" and figure.ax_hist.get_ylim()[1] == top
    assert top < 0.3  # the start's peak (about 0.7 /in) would flatten every later frame


def test_stored_responsibilities_give_the_same_frames(heights, frames):
    stored = mixture.run_em(heights, start(), max_iter=40, tol=0, store_responsibilities=True)
    again = em_plots.em_frames(heights, stored)
    np.testing.assert_allclose(again.resp, frames.resp, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(again.bound_slice, frames.bound_slice, rtol=1e-12)

"""The ipywidgets explorers. Thin by design: every explorer takes results computed elsewhere
(an EM trace, a posterior, a set of simulations) and its callbacks only index them and redraw.
No explorer computes EM, a forward-backward pass or a simulation inside a slider callback.

Each explorer has a static counterpart in the notebook (a small-multiples figure), so the
notebook reads on GitHub, in nbval and without a kernel.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# EM explorer (slides 12-13): lecture_utils.mixture traces
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Fish HMM explorers (slide 6): lecture_utils.hmm posteriors
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Election explorer (slides 7-8): lecture_utils.election simulations
# ---------------------------------------------------------------------------------------------

import io as _election_io  # noqa: E402

import numpy as _election_np  # noqa: E402


def _election_png(fig, dpi: int = 80) -> bytes:
    buffer = _election_io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def election_explorer(national_sds, sims, *, published: dict[str, float] | None = None,
                      actual_clinton_ev: int | None = None, bin_width: int = 10):
    """Slide along the SD of the shared national polling error (slide 8).

    Parameters
    ----------
    national_sds : sequence of float
        The grid of SDs (points), increasing, evenly spaced.
    sims : list of ElectionSims
        One per SD, e.g. from ``election.simulate_national_sd_grid`` (common random numbers).
    published : dict name -> probability, optional
        Reference lines on the P(win) curve (``election.PUBLISHED_FORECASTS_2016``).
    actual_clinton_ev : int, optional
        Marked on the histogram.

    Returns
    -------
    ipywidgets.VBox with ``.slider`` (FloatSlider), ``.readout`` (HTML), ``.image`` (Image) and
    ``.update(i)``, which shows grid point ``i``. Every histogram is computed here, once; a
    slider move only swaps artists' data and re-renders the PNG.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    from lecture_utils.election import ev_histogram, plot_ev_histogram, plot_published_forecasts
    from lecture_utils.plotting import COLORS

    sds = _election_np.asarray(national_sds, dtype=float)
    if sds.ndim != 1 or sds.size < 2 or not _election_np.all(_election_np.diff(sds) > 0):
        raise ValueError("national_sds must be an increasing sequence of at least 2 SDs")
    if len(sims) != sds.size:
        raise ValueError(f"sims must hold one ElectionSims per SD: {len(sims)} != {sds.size}")
    total, threshold = sims[0].total_ev, sims[0].win_threshold
    p_win = _election_np.array([s.p_clinton_win for s in sims])
    hists = [ev_histogram(s.clinton_ev, total, bin_width) for s in sims]
    edges = hists[0][0]
    fractions = _election_np.array([h[1] for h in hists])
    clinton_side = edges[:-1] >= threshold
    surprise = (None if actual_clinton_ev is None else
                _election_np.array([s.p_clinton_ev_at_most(actual_clinton_ev) for s in sims]))

    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax_hist, ax_curve = fig.subplots(1, 2, width_ratios=[1.3, 1])
    trump_bars, clinton_bars = plot_ev_histogram(ax_hist, sims[0].clinton_ev, total=total,
                                                 bin_width=bin_width, actual=actual_clinton_ev,
                                                 colors=COLORS)
    ax_hist.legend(loc="upper left", fontsize=8)
    ax_hist.set_xlim(100, 440)
    ax_curve.plot(sds, p_win, color=COLORS["Clinton"], lw=2)
    (marker,) = ax_curve.plot([sds[0]], [p_win[0]], "o", color=COLORS["Clinton"], ms=9)
    plot_published_forecasts(ax_curve, published or {}, x=sds[-1])
    ax_curve.set_xlabel(r"SD $\sigma_\delta$ of the national error (points)")
    ax_curve.set_ylabel("P(Clinton ≥ 270)")
    ax_curve.set_ylim(0.5, 1.02)
    title = ax_hist.set_title("")

    image = widgets.Image(format="png")
    image.add_class("explorer-figure")
    readout = widgets.HTML()
    readout.add_class("explorer-readout")
    step = float(sds[1] - sds[0])
    slider = widgets.FloatSlider(value=float(sds[0]), min=float(sds[0]), max=float(sds[-1]),
                                 step=step, description="national SD σ_δ", readout_format=".2f",
                                 continuous_update=True, style={"description_width": "initial"},
                                 layout=widgets.Layout(width="60%"))
    slider.add_class("explorer-main-slider")

    def update(i: int) -> None:
        i = int(_election_np.clip(i, 0, sds.size - 1))
        trump_bars.set_data(_election_np.where(clinton_side, 0, fractions[i]), edges)
        clinton_bars.set_data(_election_np.where(clinton_side, fractions[i], 0), edges)
        marker.set_data([sds[i]], [p_win[i]])
        ax_hist.set_ylim(0, min(1.0, 1.15 * fractions[i].max()))
        title.set_text(rf"shared national error $\sigma_\delta$ = {sds[i]:.2f} points")
        text = (f"national SD σ_δ = {sds[i]:.2f} points · P(Clinton ≥ {threshold}) = "
                f"{p_win[i]:.3f}")
        if surprise is not None:
            text += f" · P(Clinton ≤ {actual_clinton_ev} EV) = {surprise[i]:.4f}"
        readout.value = text
        image.value = _election_png(fig)

    def on_change(change) -> None:
        update(int(round((change["new"] - sds[0]) / step)))

    slider.observe(on_change, names="value")
    update(0)
    box = widgets.VBox([slider, readout, image])
    box.add_class("lecture-explorer")
    box.slider, box.readout, box.image, box.update, box.figure = slider, readout, image, update, fig
    return box



# ---------------------------------------------------------------------------------------------
# Bayesian recap explorers (slide 2): conjugate posteriors
# ---------------------------------------------------------------------------------------------

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


def _election_reference_lines(ax, published: dict[str, float], x: float) -> None:
    """Dashed horizontal lines for published forecasts, labels kept apart when lines crowd."""
    previous = None
    for name, prob in sorted(published.items(), key=lambda item: -item[1]):
        ax.axhline(prob, color="0.5", lw=0.8, ls="--")
        below = previous is not None and previous - prob < 0.03
        label = ">99%" if prob >= 0.99 else f"{prob:.0%}"   # PEC published ">99%"
        ax.text(x, prob, f"{name} {label}", ha="right", va="top" if below else "bottom",
                fontsize=7, color="0.3")
        previous = prob


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

    from lecture_utils.election import ev_histogram
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
    trump_bars = ax_hist.stairs(_election_np.where(clinton_side, 0, fractions[0]), edges,
                                fill=True, color=COLORS["Trump"], alpha=0.8, label="Trump wins")
    clinton_bars = ax_hist.stairs(_election_np.where(clinton_side, fractions[0], 0), edges,
                                  fill=True, color=COLORS["Clinton"], alpha=0.8,
                                  label="Clinton wins")
    ax_hist.axvline(threshold, color="k", lw=1, ls=":")
    ax_hist.text(threshold, 1.0, f" {threshold} to win", transform=ax_hist.get_xaxis_transform(),
                 va="top", fontsize=9)
    if actual_clinton_ev is not None:
        ax_hist.axvline(actual_clinton_ev, color=COLORS["truth"], lw=2,
                        label=f"2016 result, counted\nlike the model: {actual_clinton_ev}")
    ax_hist.set_xlim(100, 440)
    ax_hist.set_xlabel("Clinton's electoral votes")
    ax_hist.set_ylabel(f"fraction of simulations per {bin_width} EV")
    ax_hist.legend(loc="upper left", fontsize=8)
    ax_curve.plot(sds, p_win, color=COLORS["Clinton"], lw=2)
    (marker,) = ax_curve.plot([sds[0]], [p_win[0]], "o", color=COLORS["Clinton"], ms=9)
    _election_reference_lines(ax_curve, published or {}, x=sds[-1])
    ax_curve.set_xlabel("national error SD τ (points)")
    ax_curve.set_ylabel("P(Clinton ≥ 270)")
    ax_curve.set_ylim(0.5, 1.02)
    title = ax_hist.set_title("")

    image = widgets.Image(format="png")
    image.add_class("explorer-figure")
    readout = widgets.HTML()
    readout.add_class("explorer-readout")
    step = float(sds[1] - sds[0])
    slider = widgets.FloatSlider(value=float(sds[0]), min=float(sds[0]), max=float(sds[-1]),
                                 step=step, description="national SD τ", readout_format=".2f",
                                 continuous_update=True, style={"description_width": "initial"},
                                 layout=widgets.Layout(width="60%"))
    slider.add_class("explorer-main-slider")

    def update(i: int) -> None:
        i = int(_election_np.clip(i, 0, sds.size - 1))
        trump_bars.set_data(_election_np.where(clinton_side, 0, fractions[i]), edges)
        clinton_bars.set_data(_election_np.where(clinton_side, fractions[i], 0), edges)
        marker.set_data([sds[i]], [p_win[i]])
        ax_hist.set_ylim(0, min(1.0, 1.15 * fractions[i].max()))
        title.set_text(f"shared national error τ = {sds[i]:.2f} points")
        text = (f"national SD τ = {sds[i]:.2f} points · P(Clinton ≥ {threshold}) = "
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

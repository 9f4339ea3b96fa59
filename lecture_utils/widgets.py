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

import numpy as np  # noqa: E402  (imports of the fish explorers, kept under their banner)
import ipywidgets as widgets  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecture_utils.plotting import COLORS  # noqa: E402


def _fish_png(fig, dpi: float = 80) -> bytes:
    from io import BytesIO

    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


@dataclass(frozen=True)
class _FilterFrames:
    """Densities (per unit of population) for the predict -> update explorer, precomputed."""

    grid: np.ndarray
    predicted: np.ndarray       # (T, G) p(z_t | x_1..t-1) / dz
    likelihood: np.ndarray      # (T, G) p(x_t | z_t), normalised over z to a density
    filtered: np.ndarray        # (T, G) p(z_t | x_1..t) / dz
    x: np.ndarray
    lam: float
    truth: np.ndarray | None


def _filter_frames(post, x, lam: float, truth=None) -> _FilterFrames:
    from scipy import stats

    dz = post.spacing
    like = np.exp(stats.poisson.logpmf(np.asarray(x)[:, None], lam * post.grid[None, :])
                  - stats.poisson.logpmf(np.asarray(x)[:, None],
                                         lam * post.grid[None, :]).max(axis=1, keepdims=True))
    like /= like.sum(axis=1, keepdims=True) * dz
    return _FilterFrames(post.grid, post.predicted / dz, like, post.filtered / dz,
                         np.asarray(x), float(lam), None if truth is None else np.asarray(truth))


def _draw_filter_step(ax, frames: _FilterFrames, t: int, legend: bool = True) -> dict:
    """Predict -> update at time index t (0-based) on ``ax``; returns the artists."""
    g = frames.grid
    artists = {
        "predicted": ax.plot(g, frames.predicted[t], color=COLORS["filtered"], ls="--",
                             lw=1.5, label=r"predict: $p(z_t \mid x_{1:t-1})$")[0],
        "likelihood": ax.plot(g, frames.likelihood[t], color=COLORS["data"], lw=1.2,
                              label=r"count: $p(x_t \mid z_t)$, normalised")[0],
        "filtered": ax.plot(g, frames.filtered[t], color=COLORS["filtered"], lw=2.2,
                            label=r"update: $p(z_t \mid x_{1:t})$")[0],
    }
    if frames.truth is not None:
        artists["truth"] = ax.axvline(frames.truth[t], color=COLORS["truth"], lw=1, ls=":",
                                      label="true $z_t$")
    top = max(frames.filtered.max(), frames.predicted.max(), frames.likelihood.max())
    lo, hi = _filter_zoom(frames)
    ax.set(xlim=(lo, hi), ylim=(0, 1.08 * top), xlabel="population $z_t$ (fish)",
           ylabel="density (per fish)")
    if legend:
        ax.legend(loc="upper right", fontsize=8)
    return artists


def _filter_zoom(frames: _FilterFrames) -> tuple[float, float]:
    """The populations where any of the belief curves is visible."""
    mass = np.maximum(frames.filtered.max(axis=0), frames.predicted.max(axis=0))
    visible = frames.grid[mass > 1e-3 * mass.max()]
    pad = 0.05 * (visible[-1] - visible[0])
    return visible[0] - pad, visible[-1] + pad


def fish_filter_figure(post, x, lam: float, truth=None, times=(1, 2, 10, 30)) -> Figure:
    """Static small multiples of the predict -> update explorer, at the 1-based ``times``."""
    frames = _filter_frames(post, x, lam, truth)
    fig = Figure(figsize=(3.0 * len(times), 3.2), layout="constrained")
    axes = fig.subplots(1, len(times), sharey=True)
    for k, (ax, t) in enumerate(zip(np.atleast_1d(axes), times)):
        _draw_filter_step(ax, frames, t - 1, legend=False)
        ax.set_title(f"t = {t}: count $x_t$ = {frames.x[t - 1]}", fontsize=10)
        if k:
            ax.set_ylabel("")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    return fig


def fish_filter_explorer(post, x, lam: float, truth=None, dpi: float = 80) -> widgets.VBox:
    """Slider over t: the belief about the population goes through predict -> update.

    Everything is precomputed from ``post`` (a :class:`lecture_utils.hmm.FishPosterior`); a
    move of the slider only sets the curves' data. Returns a VBox with ``.slider``,
    ``.readout``, ``.image``, ``.figure`` and ``.update(t)`` (1-based t).
    """
    frames = _filter_frames(post, x, lam, truth)
    T = len(frames.x)
    means = {k: getattr(post, k) @ post.grid for k in ("predicted", "filtered")}
    fig = Figure(figsize=(9.0, 5.4), layout="constrained")
    ax_top, ax = fig.subplots(2, 1, height_ratios=[1, 1.5])
    steps = np.arange(1, T + 1)
    ax_top.plot(steps, frames.x / frames.lam, ".", color=COLORS["data"], ms=5,
                label=r"count / $\lambda$")
    if frames.truth is not None:
        ax_top.plot(steps, frames.truth, color=COLORS["truth"], lw=1, label="true $z_t$")
    filt_line = ax_top.plot([], [], color=COLORS["filtered"], lw=2, label="filtered mean")[0]
    marker = ax_top.axvline(1, color=COLORS["filtered"], lw=1, alpha=0.6)
    ax_top.set(xlim=(0.5, T + 0.5), xlabel="time $t$", ylabel="population (fish)")
    ax_top.legend(loc="upper left", ncol=3, fontsize=8)
    artists = _draw_filter_step(ax, frames, 0)

    slider = widgets.IntSlider(value=1, min=1, max=T, step=1, description="time t",
                               continuous_update=True,
                               layout=widgets.Layout(width="600px"))
    slider.add_class("explorer-main-slider")
    readout = widgets.HTML()
    readout.add_class("explorer-readout")
    image = widgets.Image(format="png")
    image.add_class("explorer-figure")

    def update(t: int) -> None:
        i = int(t) - 1
        for key in ("predicted", "likelihood", "filtered"):
            artists[key].set_ydata(getattr(frames, key)[i])
        if "truth" in artists:
            artists["truth"].set_xdata([frames.truth[i]] * 2)
        filt_line.set_data(steps[: i + 1], means["filtered"][: i + 1])
        marker.set_xdata([t, t])
        truth_txt = "" if frames.truth is None else f" · truth {frames.truth[i]:.0f}"
        readout.value = (f"t = {t} · predicted mean {means['predicted'][i]:.0f} fish → "
                         f"count x<sub>t</sub> = {frames.x[i]} (x<sub>t</sub>/λ = "
                         f"{frames.x[i] / frames.lam:.0f}) → filtered mean "
                         f"{means['filtered'][i]:.0f}{truth_txt}")
        image.value = _fish_png(fig, dpi)

    slider.observe(lambda change: update(change["new"]), names="value")
    update(1)
    box = widgets.VBox([slider, readout, image])
    box.add_class("lecture-explorer")
    box.slider, box.readout, box.image, box.figure, box.update = slider, readout, image, fig, update
    return box


def _draw_sweep(ax, sweep, i: int, j: int, x, truth=None, legend: bool = True) -> dict:
    steps = np.arange(1, sweep.mean.shape[-1] + 1)
    lam = sweep.lams[j]
    artists = {
        "band": ax.fill_between(steps, sweep.lower[i, j], sweep.upper[i, j],
                                color=COLORS["smoothed"], alpha=0.25, lw=0,
                                label="smoothed 90% band"),
        "mean": ax.plot(steps, sweep.mean[i, j], color=COLORS["smoothed"], lw=2,
                        label="smoothed mean")[0],
        "data": ax.plot(steps, np.asarray(x) / lam, ".", color=COLORS["data"], ms=4,
                        label=r"count / $\lambda$")[0],
    }
    if truth is not None:
        artists["truth"] = ax.plot(steps, truth, color=COLORS["truth"], lw=1,
                                   label="true $z_t$")[0]
    top = max(sweep.upper.max(), (np.asarray(x) / sweep.lams.min()).max())
    bottom = min(sweep.lower.min(), (np.asarray(x) / sweep.lams.max()).min())
    ax.set(xlim=(0.5, steps[-1] + 0.5), ylim=(0.95 * bottom, 1.05 * top),
           xlabel="time $t$", ylabel="population (fish)")
    if legend:
        ax.legend(loc="upper left", ncol=2, fontsize=8)
    return artists


def fish_sweep_figure(sweep, x, truth=None, sigma_index=(0, -1), lam_index=(0, -1)) -> Figure:
    """Static small multiples of the sigma/lam explorer: rows sigma, columns lam."""
    si = [range(len(sweep.sigmas))[k] for k in sigma_index]
    lj = [range(len(sweep.lams))[k] for k in lam_index]
    fig = Figure(figsize=(3.3 * len(lj), 2.6 * len(si) + 0.5), layout="constrained")
    axes = np.array(fig.subplots(len(si), len(lj), sharex=True, sharey=True)).reshape(len(si),
                                                                                      len(lj))
    for r, i in enumerate(si):
        for c, j in enumerate(lj):
            ax = axes[r, c]
            _draw_sweep(ax, sweep, i, j, x, truth, legend=False)
            ax.set_title(f"σ = {sweep.sigmas[i]:.3g}, λ = {sweep.lams[j]:.3g}\n"
                         f"log-lik {sweep.log_likelihood[i, j]:.1f}", fontsize=9)
            if r < len(si) - 1:
                ax.set_xlabel("")
            if c:
                ax.set_ylabel("")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    return fig


def fish_parameter_explorer(sweep, x, truth=None, dpi: float = 80) -> widgets.VBox:
    """Sliders for sigma (main) and lam: how the smoothed posterior reacts.

    ``sweep`` is a :class:`lecture_utils.hmm.FishSweep` (equally spaced ``sigmas`` and
    ``lams``); a move of a slider only indexes it. Returns a VBox with ``.slider`` (sigma),
    ``.lam_slider``, ``.readout``, ``.image``, ``.figure`` and ``.update(i, j)`` (indices).
    """
    sig, lams = np.asarray(sweep.sigmas), np.asarray(sweep.lams)
    fig = Figure(figsize=(9.5, 3.8), layout="constrained")
    ax, ax_ll = fig.subplots(1, 2, width_ratios=[2.2, 1])
    i0, j0 = len(sig) // 2, len(lams) // 2
    artists = _draw_sweep(ax, sweep, i0, j0, x, truth)
    ll = sweep.log_likelihood
    mesh = ax_ll.imshow(ll - ll.max(), origin="lower", aspect="auto", cmap="viridis",
                        vmin=max(-30.0, (ll - ll.max()).min()), vmax=0,
                        extent=(lams[0] - _half(lams), lams[-1] + _half(lams),
                                sig[0] - _half(sig), sig[-1] + _half(sig)))
    fig.colorbar(mesh, ax=ax_ll, label="log-lik − max")
    cur = ax_ll.plot([lams[j0]], [sig[i0]], "o", mfc="none", mec="white", ms=10, mew=2)[0]
    best = np.unravel_index(np.argmax(ll), ll.shape)
    ax_ll.plot([lams[best[1]]], [sig[best[0]]], "*", color="white", ms=9, label="best")
    ax_ll.set(xlabel=r"$\lambda$", ylabel=r"$\sigma$ (fish)", title="log p(x | σ, λ)")
    ax_ll.grid(False)

    def _slider(values, description):
        step = float(values[1] - values[0]) if len(values) > 1 else 1.0
        s = widgets.FloatSlider(value=float(values[len(values) // 2]), min=float(values[0]),
                                max=float(values[-1]), step=step, description=description,
                                readout_format=".3g", continuous_update=True,
                                layout=widgets.Layout(width="450px"))
        return s

    slider, lam_slider = _slider(sig, "σ (fish)"), _slider(lams, "λ")
    slider.add_class("explorer-main-slider")
    readout = widgets.HTML()
    readout.add_class("explorer-readout")
    image = widgets.Image(format="png")
    image.add_class("explorer-figure")

    def update(i: int, j: int) -> None:
        verts = np.column_stack([np.r_[steps, steps[::-1]],
                                 np.r_[sweep.lower[i, j], sweep.upper[i, j][::-1]]])
        artists["band"].set_verts([verts])
        artists["mean"].set_ydata(sweep.mean[i, j])
        artists["data"].set_ydata(np.asarray(x) / lams[j])
        cur.set_data([lams[j]], [sig[i]])
        readout.value = (f"σ = {sig[i]:.3g} fish · λ = {lams[j]:.3g} · log-likelihood "
                         f"{ll[i, j]:.1f} (best on this grid: σ = {sig[best[0]]:.3g}, "
                         f"λ = {lams[best[1]]:.3g}, {ll.max():.1f})")
        image.value = _fish_png(fig, dpi)

    steps = np.arange(1, sweep.mean.shape[-1] + 1)

    def _index(values, v):
        return int(np.argmin(np.abs(values - v)))

    def on_change(_change) -> None:
        update(_index(sig, slider.value), _index(lams, lam_slider.value))

    slider.observe(on_change, names="value")
    lam_slider.observe(on_change, names="value")
    update(i0, j0)
    box = widgets.VBox([slider, lam_slider, readout, image])
    box.add_class("lecture-explorer")
    box.slider, box.lam_slider, box.readout, box.image = slider, lam_slider, readout, image
    box.figure, box.update = fig, update
    return box


def _half(values: np.ndarray) -> float:
    return float(values[1] - values[0]) / 2 if len(values) > 1 else 0.5


# ---------------------------------------------------------------------------------------------
# Election explorer (slides 7-8): lecture_utils.election simulations
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Bayesian recap explorers (slide 2): conjugate posteriors
# ---------------------------------------------------------------------------------------------

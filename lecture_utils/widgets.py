"""The ipywidgets explorers. Thin by design: every explorer takes results computed elsewhere
(an EM trace, a posterior, a set of simulations) and its callbacks only index them and redraw.
No explorer computes EM, a forward-backward pass or a simulation inside a slider callback.

Each explorer has a static counterpart in the notebook (a small-multiples figure), so the
notebook reads on GitHub, in nbval and without a kernel.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from lecture_utils import bayes, em_plots, mixture
from lecture_utils.bayes import BetaDist, NormalDist
from lecture_utils.election import ev_histogram, plot_ev_histogram, plot_published_forecasts
from lecture_utils.plotting import COLORS, describe


def _png(fig: Figure, dpi: float) -> bytes:
    """The figure as PNG bytes at ``dpi`` (no tight bbox: its size in pixels is figsize * dpi)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _figure_image(width_px: float) -> widgets.Image:
    """The explorer's figure: shown at its own pixel width (sharp, never stretched to the cell's
    width by the VBox), and scaled down with its aspect ratio kept when the cell is narrower."""
    image = widgets.Image(format="png", layout=widgets.Layout(
        width=f"{round(width_px)}px", max_width="100%", height="auto"))
    image.add_class("explorer-figure")
    return image


# ---------------------------------------------------------------------------------------------
# EM explorer (slides 12-13): lecture_utils.mixture traces
# ---------------------------------------------------------------------------------------------


def _em_init_params(mu0: float, mu1: float, sigma: float, pi: float):
    """MixtureParams for the start (mu_0, mu_1, sigma, pi = P(male)) of the heights model."""


    return mixture.MixtureParams(
        weights=np.array([1.0 - pi, pi]),
        means=np.array([mu0, mu1]),
        variances=np.array([sigma**2, sigma**2]),
    )


def _em_start_slider(description: str, value: float, lo: float, hi: float, step: float):
    """A start-value slider that reports only when released (so EM reruns once per change)."""

    return widgets.FloatSlider(
        value=float(np.clip(value, lo, hi)),
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": "90px"},
        layout=widgets.Layout(width="330px"),
    )


class EMExplorer:
    """The interactive EM of slide 13; build it with :func:`em_explorer`.

    State changes and what they cost:

    - the iteration slider / Play button, and the E/M half-step toggle: index the precomputed
      :class:`~lecture_utils.em_plots.EMFrames`, update the artists, render one PNG;
    - a start control (mu_0, mu_1, sigma, pi), on release: one ``mixture.run_em`` and one
      ``em_frames``, then one redraw.
    """

    def __init__(
        self,
        x,
        trace,
        *,
        max_iter: int = 300,
        tol: float = 1e-6,
        shared_variance: bool = True,
        dpi: float = 80,
    ) -> None:
        

        self.x = np.asarray(x, dtype=float)
        self.max_iter, self.tol, self.shared_variance, self.dpi = (
            max_iter,
            tol,
            shared_variance,
            dpi,
        )
        self.trace = trace
        self.frames = em_plots.em_frames(self.x, trace)
        self.figure = em_plots.EMFigure(self.frames)
        self.n_recomputes = 0
        self._hold = False
        T = self.frames.n_iter

        self.slider = widgets.IntSlider(
            value=0,
            min=0,
            max=T,
            step=1,
            description="iteration t",
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
        )
        self.slider.add_class("explorer-main-slider")
        self.play = widgets.Play(
            value=0, min=0, max=T, step=1, interval=400, description="play the iterations"
        )
        self.play_link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.half = widgets.ToggleButtons(
            options=[("after the E step", "E"), ("after the M step", "M")],
            value="E",
            tooltips=[
                "q(t) = p(z | x, θ(t)): the bound touches ℓ",
                "θ(t+1) = argmax L(q(t), θ): the bound's top",
            ],
            style={"button_width": "130px"},
        )
        self.readout = widgets.HTML()
        self.readout.add_class("explorer-readout")
        self.image = _figure_image(self.figure.figure.get_figwidth() * dpi)

        start = trace.params[0]
        lo, hi = float(np.floor(self.x.min())) - 5.0, float(np.ceil(self.x.max())) + 5.0
        self.controls = {
            "mu0": _em_start_slider("start μ₀ (in)", start.means[0], lo, hi, 0.5),
            "mu1": _em_start_slider("start μ₁ (in)", start.means[1], lo, hi, 0.5),
            "sigma": _em_start_slider("start σ (in)", np.sqrt(start.variances[0]), 0.5, 12.0, 0.1),
            "pi": _em_start_slider("start π (male)", start.weights[1], 0.02, 0.98, 0.01),
        }
        for control in self.controls.values():
            control.observe(self._restart, names="value")
        self.slider.observe(self._on_view_change, names="value")
        self.half.observe(self._on_view_change, names="value")

        controls = widgets.VBox(
            [
                widgets.HTML("<b>Start θ⁽⁰⁾</b> — EM is rerun once when you release a slider"),
                widgets.HBox([self.controls["mu0"], self.controls["mu1"]]),
                widgets.HBox([self.controls["sigma"], self.controls["pi"]]),
            ]
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.play, self.slider, self.half]),
                self.readout,
                self.image,
                controls,
            ]
        )
        self.widget.add_class("lecture-explorer")
        for name in ("slider", "readout", "image", "half", "play", "controls", "update"):
            setattr(self.widget, name, getattr(self, name))
        self.widget.explorer = self
        self.redraw()

    def update(self, t: int | None = None, half: str | None = None) -> None:
        """Show iteration ``t`` after the ``half`` ('E' or 'M') step, as the widgets would."""
        with self._holding():
            if t is not None:
                self.slider.value = int(t)
            if half is not None:
                self.half.value = half
        self.redraw()

    def redraw(self) -> None:
        """Index the precomputed frames, update the artists, render the PNG and the readout."""

        t, half = int(self.slider.value), self.half.value
        self.figure.show(t, half)
        self.image.value = self.figure.png(dpi=self.dpi)
        status = (
            "converged" if self.frames.converged else f"not converged after {self.frames.n_iter}"
        )
        self.readout.value = (
            f"<span style='font-size:0.95em'>{em_plots.describe_state(self.frames, t, half)}"
            f" · EM {status}</span>"
        )

    # -- callbacks --------------------------------------------------------------------------
    def _holding(self):
        explorer = self

        class _Hold:
            def __enter__(self):
                explorer._hold = True

            def __exit__(self, *exc):
                explorer._hold = False

        return _Hold()

    def _on_view_change(self, change) -> None:
        if not self._hold:
            self.redraw()

    def _restart(self, change) -> None:
        """A start value changed: run EM once from the new start, precompute, redraw once."""

        c = {name: control.value for name, control in self.controls.items()}
        init = _em_init_params(c["mu0"], c["mu1"], c["sigma"], c["pi"])
        self.trace = mixture.run_em(
            self.x, init, max_iter=self.max_iter, tol=self.tol, shared_variance=self.shared_variance
        )
        self.n_recomputes += 1
        self.frames = em_plots.em_frames(self.x, self.trace, shared_variance=self.shared_variance)
        self.figure.set_frames(self.frames)
        T = self.frames.n_iter
        with self._holding():
            self.slider.value = 0
            self.play.value = 0
            self.slider.max = T
            self.play.max = T
        self.redraw()


def em_explorer(
    x,
    trace,
    *,
    max_iter: int = 300,
    tol: float = 1e-6,
    shared_variance: bool = True,
    dpi: float = 80,
):
    """The interactive EM on the heights (slide 13): a slider over the iterations of ``trace``.

    Parameters
    ----------
    x : array_like, shape (n,)
        The heights (inches) the trace was run on.
    trace : EMTrace
        From :func:`lecture_utils.mixture.run_em` with K = 2; ``trace.params[0]`` is the start
        the start controls show.
    max_iter, tol, shared_variance :
        Passed to ``run_em`` when a start control changes.
    dpi : float
        Resolution of the rendered figure.

    Returns
    -------
    ipywidgets.VBox
        With class ``lecture-explorer`` and the attributes ``slider`` (iteration), ``half``
        (E/M toggle), ``play``, ``readout``, ``image``, ``controls`` (dict of the start sliders),
        ``update(t, half)`` and ``explorer`` (the :class:`EMExplorer`).
    """
    return EMExplorer(
        x, trace, max_iter=max_iter, tol=tol, shared_variance=shared_variance, dpi=dpi
    ).widget


# ---------------------------------------------------------------------------------------------
# Fish HMM explorers (slide 6): lecture_utils.hmm posteriors
# ---------------------------------------------------------------------------------------------


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
    return describe(fig, (
        f"{len(times)} panels, the fish filter at times t = {', '.join(map(str, times))}: in "
        f"each, the distribution of the fish population z_t before the count (predict) and "
        f"after it (update), with the count scaled up by λ; legend: {', '.join(labels)}."))


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
    image = _figure_image(fig.get_figwidth() * dpi)

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
        image.value = _png(fig, dpi)

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
    panels = "; ".join(f"σ = {sweep.sigmas[i]:.3g}, λ = {sweep.lams[j]:.3g}: log-likelihood "
                       f"{sweep.log_likelihood[i, j]:.1f}" for i in si for j in lj)
    return describe(fig, (
        f"{len(si)} by {len(lj)} panels of the smoothed fish population over time, one per "
        f"setting of the random-walk step σ (rows) and the counting fraction λ (columns) "
        f"({panels}); legend: {', '.join(labels)}."))


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
    image = _figure_image(fig.get_figwidth() * dpi)

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
        image.value = _png(fig, dpi)

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


def election_explorer(national_sds, sims, *, published: dict[str, float] | None = None,
                      actual_clinton_ev: int | None = None, bin_width: int = 10,
                      dpi: float = 80):
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
    dpi : float
        Resolution of the figure; the image is shown at its own pixel size, 10 in * dpi wide.

    Returns
    -------
    ipywidgets.VBox with ``.slider`` (FloatSlider), ``.readout`` (HTML), ``.image`` (Image) and
    ``.update(i)``, which shows grid point ``i``. Every histogram is computed here, once; a
    slider move only swaps artists' data and re-renders the PNG.
    """
    sds = np.asarray(national_sds, dtype=float)
    if sds.ndim != 1 or sds.size < 2 or not np.all(np.diff(sds) > 0):
        raise ValueError("national_sds must be an increasing sequence of at least 2 SDs")
    if len(sims) != sds.size:
        raise ValueError(f"sims must hold one ElectionSims per SD: {len(sims)} != {sds.size}")
    total, threshold = sims[0].total_ev, sims[0].win_threshold
    p_win = np.array([s.p_clinton_win for s in sims])
    hists = [ev_histogram(s.clinton_ev, total, bin_width) for s in sims]
    edges = hists[0][0]
    fractions = np.array([h[1] for h in hists])
    clinton_side = edges[:-1] >= threshold
    surprise = (None if actual_clinton_ev is None else
                np.array([s.p_clinton_ev_at_most(actual_clinton_ev) for s in sims]))

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

    image = _figure_image(fig.get_figwidth() * dpi)
    readout = widgets.HTML()
    readout.add_class("explorer-readout")
    step = float(sds[1] - sds[0])
    slider = widgets.FloatSlider(value=float(sds[0]), min=float(sds[0]), max=float(sds[-1]),
                                 step=step, description="national SD σ_δ", readout_format=".2f",
                                 continuous_update=True, style={"description_width": "initial"},
                                 layout=widgets.Layout(width="60%"))
    slider.add_class("explorer-main-slider")

    def update(i: int) -> None:
        i = int(np.clip(i, 0, sds.size - 1))
        trump_bars.set_data(np.where(clinton_side, 0, fractions[i]), edges)
        clinton_bars.set_data(np.where(clinton_side, fractions[i], 0), edges)
        marker.set_data([sds[i]], [p_win[i]])
        ax_hist.set_ylim(0, min(1.0, 1.15 * fractions[i].max()))
        title.set_text(rf"shared national error $\sigma_\delta$ = {sds[i]:.2f} points")
        text = (f"national SD σ_δ = {sds[i]:.2f} points · P(Clinton ≥ {threshold}) = "
                f"{p_win[i]:.3f}")
        if surprise is not None:
            text += f" · P(Clinton ≤ {actual_clinton_ev} EV) = {surprise[i]:.4f}"
        readout.value = text
        image.value = _png(fig, dpi)

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


def _recap_explorer(*, data, family: str, hyper: dict, n: int, grid, xlabel: str,
                    what: str, describe_data, dpi: float = 80):
    """The shared body of the two conjugate explorers.

    ``hyper`` maps a prior parameter's name to ``(value, min, max, step, description)``;
    ``family`` is ``"beta"`` or ``"normal"``; ``describe_data(n)`` is the readout's data part.
    Precomputed once: the data and the grid. A slider move recomputes only the closed-form
    posteriors (one vectorised cumulative sum over the data) and the curves on the grid.
    """


    grid = np.asarray(grid, dtype=float)
    n_max = data.size
    if not 1 <= n <= n_max:
        raise ValueError(f"n must be between 1 and len(data) = {n_max}, got {n}")

    def prior_of(values):
        if family == "beta":
            return bayes.BetaDist(values["a"], values["b"])
        return bayes.NormalDist(values["m0"], values["s0"])

    def path_of(prior):
        if family == "beta":
            return bayes.beta_bernoulli_path(prior, data)
        return bayes.normal_normal_path(prior, data, describe_data.sigma)

    def posterior_at(path, i):
        p, q = path.params[i]
        return bayes.BetaDist(p, q) if family == "beta" else bayes.NormalDist(p, q)

    fig = Figure(figsize=(10, 3.6), layout="none")  # fixed margins: redraws never move the axes
    ax_post, ax_path = fig.subplots(1, 2, width_ratios=[1.15, 1])
    fig.subplots_adjust(left=0.035, right=0.985, bottom=0.15, top=0.9, wspace=0.17)
    (prior_line,) = ax_post.plot(grid, np.zeros_like(grid), "--", color="0.5",
                                 label="prior")
    (post_line,) = ax_post.plot(grid, np.zeros_like(grid), color=COLORS["bound"], lw=2,
                                label="posterior")
    styles = {"MAP": (COLORS["Female"], "-"), "LMSE": (COLORS["Male"], "--"),
              "MLE": (COLORS["truth"], ":")}
    vlines = {k: ax_post.axvline(grid[0], color=c, ls=ls, lw=1.6, label=k)
              for k, (c, ls) in styles.items()}
    ax_post.set_xlim(grid[0], grid[-1])
    ax_post.set_xlabel(xlabel)
    ax_post.set_ylabel("density")
    ax_post.set_yticks([])
    ax_post.legend(loc="upper left", fontsize=8)
    title = ax_post.set_title("")

    ns = np.arange(1, n_max + 1)
    path_lines = {k: ax_path.plot(ns, np.zeros(n_max), color=c, ls=ls, lw=1.6,
                                  label=k)[0] for k, (c, ls) in styles.items()}
    band = [ax_path.plot(ns, np.zeros(n_max), color=COLORS["bound"], lw=0.8,
                         alpha=0.7, label="95% credible interval" if j == 0 else None)[0]
            for j in range(2)]
    n_marker = ax_path.axvline(n, color="0.3", lw=1)
    ax_path.set_xscale("log")
    ax_path.set_xlim(1, n_max)
    ax_path.set_xlabel("n (thin lines: 95% credible interval)")
    ax_path.set_ylabel(what)
    ax_path.set_title("MAP, LMSE and MLE as n grows")

    image = _figure_image(fig.get_figwidth() * dpi)
    readout = widgets.HTML()
    readout.add_class("explorer-readout")
    slider = widgets.IntSlider(value=n, min=1, max=n_max, description="n",
                               continuous_update=True, layout=widgets.Layout(width="60%"))
    slider.add_class("explorer-main-slider")
    prior_sliders = {
        name: widgets.FloatSlider(value=v, min=lo, max=hi, step=step, description=desc,
                                  continuous_update=True, readout_format=".1f",
                                  style={"description_width": "initial"})
        for name, (v, lo, hi, step, desc) in hyper.items()
    }
    state = {"path": None, "prior": None}

    def set_prior(**values) -> None:
        merged = {k: s.value for k, s in prior_sliders.items()} | values
        state["prior"] = prior_of(merged)
        path = state["path"] = path_of(state["prior"])
        for k, attr in (("MAP", "map"), ("LMSE", "lmse"), ("MLE", "mle")):
            path_lines[k].set_ydata(getattr(path, attr))
        band[0].set_ydata(path.lower)
        band[1].set_ydata(path.upper)
        lo = min(path.lower.min(), path.mle.min())
        hi = max(path.upper.max(), path.mle.max())
        pad = 0.05 * (hi - lo)
        ax_path.set_ylim(lo - pad, hi + pad)
        prior_line.set_ydata(state["prior"].pdf(grid))

    def update(i: int | None = None, **prior_values) -> None:
        """Show the posterior after the first ``i`` data points (keyword arguments set the
        prior's parameters, e.g. ``update(50, a=3.0)``)."""
        if prior_values:
            unknown = set(prior_values) - set(prior_sliders)
            if unknown:
                raise ValueError(f"prior parameters must be among {sorted(prior_sliders)}, "
                                 f"got {sorted(unknown)}")
            set_prior(**prior_values)
        i = int(np.clip(slider.value if i is None else i, 1, n_max))
        path, prior = state["path"], state["prior"]
        post = posterior_at(path, i - 1)
        density = post.pdf(grid)
        post_line.set_ydata(density)
        estimates = {"MAP": path.map[i - 1], "LMSE": path.lmse[i - 1], "MLE": path.mle[i - 1]}
        for k, v in estimates.items():
            vlines[k].set_xdata([v, v])
        ax_post.set_ylim(0, 1.1 * max(density.max(), prior.pdf(grid).max()))
        n_marker.set_xdata([i, i])
        if family == "beta":
            name = f"Beta({post.a:.1f}, {post.b:.1f})"
        else:
            name = f"N({post.mean:.2f}, {post.sd:.2f}²)"
        title.set_text(f"posterior after n = {i}: {name}")
        readout.value = (f"n = {i} · {describe_data(i)} · posterior {name} · "
                         f"MAP {estimates['MAP']:.3f} · LMSE {estimates['LMSE']:.3f} · "
                         f"MLE {estimates['MLE']:.3f}")
        image.value = _png(fig, dpi)

    def on_n(change) -> None:
        update(change["new"])

    def on_prior(change) -> None:
        set_prior()
        update()

    slider.observe(on_n, names="value")
    for s in prior_sliders.values():
        s.observe(on_prior, names="value")
    set_prior()
    update(n)
    box = widgets.VBox([slider, widgets.HBox(list(prior_sliders.values())), readout, image])
    box.add_class("lecture-explorer")
    box.slider, box.readout, box.image, box.update, box.figure = slider, readout, image, update, fig
    box.prior_sliders = prior_sliders
    return box


def beta_bernoulli_explorer(z, *, a: float = 2.0, b: float = 2.0, n: int = 20,
                            what: str = "π = P(male)", ones: str = "ones"):
    """Slide 2: the Beta posterior of a probability π after the first ``n`` 0/1 outcomes ``z``.

    Sliders: ``n`` (the main one) and the prior's ``a`` and ``b``. ``ones`` names the 1s in
    the readout (e.g. ``"men"``). Left, prior and posterior
    densities with MAP, LMSE (posterior mean) and MLE; right, the three estimates and the 95%
    credible interval for every n, with the current n marked.

    Returns
    -------
    ipywidgets.VBox with ``.slider`` (IntSlider n), ``.prior_sliders`` (dict), ``.readout``
    (HTML), ``.image`` (Image), ``.figure`` and ``.update(n, a=..., b=...)``.
    """

    z = bayes._data(z, "z", binary=True, allow_empty=False)
    BetaDist(a, b)  # validates a and b
    counts = np.cumsum(z).astype(int)

    def describe(i: int) -> str:
        return f"{counts[i - 1]} {ones} ({counts[i - 1] / i:.1%})"

    return _recap_explorer(data=z, family="beta", n=n, grid=np.linspace(0, 1, 401),
                           xlabel=what, what=what, describe_data=describe,
                           hyper={"a": (float(a), 0.5, 50.0, 0.5, "prior a"),
                                  "b": (float(b), 0.5, 50.0, 0.5, "prior b")})


def normal_normal_explorer(x, sigma: float, *, m0: float = 66.0, s0: float = 4.0, n: int = 10,
                           grid=None, what: str = "mean height μ (inches)"):
    """Slide 2: the normal posterior of a mean μ after the first ``n`` observations ``x``,
    each N(μ, σ²) with ``sigma`` known. Sliders: ``n`` (main), prior mean ``m0`` and prior
    SD ``s0``. Same layout and attributes as :func:`beta_bernoulli_explorer`."""

    x = bayes._data(x, "x", allow_empty=False)
    sigma = bayes._positive(sigma, "sigma")
    NormalDist(m0, s0)  # validates m0 and s0
    grid = np.linspace(x.min() - 2, x.max() + 2, 601) if grid is None else grid
    means = np.cumsum(x) / np.arange(1, x.size + 1)

    def describe(i: int) -> str:
        return f"sample mean {means[i - 1]:.2f}"

    describe.sigma = sigma
    lo, hi = float(np.min(grid)), float(np.max(grid))
    return _recap_explorer(data=x, family="normal", n=n, grid=grid, xlabel=what, what=what,
                           describe_data=describe,
                           hyper={"m0": (float(m0), lo, hi, 0.5, "prior mean m₀"),
                                  "s0": (float(s0), 0.5, 15.0, 0.5, "prior SD s₀")})

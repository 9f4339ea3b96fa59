"""The explorers of the lecture notebooks, each an :class:`lecture_utils.explorer.Explorer`.

Thin by design: every explorer takes results computed elsewhere (an EM trace, a posterior, a
set of simulations: the model modules, which import no matplotlib), draws each state once with
the topic's pictures (``em_plots``, ``hmm_plots``, ...) and hands the frames to the browser.
No widget computes model maths, and no main control needs the kernel: the sliders, toggles and
Play buttons are jslinked to Stacks of pre-rendered frames.

Each explorer has a static counterpart (``static_figure()``, a small-multiples figure with alt
text), so the notebook reads on GitHub, in nbval and without a kernel.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from lecture_utils import bayes, em_plots, hmm, hmm_plots, mixture
from lecture_utils._validate import is_int
from lecture_utils.bayes import BetaDist, NormalDist
from lecture_utils.election import ev_histogram, plot_ev_histogram, plot_published_forecasts
from lecture_utils.explorer import (
    DPI,
    PIXEL_RATIO,
    Explorer,
    Frame,
    encode_frame,
    frame_of,
    kernel_note,
    needs_kernel,
    selection_slider,
)
from lecture_utils.plotting import COLORS, describe

# ---------------------------------------------------------------------------------------------
# EM explorer (slides 12-13): lecture_utils.mixture traces
# ---------------------------------------------------------------------------------------------


def _em_init_params(mu0: float, mu1: float, sigma2: float, pi: float):
    """MixtureParams for the start θ = (mu_0, mu_1, sigma^2, pi = P(male)) of the heights
    model."""
    return mixture.MixtureParams(
        weights=np.array([1.0 - pi, pi]),
        means=np.array([mu0, mu1]),
        variances=np.array([sigma2, sigma2]),
    )


def _em_start_slider(description: str, value: float, lo: float, hi: float, step: float):
    """A start-value slider that reports only when released (so EM reruns once per change)."""
    slider = widgets.FloatSlider(
        value=float(np.clip(value, lo, hi)),
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": "90px"},
        layout=widgets.Layout(width="330px"),
    )
    slider.tooltip = f"{description}: EM reruns from here when you release the slider"
    return needs_kernel(slider)


def _em_alt(frames: em_plots.EMFrames, t: int, half: str) -> str:
    """What frame (t, half) of the EM explorer shows, in words."""
    i, _ = frames.state(t, half)
    p = frames.params[i]
    step = "E step" if half == "E" else "M step"
    return (
        f"EM on {frames.x.size} heights, iteration {t + 1} of {frames.n_iter + 1} after the {step}: "
        f"component densities with means {p.means[0]:.1f} and {p.means[1]:.1f} inches over "
        f"the histogram, every person coloured by q(male); the path of the two means; the "
        f"log-likelihood {frames.log_likelihoods[i]:.1f} marked on its climb; the lower "
        f"bound touching the log-likelihood along mu_1."
    )


def _em_iterations(T: int, every_up_to: int = 11, later: int = 8) -> list[int]:
    """The iterations the explorer shows: every one up to ``every_up_to``, then about ``later``
    more, evenly spaced, ending at the last (T). EM moves fast early and slowly late."""
    first = list(range(min(T, every_up_to) + 1))
    if T <= every_up_to:
        return first
    rest = np.unique(np.linspace(every_up_to, T, later + 1).round().astype(int))
    return sorted(set(first) | {int(t) for t in rest})


class EMExplorer(Explorer):
    """The interactive EM of slide 13; build it with :func:`em_explorer`.

    The iterations of the trace (every one up to 11, i.e. θ⁽¹⁾..θ⁽¹²⁾ on the slide, then eight
    more up to the last) are
    pre-rendered after the E step and after the M step, so the iteration slider, Play and the
    E/M toggle run in the browser (no kernel). A start control (mu_0, mu_1, sigma^2, pi) needs
    Python: on release it reruns EM with the settings the trace was fitted with
    (``trace.shared_variance``, ``trace.tol``, ``trace.max_iter``, ``trace.variance_floor``)
    and renders the new frames into the figure one by one, with a progress bar; the frames
    already rendered can be looked at while the rest arrive.
    """

    def __init__(self, x, trace, *, dpi: float = DPI) -> None:
        self.x = np.asarray(x, dtype=float)
        self.dpi = dpi
        self.n_recomputes = 0
        self.trace = trace
        self.iterations = _em_iterations(trace.n_iter)
        self.em_frames = em_plots.em_frames(self.x, trace, slices_at=self.iterations)
        self.em_figure = em_plots.EMFigure(self.em_frames)
        self.slider = selection_slider(
            self.iterations,
            [str(t + 1) for t in self.iterations],
            0,
            "iteration t",
            width="420px",
            tooltip="EM iteration t",
        )
        self.slider.add_class("explorer-main-slider")
        self.play = widgets.Play(
            value=0,
            min=0,
            max=len(self.iterations) - 1,
            step=1,
            interval=400,
            description="play the iterations",
        )
        self.play.tooltip = "play the EM iterations"
        self.play_link = widgets.jslink((self.play, "value"), (self.slider, "index"))
        self.half = widgets.ToggleButtons(
            options=[("after the E step", "E"), ("after the M step", "M")],
            value="E",
            tooltips=[
                "q(t) = p(z | x, θ(t)): the bound touches ℓ",
                "θ(t+1) = argmax L(q(t), θ): the bound's top",
            ],
            style={"button_width": "130px"},
        )
        self.half.tooltip = "show the state after the E step or after the M step"
        start = trace.params[0]
        lo, hi = float(np.floor(self.x.min())) - 5.0, float(np.ceil(self.x.max())) + 5.0
        self.start_controls = {
            "mu0": _em_start_slider("start μ₀ (in)", start.means[0], lo, hi, 0.5),
            "mu1": _em_start_slider("start μ₁ (in)", start.means[1], lo, hi, 0.5),
            "sigma2": _em_start_slider("start σ² (in²)", start.variances[0], 0.25, 144.0, 0.25),
            "pi": _em_start_slider("start π (male)", start.weights[1], 0.02, 0.98, 0.01),
        }
        shared = bool(getattr(trace, "shared_variance", True))
        if not shared:
            # a start slider gives one sigma^2: it cannot restart a per-component-variance trace
            # without changing the model, so those controls stay off (and say so)
            for control in self.start_controls.values():
                control.disabled = True
        self.progress = widgets.IntProgress(
            value=0,
            min=0,
            max=1,
            description="rendering",
            layout=widgets.Layout(visibility="hidden"),
        )
        self.progress.tooltip = "frames of the new EM run rendered so far"
        self.note = kernel_note()
        for control in self.start_controls.values():
            control.observe(self._restart, names="value")
        title = (
            "<b>Start θ⁽¹⁾</b> — EM is rerun once when you release a slider"
            if shared
            else "<b>Start θ⁽¹⁾</b> — off: this trace has one variance per component"
        )
        c = self.start_controls
        start_box = widgets.VBox(
            [
                widgets.HTML(title),
                widgets.HBox([c["mu0"], c["mu1"]]),
                widgets.HBox([c["sigma2"], c["pi"]]),
                self.progress,
                self.note,
            ]
        )

        def layout(figure):
            return [widgets.HBox([self.play, self.slider, self.half]), figure, start_box]

        super().__init__(
            self._all_frames(),
            [(self.half, "index"), (self.slider, "index")],
            {"t": self.slider, "half": self.half, "play": self.play, **self.start_controls},
            static_figure=self._small_multiples,
            layout=layout,
            setters={"t": self._set_t, "half": self._set_half},
        )

    # -- frames -----------------------------------------------------------------------------
    def _frame_text(self, half: str, t: int) -> tuple[str, str]:
        """(alt text, readout) of the frame after the ``half`` step of iteration ``t``."""
        f = self.em_frames
        status = "converged" if f.converged else f"not converged after {f.n_iter}"
        readout = (
            f"<span style='font-size:0.95em'>{em_plots.describe_state(f, t, half)}"
            f" · EM {status}</span>"
        )
        return _em_alt(f, t, half), readout

    def _frames(self, states):
        """Yield ``(i, Frame)`` for each ``(half, t)`` of ``states``, in order.

        The figure is drawn here, one state at a time (matplotlib is not thread-safe); each
        frame's quantising and WebP encoding, which release the GIL, run in a worker thread
        meanwhile, so a rebuild costs about the drawing alone (docs/explorers.md)."""
        from concurrent.futures import ThreadPoolExecutor

        width = round(self.em_figure.figure.get_figwidth() * self.dpi)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="em-frames") as pool:
            pending = []
            for i, (half, t) in enumerate(states):
                self.em_figure.show(t, half)
                rgba = self.em_figure.render(dpi=self.dpi * PIXEL_RATIO).copy()
                pending.append((i, half, t, pool.submit(encode_frame, rgba, 256)))
                while pending and pending[0][3].done():
                    yield self._finish(*pending.pop(0), width)
            while pending:
                yield self._finish(*pending.pop(0), width)

    def _finish(self, i, half, t, future, width):
        return i, Frame(future.result(), *self._frame_text(half, t), width)

    def _order(self):
        """(half index, slider index) of every frame, the start first."""
        return [(h, k) for k in range(len(self.iterations)) for h in range(2)]

    def _states(self):
        return [(em_plots.HALF_STEPS[h], self.iterations[k]) for h, k in self._order()]

    def _all_frames(self) -> list[list[Frame]]:
        grid = [[None] * len(self.iterations) for _ in em_plots.HALF_STEPS]
        order = self._order()
        for i, frame in self._frames(self._states()):
            h, k = order[i]
            grid[h][k] = frame
        return grid

    def _small_multiples(self):
        fig = em_plots.plot_em_small_multiples(self.em_frames)
        return describe(
            fig,
            f"Small multiples of EM on {self.x.size} heights: the two "
            "weighted component densities over the histogram at several "
            "iterations, people coloured by q(male).",
        )

    # -- controls ---------------------------------------------------------------------------
    def _set_t(self, t: int) -> None:
        if int(t) not in self.iterations:
            raise ValueError(f"t must be one of the iterations shown, {self.iterations}; got {t}")
        self.slider.index = self.iterations.index(int(t))

    def _set_half(self, half: str) -> None:
        if half not in em_plots.HALF_STEPS:
            raise ValueError(f"half must be 'E' or 'M', got {half!r}")
        self.half.value = half

    @property
    def t(self) -> int:
        """The iteration shown now."""
        return self.iterations[int(self.slider.index)]

    def update(self, t: int | None = None, half: str | None = None, **state) -> None:
        """Show iteration ``t`` after the ``half`` ('E' or 'M') step, as the widgets would."""
        if t is not None:
            state["t"] = int(t)
        if half is not None:
            state["half"] = half
        super().update(**state)

    def _restart(self, change) -> None:
        """A start value changed: run EM once from the new start (with the settings the trace
        was fitted with), then render its frames into the figure, the start first, with a
        progress bar (the frames already rendered can be looked at meanwhile)."""
        c = {name: control.value for name, control in self.start_controls.items()}
        init = _em_init_params(c["mu0"], c["mu1"], c["sigma2"], c["pi"])
        old = self.trace
        self.trace = mixture.run_em(
            self.x,
            init,
            max_iter=old.max_iter,
            tol=old.tol,
            shared_variance=old.shared_variance,
            variance_floor=old.variance_floor,
        )
        self.n_recomputes += 1
        self.iterations = _em_iterations(self.trace.n_iter)
        self.em_frames = em_plots.em_frames(self.x, self.trace, slices_at=self.iterations)
        self.em_figure.set_frames(self.em_frames)
        n = len(self.iterations)
        self.play.value = 0
        self.slider.options = [
            (str(t + 1), k) for k, t in enumerate(self.iterations)
        ]  # slide 12: θ⁽¹⁾ is the start
        self.slider.index = 0
        self.play.max = n - 1
        waiting = (
            "<div class='explorer-readout'>rendering iteration {t} (see the progress "
            "bar below)…</div>"
        )
        self.set_frames([[waiting.format(t=t + 1) for t in self.iterations] for _ in range(2)])
        self.progress.max, self.progress.value = 2 * n, 0
        self.progress.layout.visibility = "visible"
        order = self._order()
        try:
            for i, frame in self._frames(self._states()):
                h, k = order[i]
                self.frames[h][k] = frame
                self.figure.children[h].children[k].value = frame.html()
                self.progress.value += 1
        finally:
            self.progress.layout.visibility = "hidden"


def em_explorer(x, trace, *, dpi: float = DPI, **ignored):
    """The interactive EM on the heights (slide 13): a slider over the iterations of ``trace``.

    Parameters
    ----------
    x : array_like, shape (n,)
        The heights (inches) the trace was run on.
    trace : EMTrace
        From :func:`lecture_utils.mixture.run_em` with K = 2; ``trace.params[0]`` is the start
        the start controls show. A change of start reruns EM with the trace's own settings
        (``shared_variance``, ``tol``, ``max_iter``, ``variance_floor``).
    dpi : float
        CSS pixels per inch of the figure (frames are rendered at twice that, for 2x displays).

    Returns
    -------
    EMExplorer
        An :class:`~lecture_utils.explorer.Explorer`: ``slider`` (iteration), ``half`` (E/M
        toggle), ``play``, ``start_controls``, ``readout``, ``figure``, ``update(t, half)``,
        ``static_figure()``; ``widget`` is the box the notebook shows.
    """
    if ignored:
        raise TypeError(
            f"em_explorer() no longer takes {sorted(ignored)}: a start change "
            "reruns EM with the settings stored in the trace"
        )
    return EMExplorer(x, trace, dpi=dpi)


# ---------------------------------------------------------------------------------------------
# Fish HMM explorers (slide 6): lecture_utils.hmm posteriors
# ---------------------------------------------------------------------------------------------


def fish_filter_explorer(post, x, lam: float, truth=None, dpi: float = DPI) -> Explorer:
    """Slider over t: the belief about the population goes through predict -> update.

    Every time step is pre-rendered from ``post`` (a :class:`lecture_utils.hmm.FishPosterior`)
    and :func:`lecture_utils.hmm.filter_steps`; the slider picks a frame in the browser.
    Returns an :class:`~lecture_utils.explorer.Explorer` with ``.slider``, ``.readout``,
    ``.figure``, ``.update(t)`` (1-based t) and ``.static_figure()``.
    """
    steps = hmm.filter_steps(post, x, lam, truth)
    T = len(steps.x)
    fig = Figure(figsize=(8.6, 5.0), layout="constrained")
    ax_top, ax = fig.subplots(2, 1, height_ratios=[1, 1.5])
    times = np.arange(1, T + 1)
    ax_top.plot(
        times, steps.x / steps.lam, ".", color=COLORS["data"], ms=5, label=r"count / $\lambda$"
    )
    if steps.truth is not None:
        ax_top.plot(times, steps.truth, color=COLORS["truth"], lw=1, label="true $z_t$")
    filt_line = ax_top.plot([], [], color=COLORS["filtered"], lw=2, label="filtered mean")[0]
    marker = ax_top.axvline(1, color=COLORS["filtered"], lw=1, alpha=0.6)
    ax_top.set(xlim=(0.5, T + 0.5), xlabel="time $t$", ylabel="population (fish)")
    ax_top.legend(loc="upper left", ncol=3, fontsize=8)
    artists = hmm_plots.draw_filter_step(ax, steps, 0)

    frames = []
    for i in range(T):
        for key in ("predicted", "likelihood", "filtered"):
            artists[key].set_ydata(getattr(steps, key)[i])
        if "truth" in artists:
            artists["truth"].set_xdata([steps.truth[i]] * 2)
        filt_line.set_data(times[: i + 1], steps.filtered_mean[: i + 1])
        marker.set_xdata([i + 1, i + 1])
        truth_txt = "" if steps.truth is None else f" · truth {steps.truth[i]:.0f}"
        readout = (
            f"t = {i + 1} · predicted mean {steps.predicted_mean[i]:.0f} fish → "
            f"count x<sub>t</sub> = {steps.x[i]} (x<sub>t</sub>/λ = "
            f"{steps.x[i] / steps.lam:.0f}) → filtered mean "
            f"{steps.filtered_mean[i]:.0f}{truth_txt}"
        )
        alt = (
            f"Fish filter at time {i + 1} of {T}: the belief about the population moves "
            f"from a predicted mean of {steps.predicted_mean[i]:.0f} fish, through the "
            f"count {steps.x[i]}, to a filtered mean of {steps.filtered_mean[i]:.0f} fish"
            + ("" if steps.truth is None else f" (true population {steps.truth[i]:.0f})")
            + "; above, the filtered mean so far over the counts divided by lambda."
        )
        frames.append(frame_of(fig, alt, readout, dpi, colors=32, freeze_layout=True))

    slider = selection_slider(
        times,
        [str(t) for t in times],
        0,
        "time t",
        width="600px",
        tooltip="time step t of the filter",
    )
    slider.add_class("explorer-main-slider")
    explorer = Explorer(
        frames,
        [(slider, "index")],
        {"t": slider},
        static_figure=lambda: hmm_plots.fish_filter_figure(post, x, lam, truth),
        setters={"t": lambda t: setattr(slider, "index", int(t) - 1)},
    )
    explorer.slider = slider
    return explorer


def fish_parameter_explorer(sweep, x, truth=None, dpi: float = DPI) -> Explorer:
    """Sliders for sigma (main) and lam: how the smoothed posterior reacts.

    ``sweep`` is a :class:`lecture_utils.hmm.FishSweep`; every (sigma, lam) of it is
    pre-rendered, and the two sliders pick a frame in the browser (a Stack over sigma of Stacks
    over lam). Returns an :class:`~lecture_utils.explorer.Explorer` with ``.slider`` (sigma),
    ``.lam_slider``, ``.readout``, ``.figure``, ``.update(sigma=i, lam=j)`` (indices) and
    ``.static_figure()``.
    """
    sig, lams = np.asarray(sweep.sigmas), np.asarray(sweep.lams)
    fig = Figure(figsize=(9.5, 3.8), layout="constrained")
    ax, ax_ll = fig.subplots(1, 2, width_ratios=[2.2, 1])
    i0, j0 = len(sig) // 2, len(lams) // 2
    artists = hmm_plots.draw_sweep(ax, sweep, i0, j0, x, truth)
    ll = sweep.log_likelihood
    half_l, half_s = hmm_plots._half(lams), hmm_plots._half(sig)
    mesh = ax_ll.imshow(
        ll - ll.max(),
        origin="lower",
        aspect="auto",
        cmap="viridis",
        vmin=max(-30.0, (ll - ll.max()).min()),
        vmax=0,
        extent=(lams[0] - half_l, lams[-1] + half_l, sig[0] - half_s, sig[-1] + half_s),
    )
    fig.colorbar(mesh, ax=ax_ll, label="log-lik − max")
    cur = ax_ll.plot([lams[j0]], [sig[i0]], "o", mfc="none", mec="white", ms=10, mew=2)[0]
    best = np.unravel_index(np.argmax(ll), ll.shape)
    ax_ll.plot([lams[best[1]]], [sig[best[0]]], "*", color="white", ms=9, label="best")
    ax_ll.set(xlabel=r"$\lambda$", ylabel=r"$\sigma$ (fish)", title="log p(x | σ, λ)")
    ax_ll.grid(False)
    steps = np.arange(1, sweep.mean.shape[-1] + 1)
    counts = np.asarray(x)

    frames = []
    for i in range(len(sig)):
        row = []
        for j in range(len(lams)):
            verts = np.column_stack(
                [np.r_[steps, steps[::-1]], np.r_[sweep.lower[i, j], sweep.upper[i, j][::-1]]]
            )
            artists["band"].set_verts([verts])
            artists["mean"].set_ydata(sweep.mean[i, j])
            artists["data"].set_ydata(counts / lams[j])
            cur.set_data([lams[j]], [sig[i]])
            readout = (
                f"σ = {sig[i]:.3g} fish · λ = {lams[j]:.3g} · log-likelihood "
                f"{ll[i, j]:.1f} (best on this grid: σ = {sig[best[0]]:.3g}, "
                f"λ = {lams[best[1]]:.3g}, {ll.max():.1f})"
            )
            alt = (
                f"Smoothed fish population with sigma {sig[i]:.3g} and lambda "
                f"{lams[j]:.3g}: posterior mean and 90% band over time, counts divided by "
                f"lambda; right, the log-likelihood over the grid of sigma and lambda with "
                f"this pair circled (log-likelihood {ll[i, j]:.1f}, best "
                f"{ll.max():.1f})."
            )
            row.append(frame_of(fig, alt, readout, dpi, colors=32, freeze_layout=True))
        frames.append(row)

    slider = selection_slider(
        sig,
        [f"{v:.3g}" for v in sig],
        i0,
        "σ (fish)",
        tooltip="σ, the SD of the population's step (fish)",
    )
    lam_slider = selection_slider(
        lams, [f"{v:.3g}" for v in lams], j0, "λ", tooltip="λ, the detection rate"
    )
    slider.add_class("explorer-main-slider")
    explorer = Explorer(
        frames,
        [(slider, "index"), (lam_slider, "index")],
        {"sigma": slider, "lam": lam_slider},
        static_figure=lambda: hmm_plots.fish_sweep_figure(sweep, x, truth),
        setters={
            "sigma": lambda i: setattr(slider, "index", int(i)),
            "lam": lambda j: setattr(lam_slider, "index", int(j)),
        },
    )
    explorer.slider, explorer.lam_slider = slider, lam_slider
    return explorer


fish_filter_figure = hmm_plots.fish_filter_figure
fish_sweep_figure = hmm_plots.fish_sweep_figure


# ---------------------------------------------------------------------------------------------
# Election explorer (slides 7-8): lecture_utils.election simulations
# ---------------------------------------------------------------------------------------------


def election_explorer(
    national_sds,
    sims,
    *,
    published: dict[str, float] | None = None,
    actual_clinton_ev: int | None = None,
    bin_width: int = 10,
    dpi: float = DPI,
):
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
    Explorer
        With ``.slider`` (a SelectionSlider over the SDs), ``.readout``, ``.figure`` and
        ``.update(sigma_delta=i)``, which shows grid point ``i``, and ``.static_figure()``.
        Every SD is pre-rendered here, once; the slider picks a frame in the browser.
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
    surprise = (
        None
        if actual_clinton_ev is None
        else np.array([s.p_clinton_ev_at_most(actual_clinton_ev) for s in sims])
    )

    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax_hist, ax_curve = fig.subplots(1, 2, width_ratios=[1.3, 1])
    trump_bars, clinton_bars = plot_ev_histogram(
        ax_hist,
        sims[0].clinton_ev,
        total=total,
        bin_width=bin_width,
        actual=actual_clinton_ev,
        colors=COLORS,
    )
    ax_hist.legend(loc="upper left", fontsize=8)
    ax_hist.set_xlim(100, 440)
    ax_curve.plot(sds, p_win, color=COLORS["Clinton"], lw=2)
    (marker,) = ax_curve.plot([sds[0]], [p_win[0]], "o", color=COLORS["Clinton"], ms=9)
    plot_published_forecasts(ax_curve, published or {}, x=sds[-1])
    ax_curve.set_xlabel(r"SD $\sigma_\delta$ of the national error (points)")
    ax_curve.set_ylabel("P(Clinton ≥ 270)")
    ax_curve.set_ylim(0.5, 1.02)
    title = ax_hist.set_title("")

    frames = []
    for i in range(sds.size):
        trump_bars.set_data(np.where(clinton_side, 0, fractions[i]), edges)
        clinton_bars.set_data(np.where(clinton_side, fractions[i], 0), edges)
        marker.set_data([sds[i]], [p_win[i]])
        ax_hist.set_ylim(0, min(1.0, 1.15 * fractions[i].max()))
        title.set_text(rf"shared national error $\sigma_\delta$ = {sds[i]:.2f} points")
        text = f"national SD σ_δ = {sds[i]:.2f} points · P(Clinton ≥ {threshold}) = {p_win[i]:.3f}"
        if surprise is not None:
            text += f" · P(Clinton ≤ {actual_clinton_ev} EV) = {surprise[i]:.4f}"
        alt = (
            f"Histogram of Clinton's simulated electoral votes with a shared national "
            f"polling error of SD {sds[i]:.2f} points, {fractions[i][clinton_side].sum():.0%}"
            f" of simulations at {threshold} or more"
            + ("" if actual_clinton_ev is None else f", the actual {actual_clinton_ev} marked")
            + f"; right, P(Clinton wins) against the SD, now {p_win[i]:.3f}."
        )
        frames.append(frame_of(fig, alt, text, dpi, colors=32))

    slider = selection_slider(
        sds,
        [f"{v:.2f}" for v in sds],
        0,
        "national SD σ_δ",
        width="60%",
        tooltip="σ_δ, SD of the shared national polling error (points)",
    )
    slider.add_class("explorer-main-slider")

    def static_figure():
        picks = np.unique(np.linspace(0, sds.size - 1, 4).round().astype(int))
        small = Figure(figsize=(3.0 * picks.size, 3.0), layout="constrained")
        axes = np.atleast_1d(small.subplots(1, picks.size, sharex=True, sharey=True))
        for k, (axis, i) in enumerate(zip(axes, picks)):
            plot_ev_histogram(
                axis,
                sims[i].clinton_ev,
                total=total,
                bin_width=bin_width,
                actual=actual_clinton_ev,
                colors=COLORS,
            )
            axis.set_title(rf"$\sigma_\delta$ = {sds[i]:.2f}: P(win) = {p_win[i]:.2f}", fontsize=10)
            if k:
                axis.set_ylabel("")
        return describe(
            small,
            "Histograms of Clinton's simulated electoral votes at "
            + ", ".join(f"{sds[i]:.2f}" for i in picks)
            + " points of shared national polling error.",
        )

    explorer = Explorer(
        frames,
        [(slider, "index")],
        {"sigma_delta": slider},
        static_figure=static_figure,
        setters={"sigma_delta": lambda i: setattr(slider, "index", int(i))},
    )
    explorer.slider = slider
    return explorer


# ---------------------------------------------------------------------------------------------
# Bayesian recap explorers (slide 2): conjugate posteriors
# ---------------------------------------------------------------------------------------------


def _recap_ns(n_max: int, n: int) -> np.ndarray:
    """The sample sizes the n slider offers: every n up to 5, then about 15 more, spaced
    evenly on a log scale up to all the data (and the starting ``n``)."""
    ns = np.unique(
        np.r_[
            np.arange(1, min(n_max, 5) + 1),
            np.geomspace(min(n_max, 5), n_max, 15).round().astype(int),
            n,
        ]
    )
    return ns[(ns >= 1) & (ns <= n_max)]


def _recap_explorer(
    *,
    data,
    family: str,
    presets: list[tuple[str, object]],
    n: int,
    grid,
    xlabel: str,
    what: str,
    describe_data,
    sigma: float | None = None,
    dpi: float = DPI,
) -> Explorer:
    """The shared body of the two conjugate explorers.

    ``presets`` are (label, prior) pairs (``BetaDist`` or ``NormalDist``); ``family`` is
    ``"beta"`` or ``"normal"``; ``describe_data(n)`` is the readout's data part. Every
    (prior preset, n) is pre-rendered: the closed-form posteriors come from
    ``bayes.beta_bernoulli_path`` / ``bayes.normal_normal_path`` (one cumulative sum each).
    """
    grid = np.asarray(grid, dtype=float)
    n_max = data.size
    if not is_int(n):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if not 1 <= n <= n_max:
        raise ValueError(f"n must be between 1 and len(data) = {n_max}, got {n}")
    ns = _recap_ns(n_max, int(n))

    def path_of(prior):
        if family == "beta":
            return bayes.beta_bernoulli_path(prior, data)
        return bayes.normal_normal_path(prior, data, sigma)

    def posterior_at(path, i):
        p, q = path.params[i]
        return bayes.BetaDist(p, q) if family == "beta" else bayes.NormalDist(p, q)

    fig = Figure(figsize=(10, 3.6), layout="none")  # fixed margins: frames never move the axes
    ax_post, ax_path = fig.subplots(1, 2, width_ratios=[1.15, 1])
    fig.subplots_adjust(left=0.035, right=0.985, bottom=0.15, top=0.9, wspace=0.17)
    (prior_line,) = ax_post.plot(grid, np.zeros_like(grid), "--", color="0.5", label="prior")
    (post_line,) = ax_post.plot(
        grid, np.zeros_like(grid), color=COLORS["bound"], lw=2, label="posterior"
    )
    styles = {
        "MAP": (COLORS["Female"], "-"),
        "LMSE": (COLORS["Male"], "--"),
        "MLE": (COLORS["truth"], ":"),
    }
    vlines = {
        k: ax_post.axvline(grid[0], color=c, ls=ls, lw=1.6, label=k)
        for k, (c, ls) in styles.items()
    }
    ax_post.set_xlim(grid[0], grid[-1])
    ax_post.set_xlabel(xlabel)
    ax_post.set_ylabel("density")
    ax_post.set_yticks([])
    ax_post.legend(loc="upper left", fontsize=8)
    title = ax_post.set_title("")

    all_n = np.arange(1, n_max + 1)
    path_lines = {
        k: ax_path.plot(all_n, np.zeros(n_max), color=c, ls=ls, lw=1.6, label=k)[0]
        for k, (c, ls) in styles.items()
    }
    band = [
        ax_path.plot(
            all_n,
            np.zeros(n_max),
            color=COLORS["bound"],
            lw=0.8,
            alpha=0.7,
            label="95% credible interval" if j == 0 else None,
        )[0]
        for j in range(2)
    ]
    n_marker = ax_path.axvline(n, color="0.3", lw=1)
    ax_path.set_xscale("log")
    ax_path.set_xlim(1, n_max)
    ax_path.set_xlabel("n (thin lines: 95% credible interval)")
    ax_path.set_ylabel(what)
    ax_path.set_title("MAP, LMSE and MLE as n grows")

    frames = []
    for label, prior in presets:
        path = path_of(prior)
        for k, attr in (("MAP", "map"), ("LMSE", "lmse"), ("MLE", "mle")):
            path_lines[k].set_ydata(getattr(path, attr))
        band[0].set_ydata(path.lower)
        band[1].set_ydata(path.upper)
        lo = min(path.lower.min(), path.mle.min())
        hi = max(path.upper.max(), path.mle.max())
        pad = 0.05 * (hi - lo)
        ax_path.set_ylim(lo - pad, hi + pad)
        prior_density = prior.pdf(grid)
        prior_line.set_ydata(prior_density)
        row = []
        for i in ns:
            post = posterior_at(path, i - 1)
            density = post.pdf(grid)
            post_line.set_ydata(density)
            estimates = {"MAP": path.map[i - 1], "LMSE": path.lmse[i - 1], "MLE": path.mle[i - 1]}
            for k, v in estimates.items():
                vlines[k].set_xdata([v, v])
            ax_post.set_ylim(0, 1.1 * max(density.max(), prior_density.max()))
            n_marker.set_xdata([i, i])
            if family == "beta":
                name = f"Beta({post.a:.1f}, {post.b:.1f})"
            else:
                name = f"N({post.mean:.2f}, {post.sd:.2f}²)"
            title.set_text(f"posterior after n = {i}: {name}")
            readout = (
                f"n = {i} · prior {label} · {describe_data(i)} · posterior {name} · "
                f"MAP {estimates['MAP']:.3f} · LMSE {estimates['LMSE']:.3f} · "
                f"MLE {estimates['MLE']:.3f}"
            )
            alt = (
                f"Prior {label} (dashed) and posterior {name} of {what} after the first "
                f"{i} of {n_max} observations, with MAP {estimates['MAP']:.3f}, LMSE "
                f"{estimates['LMSE']:.3f} and MLE {estimates['MLE']:.3f} marked; right, the "
                f"three estimates and the 95% credible interval for every n, n = {i} "
                "marked."
            )
            row.append(frame_of(fig, alt, readout, dpi, colors=32))
        frames.append(row)

    start = int(np.flatnonzero(ns == n)[0])
    slider = selection_slider(
        ns,
        [str(v) for v in ns],
        start,
        "n",
        width="60%",
        tooltip="n, how many observations the posterior has seen",
    )
    slider.add_class("explorer-main-slider")
    prior_buttons = widgets.ToggleButtons(
        options=[(label, k) for k, (label, _) in enumerate(presets)],
        value=0,
        description="prior",
        style={"button_width": "auto"},
    )
    prior_buttons.tooltip = "the prior"

    def static_figure():
        picks = [ns[0], ns[min(len(ns) - 1, 9)], int(n), ns[-1]]
        picks = sorted({int(v) for v in picks})
        _, first = presets[0]
        path = path_of(first)
        small = Figure(figsize=(3.0 * len(picks), 2.8), layout="constrained")
        axes = np.atleast_1d(small.subplots(1, len(picks), sharex=True))
        for axis, i in zip(axes, picks):
            post = posterior_at(path, i - 1)
            axis.plot(grid, first.pdf(grid), "--", color="0.5", label="prior")
            axis.plot(grid, post.pdf(grid), color=COLORS["bound"], lw=2, label="posterior")
            axis.axvline(path.mle[i - 1], color=COLORS["truth"], ls=":", lw=1.4, label="MLE")
            axis.set_title(f"n = {i}", fontsize=10)
            axis.set_yticks([])
            axis.set_xlabel(xlabel)
        axes[0].legend(loc="upper left", fontsize=8)
        return describe(
            small,
            f"The prior {presets[0][0]} and the posterior of {what} after "
            + ", ".join(str(i) for i in picks)
            + " observations, the MLE dotted.",
        )

    explorer = Explorer(
        frames,
        [(prior_buttons, "index"), (slider, "index")],
        {"n": slider, "prior": prior_buttons},
        static_figure=static_figure,
        setters={
            "n": lambda v: setattr(slider, "index", int(np.argmin(np.abs(ns - v)))),
            "prior": lambda k: setattr(prior_buttons, "index", int(k)),
        },
    )
    explorer.slider, explorer.prior_buttons, explorer.ns = slider, prior_buttons, ns
    explorer.presets = presets
    return explorer


def beta_bernoulli_explorer(
    z,
    *,
    a: float = 2.0,
    b: float = 2.0,
    n: int = 20,
    what: str = "π = P(male)",
    ones: str = "ones",
    dpi: float = DPI,
) -> Explorer:
    """Slide 2: the Beta posterior of a probability π after the first ``n`` 0/1 outcomes ``z``.

    Controls: ``n`` (the main slider) and the prior, one of three presets: Beta(a, b) as
    given, flat Beta(1, 1), and the confident and wrong Beta(50, 50) (π = 1/2). ``ones``
    names the 1s in the readout (e.g. ``"men"``). Left, prior and posterior densities with MAP,
    LMSE (posterior mean) and MLE; right, the three estimates and the 95% credible interval for
    every n, with the current n marked.

    Returns
    -------
    Explorer with ``.slider`` (n), ``.prior_buttons``, ``.readout``, ``.figure``,
    ``.update(n=..., prior=k)`` and ``.static_figure()``.
    """
    z = bayes._data(z, "z", binary=True, allow_empty=False)
    prior = BetaDist(a, b)  # validates a and b
    counts = np.cumsum(z).astype(int)

    def describe_data(i: int) -> str:
        return f"{counts[i - 1]} {ones} ({counts[i - 1] / i:.1%})"

    presets = [(f"Beta({a:g}, {b:g})", prior)]
    for label, p in (
        ("flat Beta(1, 1)", BetaDist(1.0, 1.0)),
        ("confident, wrong Beta(50, 50)", BetaDist(50.0, 50.0)),
    ):
        if (p.a, p.b) != (prior.a, prior.b):
            presets.append((label, p))
    return _recap_explorer(
        data=z,
        family="beta",
        presets=presets,
        n=n,
        grid=np.linspace(0, 1, 401),
        xlabel=what,
        what=what,
        describe_data=describe_data,
        dpi=dpi,
    )


def normal_normal_explorer(
    x,
    sigma: float,
    *,
    m0: float = 66.0,
    s0: float = 4.0,
    n: int = 10,
    grid=None,
    what: str = "mean height μ (inches)",
    dpi: float = DPI,
) -> Explorer:
    """Slide 2: the normal posterior of a mean μ after the first ``n`` observations ``x``,
    each N(μ, σ²) with ``sigma`` known. Controls: ``n`` (main) and the prior, one of the
    presets N(m0, s0²) as given, vague N(m0, 15²) and confident and wrong N(lo + 2, 0.5²) (lo
    the left end of the grid). Same layout and attributes as :func:`beta_bernoulli_explorer`."""
    x = bayes._data(x, "x", allow_empty=False)
    sigma = bayes._positive(sigma, "sigma")
    prior = NormalDist(m0, s0)  # validates m0 and s0
    grid = np.linspace(x.min() - 2, x.max() + 2, 601) if grid is None else grid
    means = np.cumsum(x) / np.arange(1, x.size + 1)

    def describe_data(i: int) -> str:
        return f"sample mean {means[i - 1]:.2f}"

    lo = float(np.min(grid))
    presets = [(f"N({m0:g}, {s0:g}²)", prior)]
    for label, p in (
        (f"vague N({m0:g}, 15²)", NormalDist(m0, 15.0)),
        (f"confident, wrong N({lo + 2:g}, 0.5²)", NormalDist(lo + 2, 0.5)),
    ):
        if (p.mean, p.sd) != (prior.mean, prior.sd):
            presets.append((label, p))
    return _recap_explorer(
        data=x,
        family="normal",
        presets=presets,
        n=n,
        grid=grid,
        xlabel=what,
        what=what,
        describe_data=describe_data,
        sigma=sigma,
        dpi=dpi,
    )

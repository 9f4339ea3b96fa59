"""Pictures of EM on the two-Gaussian heights model (slides 12-13).

Two layers, so the interactive explorer (``lecture_utils.widgets.em_explorer``) never computes
EM while it redraws:

- :func:`em_frames` runs once per EM trace and precomputes everything a picture needs: the
  responsibilities q^(t) of every iteration, the weighted component densities on a fixed grid,
  the log-likelihood and the lower bound along mu_1 (the Bishop Fig. 9.14 slice). This is
  the only place that calls :mod:`lecture_utils.mixture`.
- :class:`EMFigure` draws those arrays: it builds the artists once, and :meth:`EMFigure.show`
  only indexes the precomputed arrays and updates the artists in place.

Half-steps. Iteration t of EM is an E step then an M step::

    E step  q^(t)     = p(z | x, theta^(t))              (the bound touches l at theta^(t))
    M step  theta^(t+1) = argmax_theta L(q^(t), theta)   (l(theta^(t+1)) >= L(q^(t), theta^(t+1)))

so the state "after the E step of iteration t" is (theta^(t), q^(t)) and "after the M step of
iteration t" is (theta^(t+1), q^(t)). Component 1 is "male" (the taller start), component 0
"female", as on slide 3.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from io import BytesIO
from typing import Literal

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox
from PIL import Image
from scipy.special import logsumexp

from lecture_utils import mixture
from lecture_utils.plotting import COLORS, EXPLORER_DPI, describe

__all__ = [
    "HALF_STEPS",
    "RESPONSIBILITY_CMAP",
    "EMFigure",
    "EMFrames",
    "describe_state",
    "em_frames",
    "log_likelihood_slice",
    "lower_bound_slice",
    "plot_em_small_multiples",
    "plot_lower_bound",
]

HalfStep = Literal["E", "M"]
#: The two half-steps of an EM iteration, in order.
HALF_STEPS: tuple[HalfStep, HalfStep] = ("E", "M")

#: q(male) from 0 (female colour) through grey (undecided) to 1 (male colour).
RESPONSIBILITY_CMAP = LinearSegmentedColormap.from_list(
    "female_male", [COLORS["Female"], "#c8c8c8", COLORS["Male"]]
)

_LOG_2PI = np.log(2.0 * np.pi)
_NO_LAYOUT = {"figure.constrained_layout.use": False, "figure.autolayout": False}
#: The explorer's titles sit at a fixed height (y given): matplotlib otherwise measures every
#: tick label on every draw to lift a title above any on top (there are none here: no top
#: ticks, no offset text), a tenth of a frame's drawing time.
TITLE_Y = 1.0


# ---------------------------------------------------------------------------------------------
# Slices through the log-likelihood and the lower bound (vectorised over a grid of mu_k values)
# ---------------------------------------------------------------------------------------------


def _log_normal(x: np.ndarray, mean: np.ndarray | float, variance: float) -> np.ndarray:
    """log N(x | mean, variance), broadcasting."""
    return -0.5 * (_LOG_2PI + np.log(variance)) - (x - mean) ** 2 / (2.0 * variance)


def log_likelihood_slice(
    x: np.ndarray, params: mixture.MixtureParams, k: int, values: np.ndarray
) -> np.ndarray:
    r"""The total log-likelihood :math:`\ell(\theta)` as a function of :math:`\mu_k` alone.

    Every other parameter is held at ``params``. Returns one value per entry of ``values``:
    :math:`\sum_i \log \sum_j \pi_j \mathcal N(x_i \mid \mu_j, \sigma_j^2)` with
    :math:`\mu_k` replaced by each value.
    """
    x = np.asarray(x, dtype=float)
    values = np.asarray(values, dtype=float)
    log_joint = np.log(params.weights)[:, None] + _log_normal(
        x[None, :], np.asarray(params.means)[:, None], np.asarray(params.variances)[:, None]
    )  # (K, n)
    others = logsumexp(np.delete(log_joint, k, axis=0), axis=0)  # (n,) the components j != k
    term_k = np.log(params.weights[k]) + _log_normal(
        x[None, :], values[:, None], params.variances[k]
    )
    return np.logaddexp(others[None, :], term_k).sum(axis=1)


def lower_bound_slice(
    x: np.ndarray, params: mixture.MixtureParams, resp: np.ndarray, k: int, values: np.ndarray
) -> np.ndarray:
    r"""The lower bound :math:`L(q, \theta)` as a function of :math:`\mu_k` alone.

    :math:`L(q, \theta) = \sum_i \sum_j q_{ij} [\log \pi_j + \log \mathcal N(x_i \mid \mu_j,
    \sigma_j^2)] + H(q)`; only the j = k term depends on :math:`\mu_k`, and it is a parabola
    with its maximum at :math:`\sum_i q_{ik} x_i / \sum_i q_{ik}` -- the M-step mean.
    """
    x = np.asarray(x, dtype=float)
    values = np.asarray(values, dtype=float)
    resp = np.asarray(resp, dtype=float)
    log_joint = np.log(params.weights)[None, :] + _log_normal(
        x[:, None], np.asarray(params.means)[None, :], np.asarray(params.variances)[None, :]
    )  # (n, K)
    entropy = -np.sum(resp * np.log(np.where(resp > 0.0, resp, 1.0)))
    others = np.sum(np.delete(resp * log_joint, k, axis=1))
    rk = resp[:, k]
    # sum_i r_ik log N(x_i | m, s^2) expanded in m, so the grid costs O(G), not O(G n)
    s2 = params.variances[k]
    quad = rk.sum() * (values**2) - 2.0 * values * (rk @ x) + rk @ (x**2)
    term_k = rk.sum() * (np.log(params.weights[k]) - 0.5 * (_LOG_2PI + np.log(s2))) - quad / (
        2 * s2
    )
    return others + term_k + entropy


# ---------------------------------------------------------------------------------------------
# Precomputation: everything a frame needs, once per trace
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EMFrames:
    """Everything the EM pictures draw, precomputed from one EM trace (K = 2).

    Index t runs over the iterations 0..T of the trace (T = ``n_iter``); ``params`` and
    ``log_likelihoods`` have one more entry, theta^(T+1) = M step of q^(T), so that the last
    iteration has an M-step half too.
    """

    x: np.ndarray  # (n,) the data
    params: tuple  # theta^(0..T+1), MixtureParams
    resp: np.ndarray  # (T+1, n) q^(t)(z_i = 1) = p(z_i = 1 | x_i, theta^(t))
    log_likelihoods: np.ndarray  # (T+2,) l(theta^(t))
    bound_after_m: np.ndarray  # (T+1,) L(q^(t), theta^(t+1))
    x_grid: np.ndarray  # (Gx,) heights where densities are drawn
    densities: np.ndarray  # (T+2, 2, Gx) pi_k N(x | mu_k, sigma_k^2) for theta^(t)
    mu1_grid: np.ndarray  # (T+1, Gm) mu_1 values of the bound picture, per iteration
    ll_slice: np.ndarray  # (T+1, Gm) l(mu_1; rest at theta^(t))
    bound_slice: np.ndarray  # (T+1, Gm) L(q^(t), mu_1; rest at theta^(t))
    converged: bool
    means: np.ndarray = dataclasses.field(init=False)  # (T+2, 2) mu_k^(t), for the path

    def __post_init__(self) -> None:
        object.__setattr__(self, "means", np.array([p.means for p in self.params]))

    @property
    def n_iter(self) -> int:
        """T, the number of EM iterations in the trace."""
        return self.resp.shape[0] - 1

    def state(self, t: int, half: HalfStep) -> tuple[int, int]:
        """(index into ``params``, index into ``resp``) after the ``half`` step of iteration t."""
        if not 0 <= t <= self.n_iter:
            raise ValueError(f"t must be an iteration in 0..{self.n_iter}, got {t}")
        if half not in HALF_STEPS:
            raise ValueError(f"half must be 'E' or 'M', got {half!r}")
        return (t if half == "E" else t + 1), t


def em_frames(
    x: np.ndarray,
    trace: mixture.EMTrace,
    *,
    shared_variance: bool | None = None,
    n_grid: int = 400,
    n_slice: int = 161,
    slices_at=None,
) -> EMFrames:
    """Precompute every picture of an EM trace on the data ``x`` (K = 2).

    Parameters
    ----------
    x : ndarray, shape (n,)
        The data the trace was run on.
    trace : EMTrace
        From :func:`lecture_utils.mixture.run_em`, with two components.
    shared_variance : bool, optional
        How the trace was run (default: ``trace.shared_variance``); used for the one extra M
        step of the last iteration.
    n_grid, n_slice : int
        Grid sizes: heights for the densities, and mu_1 values of the bound slice.
    slices_at : sequence of int, optional
        The iterations whose lower-bound slice is computed (the costliest part); default all.
        The others' slices are NaN, and :meth:`EMFigure.show` refuses them. The explorer asks
        only for the iterations it shows.

    Returns
    -------
    EMFrames
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be a non-empty 1-D array of heights, got shape {x.shape}")
    if not hasattr(trace, "params") or len(trace.params) == 0:
        raise TypeError(f"trace must be an EMTrace from mixture.run_em, got {type(trace).__name__}")
    if len(trace.params[0].means) != 2:
        raise ValueError(
            "trace must have K = 2 components (the heights model), "
            f"got K = {len(trace.params[0].means)}"
        )

    if shared_variance is None:
        shared_variance = getattr(trace, "shared_variance", True)
    stored = getattr(trace, "resp", None)  # run_em(..., store_responsibilities=True)
    resp_full = list(stored) if stored is not None else [mixture.e_step(x, p) for p in trace.params]
    params = (*trace.params, mixture.m_step(x, resp_full[-1], shared_variance=shared_variance))
    log_liks = np.array([*trace.log_likelihoods, mixture.log_likelihood(x, params[-1])])
    bound_after_m = np.array(
        [mixture.lower_bound(x, params[t + 1], resp_full[t]) for t in range(len(resp_full))]
    )

    lo, hi = np.floor(x.min()) - 2.0, np.ceil(x.max()) + 2.0
    x_grid = np.linspace(lo, hi, n_grid)
    densities = np.array([mixture.component_densities(x_grid, p).T for p in params])

    # The Bishop slice: a window around mu_1^(t) wide enough to show the step to mu_1^(t+1) and
    # the curvature of the bound (about 3 standard errors of the M-step mean).
    wanted = set(range(len(resp_full)) if slices_at is None else slices_at)
    if not wanted <= set(range(len(resp_full))):
        raise ValueError(
            f"slices_at must hold iterations in 0..{len(resp_full) - 1}, got {sorted(wanted)}"
        )
    missing = np.full(n_slice, np.nan)
    mu1_grid, ll_slice, bound_slice = [], [], []
    for t, q in enumerate(resp_full):
        if t not in wanted:
            mu1_grid.append(missing)
            ll_slice.append(missing)
            bound_slice.append(missing)
            continue
        p, nxt = params[t], params[t + 1]
        step = nxt.means[1] - p.means[1]
        n1 = max(q[:, 1].sum(), 1e-12)
        half_width = max(2.0 * abs(step), 4.0 * np.sqrt(p.variances[1] / n1), 0.05)
        centre = p.means[1] + 0.5 * step
        grid = np.linspace(centre - half_width, centre + half_width, n_slice)
        mu1_grid.append(grid)
        ll_slice.append(log_likelihood_slice(x, p, 1, grid))
        bound_slice.append(lower_bound_slice(x, p, q, 1, grid))

    return EMFrames(
        x=x,
        params=params,
        resp=np.array([q[:, 1] for q in resp_full]),
        log_likelihoods=log_liks,
        bound_after_m=bound_after_m,
        x_grid=x_grid,
        densities=densities,
        mu1_grid=np.array(mu1_grid),
        ll_slice=np.array(ll_slice),
        bound_slice=np.array(bound_slice),
        converged=bool(trace.converged),
    )


# ---------------------------------------------------------------------------------------------
# The explorer's figure: built once, updated in place
# ---------------------------------------------------------------------------------------------


def _fmt_params(p: mixture.MixtureParams) -> str:
    v = p.variances
    sigma = f"σ² = {v[0]:.2f}" if np.isclose(v[0], v[1]) else f"σ₀² = {v[0]:.2f}, σ₁² = {v[1]:.2f}"
    return (
        f"μ₀ = {p.means[0]:.2f} in, μ₁ = {p.means[1]:.2f} in, {sigma} in², π = {p.weights[1]:.3f}"
    )


def _sup(t: int) -> str:
    """The superscript of the state after ``t`` iterations, in slide 12's numbering: the code's
    index t (``params[t]``, ``resp[t]``) is the slide's θ⁽ᵗ⁺¹⁾ and q⁽ᵗ⁺¹⁾; the start is θ⁽¹⁾."""
    return "⁽" + str(t + 1).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")) + "⁾"


def describe_state(frames: EMFrames, t: int, half: HalfStep) -> str:
    """One line saying where EM is: iteration, half-step, log-likelihood, bound, parameters."""
    i, _ = frames.state(t, half)
    ll = frames.log_likelihoods[i]
    now, nxt = _sup(t), _sup(t + 1)
    params = _fmt_params(frames.params[i])
    if half == "E":
        return (
            f"iteration {t + 1} of {frames.n_iter + 1} · after the E step: q{now} = p(z | x, θ{now})"
            f" · ℓ(θ{now}) = {ll:.2f} = L(q{now}, θ{now}) · {params}"
        )
    return (
        f"iteration {t + 1} of {frames.n_iter + 1} · after the M step: θ{nxt} = argmax L(q{now}, θ)"
        f" · ℓ(θ{nxt}) = {ll:.2f} ≥ L(q{now}, θ{nxt}) = {frames.bound_after_m[t]:.2f} · {params}"
    )


class EMFigure:
    """The explorer's four-panel figure, built once; :meth:`show` only updates artists.

    Panels: (a) histogram with the weighted component densities, and below it every person's
    q(male) coloured by itself; (b) the path of (mu_0, mu_1) with the mirror line mu_0 = mu_1;
    (c) the log-likelihood against iteration; (d) the lower bound at the current iteration
    (Bishop Fig. 9.14). Uses :class:`matplotlib.figure.Figure` directly, never pyplot.

    Rendering is blitted, as in matplotlib's animation guide. Everything that is the same on
    every frame of a trace (axes, ticks, labels, grid, the histogram bars, the log-likelihood
    curve, the EM path) is drawn once per trace into a cached background: :meth:`set_frames`
    fixes the limits of those panels for the whole trace, so one background serves every frame.
    A frame (:meth:`render`) restores that background, draws the artists that move plus what a
    full draw puts above them (spines, legends), in z-order, then draws the lower-bound panel
    whole -- its window follows mu_1^(t), so its ticks change every iteration. The pixels are
    those of a full ``savefig`` of the same state (a test checks).
    """

    def __init__(self, frames: EMFrames, figsize: tuple[float, float] = (11.0, 7.8)) -> None:
        # A fixed layout (no layout engine): every frame has the same panel positions, and a
        # redraw spends nothing on layout.
        with mpl.rc_context(_NO_LAYOUT):
            self.figure = Figure(figsize=figsize, layout="none")
        self.canvas = FigureCanvasAgg(self.figure)
        self._background: _Background | None = None  # drawn on the first render()
        outer = self.figure.add_gridspec(
            2,
            2,
            height_ratios=[4.5, 3.2],
            width_ratios=[1.45, 1.0],
            left=0.075,
            right=0.98,
            top=0.96,
            bottom=0.07,
            hspace=0.34,
            wspace=0.2,
        )
        left = outer[0, 0].subgridspec(2, 1, height_ratios=[3.0, 1.5], hspace=0.12)
        self.ax_hist = self.figure.add_subplot(left[0])
        self.ax_resp = self.figure.add_subplot(left[1], sharex=self.ax_hist)
        self.ax_path = self.figure.add_subplot(outer[0, 1])
        self.ax_ll = self.figure.add_subplot(outer[1, 0])
        self.ax_bound = self.figure.add_subplot(outer[1, 1])
        self._build_static(frames)
        self.set_frames(frames)

    # -- built once per figure ---------------------------------------------------------------
    def _build_static(self, frames: EMFrames) -> None:
        x = frames.x
        ax = self.ax_hist
        edges = np.arange(np.floor(x.min()) - 0.5, np.ceil(x.max()) + 1.5)
        ax.hist(
            x,
            bins=edges,
            density=True,
            color=COLORS["data"],
            alpha=0.45,
            label=f"heights (n = {x.size})",
        )
        (self.line_f,) = ax.plot(
            [], [], color=COLORS["Female"], lw=2, label="π₀ N(x | μ₀, σ²)  female"
        )
        (self.line_m,) = ax.plot([], [], color=COLORS["Male"], lw=2, label="π₁ N(x | μ₁, σ²)  male")
        (self.line_mix,) = ax.plot(
            [], [], color="#333333", lw=1.2, ls="--", label="mixture p(x | θ)"
        )
        ax.set_ylabel("density (1/in)")
        ax.legend(loc="upper left", fontsize=8.5)
        ax.tick_params(labelbottom=False)
        self.title_hist = ax.set_title("", y=TITLE_Y)
        self.note_hist = ax.text(
            0.99, 0.97, "", transform=ax.transAxes, ha="right", va="top", fontsize=9
        )

        ax = self.ax_resp
        self.scatter = ax.scatter(
            x,
            np.zeros_like(x),
            c=np.zeros_like(x),
            cmap=RESPONSIBILITY_CMAP,
            vmin=0.0,
            vmax=1.0,
            s=14,
            edgecolors="none",
            alpha=0.8,
            zorder=2,  # above the grid (zorder 1.5), like the lines
        )
        ax.set_ylim(-0.08, 1.08)
        ax.set_yticks([0.0, 0.5, 1.0])
        ax.set_ylabel("q(male)")
        ax.set_xlabel("height x (inches)")
        ax.set_xlim(frames.x_grid[0], frames.x_grid[-1])

        ax = self.ax_ll
        (self.ll_line,) = ax.plot(
            [], [], color="#333333", lw=1.2, marker="o", ms=3, label="ℓ(θ⁽ᵗ⁾) = log p(x | θ⁽ᵗ⁾)"
        )
        (self.bound_pts,) = ax.plot(
            [],
            [],
            ls="none",
            marker="_",
            ms=9,
            mew=2,
            color=COLORS["bound"],
            label="L(q⁽ᵗ⁻¹⁾, θ⁽ᵗ⁾) after the M step",
        )
        (self.ll_now,) = ax.plot(
            [], [], ls="none", marker="o", ms=11, mfc="none", mew=2, color="#e41a1c", label="now"
        )
        self.ll_vline = ax.axvline(0.0, color="#e41a1c", lw=0.8, alpha=0.5)
        ax.set_xlabel("t: the log-likelihood at θ⁽ᵗ⁾ (the start is t = 1)")
        ax.set_ylabel("total log-likelihood (nats)")
        ax.set_title("Log-likelihood never decreases", y=TITLE_Y)
        ax.legend(loc="lower right", fontsize=8.5)

        ax = self.ax_bound
        (self.slice_ll,) = ax.plot(
            [], [], color="#333333", lw=2, label="ℓ(θ): μ₁ varied, rest at θ⁽ᵗ⁾"
        )
        (self.slice_bound,) = ax.plot([], [], color=COLORS["bound"], lw=2, label="L(q⁽ᵗ⁾, θ)")
        (self.touch,) = ax.plot(
            [], [], ls="none", marker="o", ms=7, color="#333333", label="θ⁽ᵗ⁾: they touch"
        )
        (self.bound_max,) = ax.plot(
            [], [], ls="none", marker="^", ms=8, color=COLORS["bound"], label="max of L = μ₁⁽ᵗ⁺¹⁾"
        )
        (self.step_line,) = ax.plot([], [], color=COLORS["bound"], lw=1, ls=":")
        ax.set_xlabel("μ₁ (inches)")
        ax.set_ylabel("ℓ − ℓ(θ⁽ᵗ⁾)  (nats)")
        ax.legend(loc="lower center", fontsize=8)
        # Plain tick labels (the window is about an inch wide and a few nats high: no offset
        # text is needed, and none may push into the title, which stays at a fixed height).
        ax.ticklabel_format(useOffset=False)
        # No grid here: this panel's ticks move every frame, so its grid would cross the legend
        # on every frame, and the legend (the costliest part of the panel to draw) could not
        # stay in the cached background (_draw_bound_panel).
        ax.grid(False)
        # Static (in the cached background): the iteration is named above the histogram.
        self.title_bound = ax.set_title("The lower bound at this iteration", y=TITLE_Y)
        # about five ticks a side: fewer labels to draw on every frame
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))

        ax = self.ax_path
        ax.set_xlabel("μ₀, female mean (inches)")
        ax.set_ylabel("μ₁, male mean (inches)")
        (self.diag,) = ax.plot(
            [], [], color="#999999", lw=0.8, ls="--", label="μ₀ = μ₁ (label-switch mirror)"
        )
        (self.path_line,) = ax.plot(
            [], [], color="#333333", lw=1, marker=".", ms=4, label="EM path"
        )
        (self.path_start,) = ax.plot(
            [], [], ls="none", marker="s", ms=7, color="#333333", label="start θ⁽¹⁾"
        )
        (self.path_end,) = ax.plot(
            [], [], ls="none", marker="*", ms=12, color=COLORS["bound"], label="last iterate"
        )
        (self.path_now,) = ax.plot(
            [], [], ls="none", marker="o", ms=11, mfc="none", mew=2, color="#e41a1c", label="now"
        )
        ax.legend(loc="lower right", fontsize=8.5)  # set_frames picks the corner
        ax.set_title("Path of the two means", y=TITLE_Y)

        # The artists a frame changes, per panel (the lower-bound panel is redrawn whole).
        self._moving = {
            self.ax_hist: [
                self.line_f,
                self.line_m,
                self.line_mix,
                self.title_hist,
                self.note_hist,
            ],
            self.ax_resp: [self.scatter],
            self.ax_ll: [self.ll_now, self.ll_vline],
            self.ax_path: [self.path_now],
        }
        # What render() draws over the cached background on every frame, in this order: the
        # moving artists and the spines, which a full draw puts above them. Legends, also above
        # them, stay in the background and are redrawn only when something moving crosses one.
        self._overlay = [
            artist
            for ax, moving in self._moving.items()
            for artist in sorted(
                [*moving, *(spine for spine in ax.spines.values() if spine.get_visible())],
                key=lambda artist: artist.get_zorder(),
            )
        ]
        for artist in self._overlay:
            artist.set_animated(True)  # left out of the background

    # -- rebuilt when the trace changes (a new start), never on a slider move ------------------
    def set_frames(self, frames: EMFrames) -> None:
        """Point the figure at a new precomputed trace (e.g. after a change of start)."""
        self.frames = frames
        self._background = None
        T = frames.n_iter
        # One y-range for every frame; a start so peaked that it would flatten every later
        # frame is left off the axis, and show() says so.
        peaks = frames.densities.sum(axis=1).max(axis=1)  # (T+2,) max of the mixture density
        rest = peaks[1:].max()
        top = peaks.max() if peaks[0] <= 2.0 * rest else rest
        self.ax_hist.set_ylim(0.0, max(0.16, 1.1 * top))
        ll = frames.log_likelihoods[: T + 1]
        # x in slide 12's numbering: θ⁽¹⁾ (the code's params[0]) at t = 1
        self.ll_line.set_data(np.arange(1, T + 2), ll)
        self.bound_pts.set_data(np.arange(2, T + 3), frames.bound_after_m)
        # Scale to the iterations after the first: l(theta^(0)) of a poor start is often so low
        # that the climb afterwards would look flat; it is named in a note instead.
        rest = np.concatenate([ll[1:], frames.bound_after_m[1:], frames.log_likelihoods[-1:]])
        lo, hi = rest.min(), rest.max()
        pad = 0.08 * max(hi - lo, 1.0)
        self.ax_ll.set_xlim(0.5, T + 2.5)
        self.ax_ll.set_ylim(
            min(lo - pad, ll[0] - pad) if ll[0] > lo - 4 * pad else lo - 1.5 * pad, hi + pad
        )
        below = ll[0] < self.ax_ll.get_ylim()[0]
        self.ax_ll.set_title(
            "Log-likelihood never decreases"
            + (f"\n(the start, ℓ(θ⁽¹⁾) = {ll[0]:.1f}, is below the axis)" if below else ""),
            fontsize=12 if not below else 10.5,
            y=TITLE_Y,
        )

        ax = self.ax_path
        m = frames.means
        self.path_line.set_data(m[:-1, 0], m[:-1, 1])
        self.path_start.set_data([m[0, 0]], [m[0, 1]])
        self.path_end.set_data([m[-2, 0]], [m[-2, 1]])
        lo, hi = m.min() - 2.0, m.max() + 2.0
        self.diag.set_data([lo, hi], [lo, hi])
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        # The legend in the corner the path stays away from: below the mirror line if mu_1 > mu_0
        # (male taller, as started), above it otherwise. Fixed, not "best": the moving marker
        # must not move it.
        above_mirror = np.mean(m[:, 1] - m[:, 0]) > 0
        ax.get_legend().set_loc("lower right" if above_mirror else "upper left")

    # -- every slider move: index arrays, update artists ---------------------------------------
    def show(self, t: int, half: HalfStep = "E") -> None:
        """Update every artist to the state after the ``half`` step of iteration ``t``."""
        f = self.frames
        i, r = f.state(t, half)
        dens = f.densities[i]
        self.line_f.set_data(f.x_grid, dens[0])
        self.line_m.set_data(f.x_grid, dens[1])
        self.line_mix.set_data(f.x_grid, dens[0] + dens[1])
        peak = (dens[0] + dens[1]).max()
        off_axis = peak > self.ax_hist.get_ylim()[1]
        self.note_hist.set_text(
            f"↑ the mixture peaks at {peak:.2f} /in, off the axis" if off_axis else ""
        )
        label = "E step" if half == "E" else "M step"
        theta = f"θ{_sup(i)}"
        self.title_hist.set_text(
            f"Iteration {t + 1}, after the {label}: densities of {theta}, colours q{_sup(r)}"
        )
        q = f.resp[r]
        self.scatter.set_offsets(np.column_stack([f.x, q]))
        self.scatter.set_array(q)

        self.ll_now.set_data([i + 1], [f.log_likelihoods[i]])
        self.ll_vline.set_xdata([i + 1, i + 1])

        grid, ll, bound = f.mu1_grid[r], f.ll_slice[r], f.bound_slice[r]
        if np.isnan(grid[0]):
            raise ValueError(f"iteration {t}'s lower-bound slice was not computed (slices_at)")
        base = f.log_likelihoods[r]
        self.slice_ll.set_data(grid, ll - base)
        self.slice_bound.set_data(grid, bound - base)
        mu_t = f.params[r].means[1]
        self.touch.set_data([mu_t], [0.0])
        mu_next = f.params[r + 1].means[1]
        j = int(np.argmax(bound))
        bound_top = bound[j] - base
        if half == "M":
            ll_next = np.interp(mu_next, grid, ll) - base
            self.bound_max.set_data([mu_next], [bound_top])
            self.step_line.set_data([mu_next, mu_next], [bound_top, ll_next])
        else:
            self.bound_max.set_data([], [])
            self.step_line.set_data([], [])
        top = max((ll - base).max(), bound_top, 0.0)
        bottom = (ll - base).min()
        span = max(top - bottom, 1e-3)
        self.ax_bound.set_xlim(grid[0], grid[-1])
        self.ax_bound.set_ylim(bottom - 0.05 * span, top + 0.12 * span)

        self.path_now.set_data([f.means[i, 0]], [f.means[i, 1]])

    # -- drawing ------------------------------------------------------------------------------
    def render(self, dpi: float = EXPLORER_DPI) -> np.ndarray:
        """The current frame as an RGBA array, shape (height, width, 4), blitted (see above).

        The array is a view of the canvas buffer: valid until the next render.
        """
        if self._background is None or self._background.dpi != dpi:
            self._background = self._draw_background(dpi)
        renderer = self.canvas.get_renderer()
        self.canvas.restore_region(self._background.pixels)
        crossed = []
        for ax, box, under in self._background.legends:
            if any(_crosses(artist, box, renderer) for artist in self._moving[ax]):
                self.canvas.restore_region(under)  # lift the legend off...
                crossed.append(ax.get_legend())
        for artist in self._overlay:
            artist.draw(renderer)
        for legend in crossed:
            legend.draw(renderer)  # ...and put it back on top, as a full draw would
        self._draw_bound_panel(renderer)
        return np.asarray(self.canvas.buffer_rgba())

    def _draw_bound_panel(self, renderer) -> None:
        """The lower-bound panel, whose ticks change every frame, drawn whole but for its legend.

        Its legend (fixed, "lower center") is the costliest part of the panel (about 20 ms of
        text layout, a third of a frame), and it never changes: it is in the cached background,
        and is drawn again on top only when a curve of the frame crosses it, as a full draw
        would have it. The axes' white face is the background's white, so the panel is drawn
        without it (and without a grid, which would cross the legend every time)."""
        ax, (box, under) = self.ax_bound, self._background.bound_legend
        legend = ax.get_legend()
        moving = (self.slice_ll, self.slice_bound, self.touch, self.bound_max, self.step_line)
        crossed = any(_crosses(artist, box, renderer) for artist in moving)
        if crossed:
            self.canvas.restore_region(under)
        legend.set_visible(False)
        ax.patch.set_visible(False)
        try:
            ax.draw(renderer)
        finally:
            legend.set_visible(True)
            ax.patch.set_visible(True)
        if crossed:
            legend.draw(renderer)

    def _draw_background(self, dpi: float) -> _Background:
        """Draw the parts every frame of this trace shares, at ``dpi``, and keep their pixels."""
        self.figure.set_dpi(dpi)
        axes_with_legend = [ax for ax in self._moving if ax.get_legend() is not None]
        hidden = [self.ax_bound, *(ax.get_legend() for ax in axes_with_legend)]
        for artist in hidden:
            artist.set_visible(False)
        try:
            self.canvas.draw()  # also leaves out the animated artists (the overlay)
        finally:
            for artist in hidden:
                artist.set_visible(True)
        renderer = self.canvas.get_renderer()
        legends = []
        for ax in axes_with_legend:
            legend = ax.get_legend()
            box = Bbox.intersection(legend.get_window_extent(renderer).padded(2), self.figure.bbox)
            legends.append((ax, box, self.canvas.copy_from_bbox(box)))
            legend.draw(renderer)  # a legend is the top of its panel: drawn last, as in a full draw
        # The lower-bound panel is drawn on every frame, but its legend is not (_draw_bound_panel)
        legend = self.ax_bound.get_legend()
        box = Bbox.intersection(legend.get_window_extent(renderer).padded(2), self.figure.bbox)
        bound_legend = (box, self.canvas.copy_from_bbox(box))
        legend.draw(renderer)
        return _Background(
            dpi, self.canvas.copy_from_bbox(self.figure.bbox), tuple(legends), bound_legend
        )

    def png(self, dpi: float = EXPLORER_DPI) -> bytes:
        """The current frame as PNG bytes (zlib level 1: fast to encode, and to decode)."""
        rgba = self.render(dpi)
        height, width, _ = rgba.shape
        image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
        buffer = BytesIO()
        image.save(buffer, format="png", compress_level=1, dpi=(dpi, dpi))
        return buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class _Background:
    """The pixels every frame of one trace shares, at one dpi (see :class:`EMFigure`)."""

    dpi: float
    pixels: object  # BufferRegion of the whole figure: the static artists and the legends
    legends: tuple  # (axes, box, BufferRegion under its legend): box = legend + 2 pixels
    bound_legend: tuple  # (box, BufferRegion under it) of the lower-bound panel's legend


def _crosses(artist, box: Bbox, renderer) -> bool:
    """Whether ``artist`` draws any pixel inside ``box`` (display coordinates)."""
    if not artist.get_visible():
        return False
    if isinstance(artist, Line2D):
        path = artist.get_transform().transform_path(artist.get_path())
        if len(path.vertices) == 0:
            return False
        # a line's pixels reach half its width, or half a marker, beyond its path
        size = max(artist.get_markersize() + artist.get_markeredgewidth(), artist.get_linewidth())
        box = box.padded(renderer.points_to_pixels(size / 2.0) + 1.0)
        return bool(box.count_contains(path.vertices)) or path.intersects_bbox(box, filled=False)
    return box.overlaps(artist.get_window_extent(renderer))


# ---------------------------------------------------------------------------------------------
# Static figures for the notebook (they read on GitHub and in nbval)
# ---------------------------------------------------------------------------------------------


def plot_lower_bound(ax, frames: EMFrames, t: int, *, show_step: bool = True) -> None:
    """Bishop Fig. 9.14 at iteration t on ``ax``: l along mu_1 and L(q^(t), .) touching it."""
    grid, ll, bound = frames.mu1_grid[t], frames.ll_slice[t], frames.bound_slice[t]
    base = frames.log_likelihoods[t]
    ax.plot(grid, ll - base, color="#333333", lw=2, label="ℓ(θ): μ₁ varied, rest at θ⁽ᵗ⁾")
    ax.plot(grid, bound - base, color=COLORS["bound"], lw=2, label=f"L(q{_sup(t)}, θ)")
    mu_t, mu_next = frames.params[t].means[1], frames.params[t + 1].means[1]
    ax.plot([mu_t], [0.0], "o", color="#333333", ms=7, label=f"θ{_sup(t)}: equal, touching")
    if show_step:
        top = bound.max() - base
        ll_next = np.interp(mu_next, grid, ll) - base
        ax.plot(
            [mu_next], [top], "^", color=COLORS["bound"], ms=8, label=f"max of L: μ₁{_sup(t + 1)}"
        )
        ax.plot([mu_next, mu_next], [top, ll_next], ":", color=COLORS["bound"], lw=1.2)
    span = (ll - base).max() - (ll - base).min()
    ax.set_ylim(
        (ll - base).min() - 0.05 * span, max((ll - base).max(), bound.max() - base) + 0.12 * span
    )
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("μ₁ (inches)")
    ax.set_ylabel(f"ℓ − ℓ(θ{_sup(t)})  (nats)")
    ax.set_title(f"Iteration {t + 1}: μ₁{_sup(t)} = {mu_t:.2f} → μ₁{_sup(t + 1)} = {mu_next:.2f}")
    ax.legend(loc="lower center", fontsize=8)


def plot_em_small_multiples(
    frames: EMFrames,
    iterations: Sequence[int | None] = (0, 1, 2, 5, 10, None),
    *,
    ncols: int = 3,
    panel_size: tuple[float, float] = (3.6, 2.9),
) -> Figure:
    """Small multiples of EM: the fit after ``iterations`` (``None`` = the last one).

    Each panel: the histogram, the weighted component densities of theta^(t), and every person
    as a tick coloured by q^(t)(male) along the bottom. Returns a Figure (not shown by pyplot).
    """
    ts = [frames.n_iter if t is None else min(int(t), frames.n_iter) for t in iterations]
    nrows = int(np.ceil(len(ts) / ncols))
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()
    x = frames.x
    edges = np.arange(np.floor(x.min()) - 0.5, np.ceil(x.max()) + 1.5)
    top = max(0.16, 1.1 * max((frames.densities[t].sum(axis=0)).max() for t in ts))
    for ax, t in zip(axes, ts):
        ax.hist(x, bins=edges, density=True, color=COLORS["data"], alpha=0.45)
        d = frames.densities[t]
        ax.plot(frames.x_grid, d[0], color=COLORS["Female"], lw=2, label="π₀N(μ₀, σ²)")
        ax.plot(frames.x_grid, d[1], color=COLORS["Male"], lw=2, label="π₁N(μ₁, σ²)")
        ax.scatter(
            x,
            np.full_like(x, -0.06 * top),
            c=frames.resp[t],
            cmap=RESPONSIBILITY_CMAP,
            vmin=0,
            vmax=1,
            marker="|",
            s=60,
            linewidths=0.8,
        )
        ax.set_ylim(-0.11 * top, top)
        p = frames.params[t]
        last = " (final)" if t == frames.n_iter else ""
        ax.set_title(
            f"θ{_sup(t)}{last} · ℓ = {frames.log_likelihoods[t]:.1f}\n"
            f"μ₀ = {p.means[0]:.1f}, μ₁ = {p.means[1]:.1f}, π = {p.weights[1]:.2f}",
            fontsize=9.5,
        )
    for ax in axes[len(ts) :]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols :]:
        ax.set_xlabel("height (inches)")
    for ax in axes[::ncols]:
        ax.set_ylabel("density (1/in)")
    axes[0].legend(loc="upper left", fontsize=8)
    mappable = axes[0].collections[0]
    fig.colorbar(mappable, ax=axes.tolist(), shrink=0.6, label="q(male) (ticks at the bottom)")
    fits = "; ".join(
        f"θ{_sup(t)}: μ₀ = {frames.params[t].means[0]:.1f}, μ₁ = {frames.params[t].means[1]:.1f}, "
        f"π = {frames.params[t].weights[1]:.2f}, ℓ = {frames.log_likelihoods[t]:.1f}"
        for t in ts
    )
    return describe(
        fig,
        (
            f"{len(ts)} panels of EM on the heights, after iterations {', '.join(map(str, ts))}: "
            "each shows the histogram of heights, the two weighted component densities (female "
            "and male) and each person as a tick coloured by q(male) from female to male. "
            f"The fits: {fits}."
        ),
    )

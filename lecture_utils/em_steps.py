"""EM drawn step by step for any one-dimensional two-component mixture (06's Old Faithful).

:mod:`lecture_utils.em_plots` draws the heights (its labels say inches, female and male); the
two figures here take the data's unit and the components' names as arguments, so the same
pictures serve the eruption durations of Old Faithful:

- :func:`plot_em_iterations`: small multiples, the fit θ⁽ᵗ⁾ over the histogram after several
  iterations, with every data point coloured by its responsibility;
- :func:`plot_em_convergence`: the log-likelihood rising to its limit, and the distance to the
  limit on a log scale (a straight line: EM converges linearly, at a rate set by the fraction
  of missing information).

Iterations are numbered as on slide 12: panel "θ⁽ᵗ⁾" shows ``trace.params[t - 1]``.
Both functions return a matplotlib Figure with its alt text attached
(:func:`lecture_utils.plotting.describe`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from lecture_utils import mixture
from lecture_utils.plotting import COLORS, describe

__all__ = ["plot_em_convergence", "plot_em_iterations", "slide_index"]


def slide_index(t: int) -> str:
    """The superscript of slide 12's numbering for ``trace.params[t]``: ``"⁽ᵗ⁺¹⁾"``."""
    digits = str(int(t) + 1).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"⁽{digits}⁾"


def _check_trace(trace) -> None:
    if not isinstance(trace, mixture.EMTrace):
        raise TypeError(f"trace must be an EMTrace from mixture.run_em, got {type(trace).__name__}")
    if trace.params[0].K != 2:
        raise ValueError(f"trace must have K = 2 components, got K = {trace.params[0].K}")


def plot_em_iterations(
    trace: mixture.EMTrace,
    iterations: Sequence[int | None] = (0, 1, 2, 3, 5, None),
    *,
    unit: str,
    names: tuple[str, str] = ("component 0", "component 1"),
    bin_width: float | None = None,
    ncols: int = 3,
    panel_size: tuple[float, float] = (3.6, 2.7),
) -> Figure:
    """Small multiples of EM: the fit after each of ``iterations`` (``None`` = the last).

    ``iterations`` index ``trace.params`` (0 = the start θ⁽¹⁾). Each panel: a density
    histogram of the data, the two weighted components (1 − π) N(μ₀, σ²) and π N(μ₁, σ²) of
    that θ, their sum, and every data point as a tick coloured by its responsibility
    q(z = 1) computed from that θ (the E step that starts the next iteration).
    """
    _check_trace(trace)
    x = trace.x
    ts = []
    for t in iterations:
        t = trace.n_iter if t is None else int(t)
        if not 0 <= t <= trace.n_iter:
            raise ValueError(f"iterations must be in 0..{trace.n_iter} or None, got {t}")
        ts.append(t)
    if bin_width is None:
        bin_width = (x.max() - x.min()) / 30
    edges = np.arange(x.min() - bin_width, x.max() + 2 * bin_width, bin_width)
    grid = np.linspace(edges[0], edges[-1], 400)
    cmap = LinearSegmentedColormap.from_list(
        "component_0_1", [COLORS["component"][0], "#c8c8c8", COLORS["component"][1]]
    )
    densities = [mixture.component_densities(grid, trace.params[t]) for t in ts]
    hist_top = np.histogram(x, bins=edges, density=True)[0].max()
    top = 1.12 * max(hist_top, max(d.sum(axis=1).max() for d in densities))

    nrows = int(np.ceil(len(ts) / ncols))
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()
    for ax, t, d in zip(axes, ts, densities):
        p = trace.params[t]
        ax.hist(x, bins=edges, density=True, color=COLORS["data"], alpha=0.45)
        ax.plot(
            grid, d[:, 0], color=COLORS["component"][0], lw=2, label=f"{names[0]}: (1−π)N(μ₀, σ²)"
        )
        ax.plot(grid, d[:, 1], color=COLORS["component"][1], lw=2, label=f"{names[1]}: πN(μ₁, σ²)")
        ax.plot(grid, d.sum(axis=1), color="black", lw=1, ls="--", label="mixture p(x | θ)")
        q = mixture.e_step(x, p)[:, 1]
        ax.scatter(
            x,
            np.full_like(x, -0.06 * top),
            c=q,
            cmap=cmap,
            vmin=0,
            vmax=1,
            marker="|",
            s=60,
            linewidths=0.8,
        )
        ax.set_ylim(-0.11 * top, top)
        where = "start" if t == 0 else f"after {t} iteration{'s' if t > 1 else ''}"
        last = ", converged" if t == trace.n_iter and trace.converged else ""
        ax.set_title(
            f"θ{slide_index(t)} ({where}{last}) · ℓ = {trace.log_likelihoods[t]:.1f}\n"
            f"μ₀ = {p.means[0]:.2f}, μ₁ = {p.means[1]:.2f}, σ² = {p.variances[0]:.3f}, "
            f"π = {p.weights[1]:.2f}",
            fontsize=9,
        )
    for ax in axes[len(ts) :]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols :]:
        ax.set_xlabel(unit)
    for ax in axes[::ncols]:
        ax.set_ylabel(
            f"density (1/{unit.split('(')[-1].rstrip(')')})" if "(" in unit else "density"
        )
    axes[0].legend(loc="upper left", fontsize=7.5)
    fig.colorbar(
        axes[0].collections[0],
        ax=axes.tolist(),
        shrink=0.6,
        label=f"q(z = 1): responsibility of {names[1]}",
    )
    first, last = trace.params[ts[0]], trace.params[ts[-1]]
    describe(
        fig,
        (
            f"{len(ts)} small panels, one per EM iteration shown ({', '.join(str(t + 1) for t in ts)} "
            f"in slide 12's numbering). Each shows the histogram of the data with the two fitted "
            f"normal components and their sum. The components move from means "
            f"{first.means[0]:.2f} and {first.means[1]:.2f} at the start to "
            f"{last.means[0]:.2f} and {last.means[1]:.2f}, weight π from {first.weights[1]:.2f} to "
            f"{last.weights[1]:.2f}; ticks under each histogram are the data points, coloured from "
            f"{names[0]} to {names[1]} by their responsibility."
        ),
    )
    return fig


def plot_em_convergence(
    trace: mixture.EMTrace, *, marked: Sequence[int] = (), title: str = "EM"
) -> Figure:
    """Two panels: ℓ(θ⁽ᵗ⁾) against t, and ℓ_final − ℓ(θ⁽ᵗ⁾) on a log scale.

    ``marked`` (indices of ``trace.params``) are drawn as larger dots, e.g. the iterations of
    the small multiples. The x axis uses slide 12's numbering (the start is t = 1).
    """
    _check_trace(trace)
    ll = trace.log_likelihoods
    t = np.arange(1, ll.size + 1)
    gap = ll[-1] - ll
    fig = Figure(figsize=(10.5, 3.4), layout="constrained")
    ax_ll, ax_gap = fig.subplots(1, 2)
    ax_ll.plot(t, ll, "o-", ms=3, color=COLORS["bound"], lw=1.5)
    marked = [int(m) for m in marked]
    if marked:
        ax_ll.plot(
            np.array(marked) + 1,
            ll[marked],
            "o",
            ms=7,
            mfc="none",
            color="black",
            label="drawn above",
        )
        ax_ll.legend(loc="lower right")
    ax_ll.set(
        xlabel="iteration t (θ⁽ᵗ⁾; t = 1 is the start)",
        ylabel="log p(x | θ⁽ᵗ⁾)  (nats)",
        title=f"{title}: the log-likelihood never decreases",
    )
    keep = gap > 0
    ax_gap.semilogy(t[keep], gap[keep], "o-", ms=3, color=COLORS["bound"], lw=1.5)
    ax_gap.set(
        xlabel="iteration t",
        ylabel="ℓ(final) − ℓ(θ⁽ᵗ⁾)  (nats, log scale)",
        title="distance to the limit (log scale)",
    )
    describe(
        fig,
        (
            f"Left: the log-likelihood of {title} against the iteration, rising from {ll[0]:.1f} to "
            f"{ll[-1]:.1f} nats in {trace.n_iter} iterations and never going down. Right: the "
            f"distance to the final value on a log scale, falling to {gap[keep].min():.0e} nats."
        ),
    )
    return fig

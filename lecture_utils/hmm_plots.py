"""Pictures of the fish model (slide 6): the filter's predict -> update, and the smoothed
posterior over a grid of (sigma, lambda). The numbers come from :mod:`lecture_utils.hmm`; this
module only draws them (it is the only fish module that imports matplotlib)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lecture_utils import hmm
from lecture_utils.hmm import FilterSteps
from lecture_utils.plotting import COLORS, describe

__all__ = [
    "draw_filter_step",
    "draw_sweep",
    "filter_zoom",
    "fish_filter_figure",
    "fish_sweep_figure",
]


def draw_filter_step(ax, frames: FilterSteps, t: int, legend: bool = True) -> dict:
    """Predict -> update at time index t (0-based) on ``ax``; returns the artists."""
    g = frames.grid
    artists = {
        "predicted": ax.plot(
            g,
            frames.predicted[t],
            color=COLORS["filtered"],
            ls="--",
            lw=1.5,
            label=r"predict: $p(z_t \mid x_{1:t-1})$",
        )[0],
        "likelihood": ax.plot(
            g,
            frames.likelihood[t],
            color=COLORS["data"],
            lw=1.2,
            label=r"count: $p(x_t \mid z_t)$, normalised",
        )[0],
        "filtered": ax.plot(
            g,
            frames.filtered[t],
            color=COLORS["filtered"],
            lw=2.2,
            label=r"update: $p(z_t \mid x_{1:t})$",
        )[0],
    }
    if frames.truth is not None:
        artists["truth"] = ax.axvline(
            frames.truth[t], color=COLORS["truth"], lw=1, ls=":", label="true $z_t$"
        )
    top = max(frames.filtered.max(), frames.predicted.max(), frames.likelihood.max())
    lo, hi = filter_zoom(frames)
    ax.set(
        xlim=(lo, hi),
        ylim=(0, 1.08 * top),
        xlabel="population $z_t$ (fish)",
        ylabel="density (per fish)",
    )
    if legend:
        ax.legend(loc="upper right", fontsize=8)
    return artists


def filter_zoom(frames: FilterSteps) -> tuple[float, float]:
    """The populations where any of the belief curves is visible."""
    mass = np.maximum(frames.filtered.max(axis=0), frames.predicted.max(axis=0))
    visible = frames.grid[mass > 1e-3 * mass.max()]
    pad = 0.05 * (visible[-1] - visible[0])
    return visible[0] - pad, visible[-1] + pad


def fish_filter_figure(post, x, lam: float, truth=None, times=(1, 2, 10, 30)) -> Figure:
    """Static small multiples of the predict -> update explorer, at the 1-based ``times``."""
    frames = hmm.filter_steps(post, x, lam, truth)
    fig = Figure(figsize=(3.0 * len(times), 3.2), layout="constrained")
    axes = fig.subplots(1, len(times), sharey=True)
    for k, (ax, t) in enumerate(zip(np.atleast_1d(axes), times)):
        draw_filter_step(ax, frames, t - 1, legend=False)
        ax.set_title(f"t = {t}: count $x_t$ = {frames.x[t - 1]}", fontsize=10)
        if k:
            ax.set_ylabel("")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    return describe(
        fig,
        "The filter's predict and update at times "
        + ", ".join(str(t) for t in times)
        + ": the predicted belief about the "
        "population (dashed), the count's likelihood and the updated belief.",
    )


def draw_sweep(ax, sweep, i: int, j: int, x, truth=None, legend: bool = True) -> dict:
    steps = np.arange(1, sweep.mean.shape[-1] + 1)
    lam = sweep.lams[j]
    artists = {
        "band": ax.fill_between(
            steps,
            sweep.lower[i, j],
            sweep.upper[i, j],
            color=COLORS["smoothed"],
            alpha=0.25,
            lw=0,
            label="smoothed 90% band",
        ),
        "mean": ax.plot(
            steps, sweep.mean[i, j], color=COLORS["smoothed"], lw=2, label="smoothed mean"
        )[0],
        "data": ax.plot(
            steps, np.asarray(x) / lam, ".", color=COLORS["data"], ms=4, label=r"count / $\lambda$"
        )[0],
    }
    if truth is not None:
        artists["truth"] = ax.plot(steps, truth, color=COLORS["truth"], lw=1, label="true $z_t$")[0]
    top = max(sweep.upper.max(), (np.asarray(x) / sweep.lams.min()).max())
    bottom = min(sweep.lower.min(), (np.asarray(x) / sweep.lams.max()).min())
    ax.set(
        xlim=(0.5, steps[-1] + 0.5),
        ylim=(0.95 * bottom, 1.05 * top),
        xlabel="time $t$",
        ylabel="population (fish)",
    )
    if legend:
        ax.legend(loc="upper left", ncol=2, fontsize=8)
    return artists


def fish_sweep_figure(sweep, x, truth=None, sigma_index=(0, -1), lam_index=(0, -1)) -> Figure:
    """Static small multiples of the sigma/lam explorer: rows sigma, columns lam."""
    si = [range(len(sweep.sigmas))[k] for k in sigma_index]
    lj = [range(len(sweep.lams))[k] for k in lam_index]
    fig = Figure(figsize=(3.3 * len(lj), 2.6 * len(si) + 0.5), layout="constrained")
    axes = np.array(fig.subplots(len(si), len(lj), sharex=True, sharey=True)).reshape(
        len(si), len(lj)
    )
    for r, i in enumerate(si):
        for c, j in enumerate(lj):
            ax = axes[r, c]
            draw_sweep(ax, sweep, i, j, x, truth, legend=False)
            ax.set_title(
                f"σ = {sweep.sigmas[i]:.3g}, λ = {sweep.lams[j]:.3g}\n"
                f"log-lik {sweep.log_likelihood[i, j]:.1f}",
                fontsize=9,
            )
            if r < len(si) - 1:
                ax.set_xlabel("")
            if c:
                ax.set_ylabel("")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    return describe(
        fig,
        f"Smoothed posterior of the fish population over time, mean and 90% "
        f"band, for {len(si)} values of sigma (rows) and {len(lj)} of lambda "
        "(columns), with the counts divided by lambda.",
    )


def _half(values: np.ndarray) -> float:
    return float(values[1] - values[0]) / 2 if len(values) > 1 else 0.5

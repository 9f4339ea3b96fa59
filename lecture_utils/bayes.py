"""Conjugate Bayesian updates for the recap (slide 2) and partial pooling (slide 5).

Two conjugate pairs, both on the heights data of the lecture:

- **Beta–Bernoulli**: :math:`\\pi \\sim \\mathrm{Beta}(a, b)`, :math:`z_i \\mid \\pi \\sim
  \\mathrm{Bernoulli}(\\pi)` gives :math:`\\pi \\mid z_{1:n} \\sim \\mathrm{Beta}(a + k, b + n - k)`
  with :math:`k = \\sum_i z_i`.
- **Normal–Normal** (known :math:`\\sigma`): :math:`\\mu \\sim \\mathcal N(m_0, s_0^2)`,
  :math:`x_i \\mid \\mu \\sim \\mathcal N(\\mu, \\sigma^2)` gives :math:`\\mu \\mid x_{1:n} \\sim
  \\mathcal N(m_n, s_n^2)` with :math:`1/s_n^2 = 1/s_0^2 + n/\\sigma^2` and
  :math:`m_n = s_n^2 (m_0/s_0^2 + \\sum_i x_i/\\sigma^2)`.

Point estimates: MAP (the posterior mode), LMSE (the posterior mean: it minimises the expected
squared error) and the MLE (no prior at all). :func:`grid_posterior` is the brute-force check:
prior times likelihood evaluated on a grid and normalised numerically, no conjugacy used.

:func:`eight_schools_posterior` is the normal hierarchical model of slide 5 on Rubin's (1981)
eight-schools data, with :math:`\\theta_j` and :math:`\\mu` integrated out in closed form and
:math:`\\tau` on a grid (Gelman et al., *Bayesian Data Analysis*, 3rd ed., section 5.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from lecture_utils._validate import is_real
from lecture_utils.plotting import COLORS
from lecture_utils.plotting import describe as _describe_figure

__all__ = [
    "BetaDist",
    "NormalDist",
    "PosteriorPath",
    "beta_bernoulli_posterior",
    "normal_normal_posterior",
    "beta_bernoulli_path",
    "normal_normal_path",
    "grid_posterior",
    "EightSchoolsPosterior",
    "eight_schools_posterior",
]


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


def _positive(value: float, name: str) -> float:
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def _finite(value: float, name: str) -> float:
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


def _data(x, name: str, *, binary: bool = False, allow_empty: bool = True) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    arr = arr.astype(float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or infinity")
    if binary and not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must hold only 0s and 1s (Bernoulli outcomes)")
    return arr


# ---------------------------------------------------------------------------------------------
# the two conjugate families
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BetaDist:
    """A Beta(a, b) distribution on [0, 1]: a prior or posterior for a probability."""

    a: float
    b: float

    def __post_init__(self) -> None:
        _positive(self.a, "a")
        _positive(self.b, "b")

    @property
    def mean(self) -> float:
        """The posterior mean: the LMSE estimate."""
        return self.a / (self.a + self.b)

    @property
    def mode(self) -> float:
        """The mode: the MAP estimate. At a boundary when ``a <= 1`` or ``b <= 1``; not unique
        (``ValueError``) when both are ``<= 1``."""
        if self.a > 1 and self.b > 1:
            return (self.a - 1) / (self.a + self.b - 2)
        if self.a <= 1 < self.b:
            return 0.0
        if self.b <= 1 < self.a:
            return 1.0
        raise ValueError(f"Beta({self.a}, {self.b}) has no unique mode (a <= 1 and b <= 1)")

    @property
    def var(self) -> float:
        s = self.a + self.b
        return self.a * self.b / (s * s * (s + 1))

    def pdf(self, t) -> np.ndarray:
        return stats.beta.pdf(np.asarray(t, dtype=float), self.a, self.b)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The central credible interval holding ``level`` of the probability."""
        lo, hi = stats.beta.interval(level, self.a, self.b)
        return float(lo), float(hi)


@dataclass(frozen=True)
class NormalDist:
    """A normal distribution N(mean, sd^2): a prior or posterior for a mean."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        _finite(self.mean, "mean")
        _positive(self.sd, "sd")

    @property
    def mode(self) -> float:
        """The MAP estimate; for a normal it equals the mean (the LMSE estimate)."""
        return self.mean

    @property
    def var(self) -> float:
        return self.sd**2

    def pdf(self, t) -> np.ndarray:
        return stats.norm.pdf(np.asarray(t, dtype=float), self.mean, self.sd)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        lo, hi = stats.norm.interval(level, self.mean, self.sd)
        return float(lo), float(hi)


def beta_bernoulli_posterior(prior: BetaDist, z) -> BetaDist:
    """Posterior of :math:`\\pi` after the 0/1 outcomes ``z``: Beta(a + k, b + n - k)."""
    if not isinstance(prior, BetaDist):
        raise TypeError(f"prior must be a BetaDist, got {type(prior).__name__}")
    z = _data(z, "z", binary=True)
    k = z.sum()
    return BetaDist(prior.a + k, prior.b + z.size - k)


def normal_normal_posterior(prior: NormalDist, x, sigma: float) -> NormalDist:
    """Posterior of the mean :math:`\\mu` after ``x``, each :math:`\\mathcal N(\\mu, \\sigma^2)`
    with ``sigma`` known: precisions add, the mean is the precision-weighted average."""
    if not isinstance(prior, NormalDist):
        raise TypeError(f"prior must be a NormalDist, got {type(prior).__name__}")
    x = _data(x, "x")
    sigma = _positive(sigma, "sigma")
    precision = 1 / prior.var + x.size / sigma**2
    mean = (prior.mean / prior.var + x.sum() / sigma**2) / precision
    return NormalDist(float(mean), float(np.sqrt(1 / precision)))


# ---------------------------------------------------------------------------------------------
# posteriors after the first n data points, n = 1..N (for "how they converge as n grows")
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PosteriorPath:
    """Estimates after the first ``n`` observations, one entry per ``n`` in ``self.n``.

    ``map``, ``lmse`` (posterior mean) and ``mle`` are point estimates; ``lower``/``upper``
    bound the central 95% credible interval; ``params`` holds the posterior's two parameters
    per n (``(a, b)`` for Beta, ``(mean, sd)`` for Normal) so a plot can redraw any posterior
    without recomputing.
    """

    n: np.ndarray
    map: np.ndarray
    lmse: np.ndarray
    mle: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    params: np.ndarray  # (N, 2)


def beta_bernoulli_path(prior: BetaDist, z) -> PosteriorPath:
    """Beta posterior of :math:`\\pi` after each prefix ``z[:n]``, n = 1..len(z), vectorised."""
    if not isinstance(prior, BetaDist):
        raise TypeError(f"prior must be a BetaDist, got {type(prior).__name__}")
    z = _data(z, "z", binary=True, allow_empty=False)
    n = np.arange(1, z.size + 1)
    k = np.cumsum(z)
    a, b = prior.a + k, prior.b + n - k
    # after one observation a > 1 or b > 1, so the mode is always unique here
    interior = (a > 1) & (b > 1)
    mode = np.where(
        interior, (a - 1) / np.where(interior, a + b - 2, 1.0), np.where(a <= 1, 0.0, 1.0)
    )
    lower, upper = stats.beta.interval(0.95, a, b)
    return PosteriorPath(n, mode, a / (a + b), k / n, lower, upper, np.column_stack([a, b]))


def normal_normal_path(prior: NormalDist, x, sigma: float) -> PosteriorPath:
    """Normal posterior of :math:`\\mu` after each prefix ``x[:n]``, n = 1..len(x), vectorised."""
    if not isinstance(prior, NormalDist):
        raise TypeError(f"prior must be a NormalDist, got {type(prior).__name__}")
    x = _data(x, "x", allow_empty=False)
    sigma = _positive(sigma, "sigma")
    n = np.arange(1, x.size + 1)
    precision = 1 / prior.var + n / sigma**2
    mean = (prior.mean / prior.var + np.cumsum(x) / sigma**2) / precision
    sd = np.sqrt(1 / precision)
    lower, upper = stats.norm.interval(0.95, mean, sd)
    return PosteriorPath(n, mean, mean, np.cumsum(x) / n, lower, upper, np.column_stack([mean, sd]))


# ---------------------------------------------------------------------------------------------
# the brute-force check
# ---------------------------------------------------------------------------------------------


def grid_posterior(grid, log_prior, log_likelihood) -> np.ndarray:
    """Posterior density on ``grid`` by brute force: ``exp(log_prior + log_likelihood)``,
    normalised with the trapezoid rule. Uses nothing about conjugacy.

    Parameters
    ----------
    grid : array (G,)
        Increasing parameter values.
    log_prior : array (G,)
        Log prior density at each grid point (``-inf`` allowed where the prior is zero).
    log_likelihood : array (G,)
        Total log-likelihood of the data at each grid point.
    """
    grid = _data(grid, "grid", allow_empty=False)
    if grid.size < 3 or np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be strictly increasing with at least 3 points")
    logs = []
    for name, v in (("log_prior", log_prior), ("log_likelihood", log_likelihood)):
        v = np.asarray(v, dtype=float)
        if v.shape != grid.shape:
            raise ValueError(f"{name} must have the grid's shape {grid.shape}, got {v.shape}")
        if np.any(np.isnan(v)) or np.any(v == np.inf):
            raise ValueError(f"{name} must not contain NaN or +inf")
        logs.append(v)
    log_post = logs[0] + logs[1]
    if np.all(log_post == -np.inf):
        raise ValueError("log_prior + log_likelihood is -inf everywhere on the grid")
    log_norm = logsumexp(log_post, b=_trapezoid_weights(grid))  # log of the integral, stably
    return np.exp(log_post - log_norm)


# ---------------------------------------------------------------------------------------------
# slide 5: the eight schools (partial pooling)
# ---------------------------------------------------------------------------------------------

# The data (Rubin 1981; BDA3 Table 5.2) ship in data/eight_schools.csv:
# lecture_utils.data.load_eight_schools().


@dataclass(frozen=True)
class EightSchoolsPosterior:
    """The normal hierarchical model with a flat prior on ``mu`` and on ``tau``.

    ``tau_grid`` (G,), ``p_tau`` (G,) the marginal posterior density of tau,
    ``theta_mean_given_tau`` / ``theta_sd_given_tau`` (G, J), and ``theta_mean``/``theta_sd``
    (J,) the marginal posterior of each school's effect (averaged over tau).
    """

    tau_grid: np.ndarray
    p_tau: np.ndarray
    theta_mean_given_tau: np.ndarray
    theta_sd_given_tau: np.ndarray
    theta_mean: np.ndarray
    theta_sd: np.ndarray


def eight_schools_posterior(y, se, tau_grid) -> EightSchoolsPosterior:
    """Partial pooling in :math:`y_j \\sim \\mathcal N(\\theta_j, \\sigma_j^2)`,
    :math:`\\theta_j \\sim \\mathcal N(\\mu, \\tau^2)`, flat priors on :math:`\\mu` and
    :math:`\\tau > 0` (BDA3 section 5.4, equations 5.17-5.21).

    Given :math:`\\tau`: :math:`\\hat\\mu = \\sum_j w_j y_j / \\sum_j w_j` with
    :math:`w_j = 1/(\\sigma_j^2 + \\tau^2)`, :math:`V_\\mu = 1/\\sum_j w_j`, and
    :math:`p(\\tau \\mid y) \\propto V_\\mu^{1/2} \\prod_j w_j^{1/2}
    \\exp(-w_j (y_j - \\hat\\mu)^2 / 2)`. Each school's effect is shrunk towards
    :math:`\\hat\\mu`: :math:`E[\\theta_j \\mid \\tau, y] = (y_j/\\sigma_j^2 + \\hat\\mu/\\tau^2)
    / (1/\\sigma_j^2 + 1/\\tau^2)`.
    """
    y = _data(y, "y", allow_empty=False)
    se = _data(se, "se", allow_empty=False)
    if se.shape != y.shape:
        raise ValueError(f"se must have the shape of y {y.shape}, got {se.shape}")
    if np.any(se <= 0):
        raise ValueError("se must be > 0 (standard errors)")
    tau = _data(tau_grid, "tau_grid", allow_empty=False)
    if tau.size < 3 or np.any(np.diff(tau) <= 0) or tau[0] <= 0:
        raise ValueError("tau_grid must be strictly increasing, > 0, with at least 3 points")
    t2 = tau[:, None] ** 2
    w = 1 / (se**2 + t2)  # (G, J)
    v_mu = 1 / w.sum(axis=1)  # (G,)
    mu_hat = v_mu * (w * y).sum(axis=1)
    log_p = (
        0.5 * np.log(v_mu)
        + 0.5 * np.log(w).sum(axis=1)
        - 0.5 * (w * (y - mu_hat[:, None]) ** 2).sum(axis=1)
    )
    p_tau = grid_posterior(tau, np.zeros_like(tau), log_p)
    prec = 1 / se**2 + 1 / t2
    shrink = (1 / t2) / prec  # weight on mu_hat, (G, J)
    mean = (y / se**2 + mu_hat[:, None] / t2) / prec
    var = 1 / prec + shrink**2 * v_mu[:, None]
    weights = _trapezoid_weights(tau) * p_tau
    weights = weights / weights.sum()
    theta_mean = weights @ mean
    theta_var = weights @ (var + mean**2) - theta_mean**2
    return EightSchoolsPosterior(tau, p_tau, mean, np.sqrt(var), theta_mean, np.sqrt(theta_var))


def _trapezoid_weights(grid: np.ndarray) -> np.ndarray:
    w = np.empty_like(grid)
    w[1:-1] = (grid[2:] - grid[:-2]) / 2
    w[0], w[-1] = (grid[1] - grid[0]) / 2, (grid[-1] - grid[-2]) / 2
    return w


# ---------------------------------------------------------------------------------------------
# figures for notebook 01 (the static companions of the explorers)
# ---------------------------------------------------------------------------------------------

#: colour and line style of each point estimate, shared with the explorers
ESTIMATE_STYLES = {
    name: (COLORS[name], ls) for name, ls in (("MAP", "-"), ("LMSE", "--"), ("MLE", ":"))
}


def plot_posterior(ax, grid, prior, posterior, mle: float, *, legend: bool = False) -> None:
    """Prior (dashed), posterior (solid) and the MAP, LMSE and MLE as vertical lines."""
    grid = np.asarray(grid, dtype=float)
    ax.plot(grid, prior.pdf(grid), "--", color="0.5", lw=1.2, label="prior")
    ax.plot(grid, posterior.pdf(grid), color=COLORS["bound"], lw=2, label="posterior")
    for name, value in (("MAP", posterior.mode), ("LMSE", posterior.mean), ("MLE", mle)):
        color, ls = ESTIMATE_STYLES[name]
        ax.axvline(value, color=color, ls=ls, lw=1.5, label=name)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(0, None)
    if legend:
        ax.legend(loc="upper left", fontsize=8)


def posterior_small_multiples(priors, ns, data, update, grid, *, xlabel: str, describe):
    """A grid of panels: one row per prior, one column per ``n`` (the first ``n`` of ``data``).

    ``update(prior, data[:n])`` returns the posterior; ``describe(prior)`` titles a row.
    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    data = np.asarray(data, dtype=float)
    fig, axes = plt.subplots(
        len(priors), len(ns), figsize=(2.6 * len(ns), 2.0 * len(priors)), sharex=True, squeeze=False
    )
    for r, prior in enumerate(priors):
        for c, n in enumerate(ns):
            ax = axes[r, c]
            plot_posterior(
                ax,
                grid,
                prior,
                update(prior, data[:n]),
                float(data[:n].mean()),
                legend=(r == 0 and c == 0),
            )
            ax.tick_params(axis="y", labelsize=7)  # each panel its own density scale
            if r == 0:
                ax.set_title(f"n = {n}")
            if c == 0:
                ax.set_ylabel(f"{describe(prior)}\ndensity", fontsize=9)
            if r == len(priors) - 1:
                ax.set_xlabel(xlabel)
    rows = "; ".join(" ".join(describe(prior).split()) for prior in priors)
    return _describe_figure(
        fig,
        (
            f"Grid of {len(priors)} by {len(ns)} panels of densities over {xlabel}: one row per "
            f"prior ({rows}), one column per number of observations n = "
            f"{', '.join(str(n) for n in ns)}. Each panel shows the prior (dashed grey), the "
            "posterior (solid) and the MAP (solid), LMSE (dashed) and MLE (dotted) estimates as "
            "vertical lines; with more data the posteriors of all priors narrow onto the same value."
        ),
    )

"""The fish-population hidden Markov model of slide 6, and the discrete Poisson HMM under it.

The slide's model, indexed as in the lecture (slide 6): :math:`z_0 \\sim \\mathcal N(\\mu, \\sigma^2)`
is the unobserved starting population; for :math:`t = 1, \\dots, T`

.. math::
    z_t \\mid z_{t-1} \\sim \\mathcal N(z_{t-1}, \\sigma^2), \\qquad
    x_t \\mid z_t \\sim \\mathrm{Poisson}(\\lambda z_t),

where :math:`\\lambda` is the fraction of the pond sampled times the detection probability.

**Below zero: truncation.** A Gaussian walk can step below zero, where a population and a
Poisson rate make no sense. Here every Gaussian of the model is *truncated* to
:math:`z \\ge 0` (conditioned on staying non-negative): :math:`z_0` and every step are drawn
from the normal restricted to :math:`[0, \\infty)` and renormalised. We chose truncation
because (i) it is the slide's model conditioned on the one thing we know, a population is
non-negative, so where the slide's model is sensible (:math:`\\mu \\gg \\sigma`) nothing changes;
(ii) it is exactly what a transition "N(g_j; g_i, sigma^2) normalised over a grid on z >= 0"
computes, so :func:`simulate_fish`, :func:`fish_posterior`, :func:`fit_fish_em` and
:func:`particle_filter` all describe one and the same model; (iii) reflecting would fold the
mass below zero back up (a different density near 0), and refusing would make simulation
fail at random.

Contents: the discrete Poisson HMM (:func:`forward_backward`, scaled, stable for long
series; :func:`brute_force_log_likelihood` for tiny checks); the fish model on a grid
(:func:`default_grid`, :func:`fish_posterior`, :func:`fit_fish_em`); simulation
(:func:`simulate_fish`) and a bootstrap particle filter (:func:`particle_filter`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse, stats
from scipy.special import gammaln, log_ndtr, logsumexp, ndtri_exp

from lecture_utils._validate import as_generator, finite, is_int, positive

__all__ = [
    "FishPosterior",
    "FishEMTrace",
    "ParticleFilterResult",
    "forward_backward",
    "brute_force_log_likelihood",
    "simulate_fish",
    "default_grid",
    "fish_transition",
    "fish_posterior",
    "fit_fish_em",
    "particle_filter",
    "FishSweep",
    "posterior_sweep",
    "PondErrors",
    "filter_smoother_errors",
    "FilterSteps",
    "filter_steps",
]

#: Probability mass the posterior may put next to an open end of the grid.
COVERAGE_TOL = 1e-6
#: Sum-to-one tolerance for probability vectors given by the caller.
_PROB_TOL = 1e-8


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _as_counts(x, name: str = "x") -> np.ndarray:
    """A 1-D array of non-negative integer counts, or a clear error."""
    arr = np.asarray(x)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} must be an array of integer counts, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of counts, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite counts; it contains NaN or inf")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative counts; found {arr.min()}")
    if np.any(arr != np.round(arr)):
        bad = arr[arr != np.round(arr)][0]
        raise ValueError(f"{name} must be integer counts; found the non-integer {bad}")
    return arr.astype(np.int64)


_positive, _finite, _check_rng = positive, finite, as_generator  # lecture_utils._validate


def _check_hmm(start_prob, trans_mat, rates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    start = np.asarray(start_prob, dtype=float)
    trans = np.asarray(trans_mat, dtype=float)
    lam = np.asarray(rates, dtype=float)
    if start.ndim != 1 or start.size < 1:
        raise ValueError(
            f"start_prob must be a 1-D array of K >= 1 probabilities, got shape {start.shape}"
        )
    K = start.size
    if trans.shape != (K, K):
        raise ValueError(f"trans_mat must have shape (K, K) = ({K}, {K}), got {trans.shape}")
    if lam.shape != (K,):
        raise ValueError(f"rates must have shape (K,) = ({K},), got {lam.shape}")
    for arr, name in ((start, "start_prob"), (trans, "trans_mat"), (lam, "rates")):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite; it contains NaN or inf")
        if np.any(arr < 0):
            raise ValueError(f"{name} must be non-negative; found {arr.min()}")
    if abs(start.sum() - 1) > _PROB_TOL:
        raise ValueError(f"start_prob must sum to 1, sums to {start.sum()!r}")
    rows = trans.sum(axis=1)
    if np.any(np.abs(rows - 1) > _PROB_TOL):
        i = int(np.argmax(np.abs(rows - 1)))
        raise ValueError(f"trans_mat rows must sum to 1; row {i} sums to {rows[i]!r}")
    return start, trans, lam


# ---------------------------------------------------------------------------------------------
# Discrete Poisson HMM
# ---------------------------------------------------------------------------------------------


def _poisson_loglik(x: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """log Poisson(x_t; rate_k), shape (T, K); a zero rate gives 0 for x = 0 and -inf above."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rates = np.log(rates)
        out = np.multiply.outer(x.astype(float), log_rates)  # x_t log(rate_k)
    out[x == 0] = 0.0  # 0 * log 0 = 0
    out -= rates[None, :]
    out -= gammaln(x + 1.0)[:, None]
    return out


@dataclass(frozen=True)
class _Passes:
    """Scaled forward-backward quantities (Rabiner's scaling).

    ``alpha[t] = p(z_t | x_1..t)`` (filtered), ``beta[t]`` proportional to ``p(x_t+1..T | z_t)``
    (rescaled to max 1 each step, so it never overflows), ``scale[t] = p(x_t | x_1..t-1) /
    exp(shift[t])``, ``emit[t, k] = p(x_t | z_t=k) / exp(shift[t])``.
    """

    alpha: np.ndarray
    beta: np.ndarray
    scale: np.ndarray
    emit: np.ndarray
    shift: np.ndarray

    @property
    def log_likelihood(self) -> float:
        return float(np.sum(np.log(self.scale)) + np.sum(self.shift))

    @property
    def posteriors(self) -> np.ndarray:
        post = self.alpha * self.beta
        return post / post.sum(axis=1, keepdims=True)


#: Emission probabilities below this fraction of their time step's maximum are treated as 0.
_SKIP = 1e-20
#: ... provided that provably changes p(x) by less than this (relative), else all is dense.
_SKIP_TOL = 1e-12


def _passes(log_emit: np.ndarray, start: np.ndarray, trans: np.ndarray) -> _Passes:
    """Forward and backward recursions, each step one vector-matrix product, scaled to sum 1.

    The products are memory-bound (each reads the K x K matrix), so they read only the block
    of states the counts allow: at time t the states whose emission probability is at least
    _SKIP times the step's largest (a contiguous range ``cols[t]`` covering them). Dropping
    the others changes each :math:`c_t` by at most ``_SKIP`` (emissions <= 1, the predicted
    belief sums to 1); likewise the forward product skips the rows where the last filtered
    belief is below ``_SKIP`` of its maximum (at most ``K * _SKIP`` of mass), and the columns
    outside the matrix's band (the entries further from the diagonal than ``band`` are all
    below ``_SKIP``: at most ``K * _SKIP`` more). So :math:`\\log p(x)` changes by at most
    :math:`\\sum_t (2K+1)\\,\\text{\\_SKIP}/c_t`; if that bound exceeds _SKIP_TOL the passes
    are redone densely. The backward product likewise reads only the states where its message
    is at least ``_SKIP`` of its maximum, each step checked to move the posterior's normaliser
    by less than 1e-15 relative (else that step is dense).
    """
    T, K = log_emit.shape
    shift = log_emit.max(axis=1)
    if not np.all(np.isfinite(shift)):
        t = int(np.argmin(np.isfinite(shift)))
        raise ValueError(
            f"x[{t}] is impossible under the model (every state has probability 0 "
            "of producing it); check x and rates"
        )
    emit = np.exp(log_emit - shift[:, None])  # max 1 in every row
    big = emit >= _SKIP
    first = np.argmax(big, axis=1)
    last = K - np.argmax(big[:, ::-1], axis=1)
    if np.mean(last - first) > 0.6 * K:  # nothing to gain
        first, last = np.zeros(T, int), np.full(T, K)
    # bandwidth: entries of trans further than `band` from the diagonal are all < _SKIP
    offdiag = np.abs(np.subtract.outer(np.arange(K), np.arange(K)))
    band = int(offdiag[trans >= _SKIP].max(initial=0))
    for dense in (False, True):
        if dense:
            first, last = np.zeros(T, int), np.full(T, K)
        cols = [slice(int(lo), int(hi)) for lo, hi in zip(first, last)]
        alpha = np.zeros((T, K))
        scale = np.empty(T)
        bound = 0.0
        for t in range(T):
            c = cols[t]
            if t == 0:
                pred = start[c]
            else:  # rows: where the last belief is >= _SKIP of its max (skipped <= K * _SKIP)
                r = cols[t - 1]
                prev = alpha[t - 1, r]
                keep = np.flatnonzero(prev >= _SKIP * prev.max())
                r = slice(r.start + keep[0], r.start + keep[-1] + 1)
                # columns: only those within the band of the kept rows (the rest < _SKIP)
                lo, hi = max(c.start, r.start - band), min(c.stop, r.stop + band)
                if not dense and hi - lo < c.stop - c.start:
                    pred = np.zeros(c.stop - c.start)
                    if hi > lo:
                        pred[lo - c.start : hi - c.start] = alpha[t - 1, r] @ trans[r, lo:hi]
                else:
                    pred = alpha[t - 1, r] @ trans[r, c]
            a = pred * emit[t, c]
            scale[t] = a.sum()
            if not scale[t] > 0:
                if not dense:
                    break
                raise ValueError(
                    f"x[{t}] is impossible under the model given x[:{t}] "
                    "(probability 0); check x, trans_mat and rates"
                )
            alpha[t, c] = a / scale[t]
            bound += (2 * K + 1) * _SKIP / scale[t]
        else:
            if dense or bound <= _SKIP_TOL:
                break
    beta = np.zeros((T, K))
    beta[-1, cols[-1]] = 1.0
    for t in range(T - 2, -1, -1):
        c, n = cols[t], cols[t + 1]
        w = emit[t + 1, n] * beta[t + 1, n]
        keep = np.flatnonzero(w >= _SKIP * w.max())
        m = slice(keep[0], keep[-1] + 1)
        b = trans[c, n][:, m] @ w[m]
        # skipping w_j < _SKIP max(w) moves each b_i by at most _SKIP max(w) (rows sum to 1):
        # keep it only if that is negligible against sum_i alpha_t(i) b_i, the posterior's scale
        if m.stop - m.start < w.size and _SKIP * w.max() > 1e-3 * _SKIP_TOL * (alpha[t, c] @ b):
            b = trans[c, n] @ w
        beta[t, c] = b / b.max()  # any positive scale will do: only ratios are used
    return _Passes(alpha, beta, scale, emit, shift)


def forward_backward(x, start_prob, trans_mat, rates) -> tuple[float, np.ndarray]:
    """Forward-backward for a discrete-state Poisson HMM.

    Parameters
    ----------
    x : array_like of int, shape (T,)
        Observed counts :math:`x_1, \\dots, x_T`.
    start_prob : array_like, shape (K,)
        :math:`p(z_1 = k)`.
    trans_mat : array_like, shape (K, K)
        :math:`A_{ij} = p(z_{t+1} = j \\mid z_t = i)`; rows sum to 1.
    rates : array_like, shape (K,)
        Poisson rates: :math:`x_t \\mid z_t = k \\sim \\mathrm{Poisson}(\\text{rates}_k)`.

    Returns
    -------
    log_likelihood : float
        Total :math:`\\log p(x_1, \\dots, x_T)`.
    posteriors : ndarray, shape (T, K)
        :math:`p(z_t = k \\mid x_1, \\dots, x_T)`.

    Notes
    -----
    Scaled recursions: :math:`\\hat\\alpha_t = (\\hat\\alpha_{t-1} A) \\circ b_t / c_t` with
    :math:`c_t = p(x_t \\mid x_{1:t-1})`, so :math:`\\log p(x) = \\sum_t \\log c_t`; each step is
    one vector-matrix product, :math:`O(TK^2)` in all, and nothing under- or overflows for long
    series (emission rows are also shifted by their maximum, so huge counts are fine). Each
    product reads only the states a count allows (emission probability at least 1e-20 of the
    step's largest), when that provably changes :math:`\\log p(x)` by less than 1e-12;
    otherwise every product is dense.
    """
    x = _as_counts(x)
    start, trans, lam = _check_hmm(start_prob, trans_mat, rates)
    p = _passes(_poisson_loglik(x, lam), start, trans)
    return p.log_likelihood, p.posteriors


def brute_force_log_likelihood(x, start_prob, trans_mat, rates) -> float:
    """:math:`\\log p(x)` by summing over all :math:`K^T` state paths (tiny problems only).

    The definition, term by term: :math:`p(x) = \\sum_{z_1..z_T} p(z_1) b_{z_1}(x_1)
    \\prod_{t \\ge 2} A_{z_{t-1} z_t} b_{z_t}(x_t)`. Refuses more than 10^6 paths.
    """
    x = _as_counts(x)
    start, trans, lam = _check_hmm(start_prob, trans_mat, rates)
    T, K = x.size, start.size
    if K**T > 10**6:
        raise ValueError(f"brute force over K**T = {K}**{T} paths is too many (limit 10**6)")
    log_emit = _poisson_loglik(x, lam)
    with np.errstate(divide="ignore"):
        log_start, log_trans = np.log(start), np.log(trans)
    paths = np.array(list(itertools.product(range(K), repeat=T)))  # (K**T, T)
    terms = (
        log_start[paths[:, 0]]
        + log_emit[np.arange(T), paths].sum(axis=1)
        + log_trans[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    )
    return float(logsumexp(terms))


# ---------------------------------------------------------------------------------------------
# The fish model: simulation
# ---------------------------------------------------------------------------------------------


def _truncated_normal(loc, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Draws from N(loc, sigma^2) truncated to [0, inf), one per loc, by the inverse CDF.

    The same draw as ``scipy.stats.truncnorm.rvs(-loc/sigma, inf, loc, sigma, random_state=rng)``
    (one uniform per draw, the same log-scale formulas; equal to ~1e-13, a test checks it),
    written out because scipy's per-call overhead (~2 ms) made simulating hundreds of ponds,
    one scalar step at a time, take most of a minute. With :math:`a = -\\text{loc}/\\sigma`,
    :math:`u \\sim U(0, 1)`: for :math:`a < 0`, :math:`\\Phi(y) = \\Phi(a) + u\\,\\Phi(-a)`;
    otherwise :math:`1 - \\Phi(y) = (1 - u)\\,\\Phi(-a)` (the upper tail, no cancellation).
    """
    loc = np.asarray(loc, dtype=float)
    return _truncated_normal_from(loc, sigma, rng.uniform(size=loc.shape))


def _truncated_normal_from(loc, sigma: float, u):
    """The inverse CDF of N(loc, sigma^2) truncated to [0, inf), at the uniforms ``u``."""
    a = -loc / sigma
    with np.errstate(divide="ignore"):
        tail = log_ndtr(-a)  # log P(Y >= a)
        left = ndtri_exp(np.logaddexp(log_ndtr(a), np.log(u) + tail))
        right = -ndtri_exp(np.log1p(-u) + tail)
    return loc + sigma * np.where(a < 0, left, right)


def simulate_fish(
    T: int, lam: float, mu: float, sigma: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate the fish population and the counts, slide 6.

    :math:`z_0 \\sim \\mathcal N(\\mu, \\sigma^2)`, :math:`z_t \\sim \\mathcal N(z_{t-1}, \\sigma^2)`,
    each **truncated to** :math:`z \\ge 0` (a population is never negative; see the module
    docstring for why truncation rather than reflecting or refusing), and
    :math:`x_t \\sim \\mathrm{Poisson}(\\lambda z_t)`.

    Parameters
    ----------
    T : int
        Number of observed steps (>= 1).
    lam : float
        Fraction of the pond sampled times detection probability (> 0).
    mu, sigma : float
        Mean of :math:`z_0` (>= 0) and the step standard deviation (> 0).
    rng : numpy.random.Generator

    Returns
    -------
    z : ndarray of float, shape (T,)
        The population :math:`z_1, \\dots, z_T` (:math:`z_0` is not returned: it is never observed).
    x : ndarray of int, shape (T,)
        The counts :math:`x_1, \\dots, x_T`.
    """
    if not is_int(T) or T < 1:
        raise ValueError(f"T must be an integer >= 1, got {T!r}")
    lam, sigma = _positive(lam, "lam"), _positive(sigma, "sigma")
    mu = _finite(mu, "mu")
    if mu < 0:
        raise ValueError(f"mu must be >= 0 (a population), got {mu}")
    rng = _check_rng(rng)
    # the T + 1 uniforms of the inverse-CDF draws come first, in one call (the same numbers
    # as T + 1 calls of _truncated_normal); each step then is a few scalar operations
    u = rng.uniform(size=T + 1)
    z = np.empty(T + 1)
    loc = mu
    for t in range(T + 1):
        loc = z[t] = _truncated_normal_from(loc, sigma, u[t])
    x = rng.poisson(lam * z[1:])
    return z[1:], x.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The fish model on a grid
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FishPosterior:
    """The fish model's posterior on a uniform grid of populations.

    Each row of ``predicted``, ``filtered`` and ``smoothed`` is a probability vector over the
    grid cells (sums to 1); divide by the spacing for a density.

    Attributes
    ----------
    log_likelihood : float
        :math:`\\log p(x_1, \\dots, x_T)` (of the counts: a probability, no density units).
    predicted : ndarray (T, G)
        :math:`p(z_t \\mid x_{1:t-1})`, the belief before seeing :math:`x_t` (a property).
    filtered : ndarray (T, G)
        :math:`p(z_t \\mid x_{1:t})`.
    smoothed : ndarray (T, G)
        :math:`p(z_t \\mid x_{1:T})`.
    grid : ndarray (G,)
        The populations.
    smoothed0 : ndarray (G,)
        :math:`p(z_0 \\mid x_{1:T})`, the unobserved start.
    """

    log_likelihood: float
    filtered: np.ndarray
    smoothed: np.ndarray
    grid: np.ndarray
    smoothed0: np.ndarray
    start: np.ndarray = field(repr=False)  # p(z_1) on the grid
    transition: np.ndarray = field(repr=False)  # (G, G), see fish_transition

    @cached_property
    def predicted(self) -> np.ndarray:
        """:math:`p(z_t \\mid x_{1:t-1})`, (T, G): computed on first use."""
        return np.vstack([self.start, self.filtered[:-1] @ self.transition])

    @property
    def spacing(self) -> float:
        return float(self.grid[1] - self.grid[0])

    def mean(self, which: str = "smoothed") -> np.ndarray:
        """Posterior mean of :math:`z_t`, shape (T,); ``which`` is predicted/filtered/smoothed."""
        return getattr(self, which) @ self.grid

    def quantiles(self, q, which: str = "smoothed") -> np.ndarray:
        """Posterior quantiles, shape (len(q), T), interpolated on the cell boundaries."""
        p = getattr(self, which)
        cdf = np.cumsum(p, axis=1)
        edges = self.grid + self.spacing / 2
        return np.array([[np.interp(qq, c, edges) for c in cdf] for qq in np.atleast_1d(q)])


def default_grid(
    x, lam: float, mu: float, sigma: float, spacing: float | None = None
) -> np.ndarray:
    """A uniform grid of populations that covers the posterior, spacing <= sigma/2.

    The range is the union of :math:`\\mu \\pm 6\\sigma` (the start) and of the populations
    each count allows on its own (Poisson with a margin of 4 standard deviations on the square
    root scale, :math:`(\\sqrt{x_t} \\pm 4)^2/\\lambda`), padded by :math:`6\\sigma` and cut at 0.
    Default spacing :math:`\\sigma/4`.
    """
    x = _as_counts(x)
    lam, sigma = _positive(lam, "lam"), _positive(sigma, "sigma")
    mu = _finite(mu, "mu")
    spacing = sigma / 4 if spacing is None else _positive(spacing, "spacing")
    if spacing > sigma / 2:
        raise ValueError(f"spacing must be <= sigma/2 = {sigma / 2}, got {spacing}")
    root = np.sqrt(x)
    lo = min(mu, np.maximum(root.min() - 4, 0) ** 2 / lam) - 6 * sigma
    hi = max(mu, (root.max() + 4) ** 2 / lam) + 6 * sigma
    lo = max(lo, 0.0)
    n = int(np.ceil((hi - lo) / spacing)) + 1
    if n > 20_000:
        raise ValueError(
            f"the default grid would need {n} points (sigma = {sigma} is tiny "
            "next to the range of populations); pass a grid"
        )
    return lo + spacing * np.arange(n)


def _check_grid(grid, sigma: float) -> np.ndarray:
    g = np.asarray(grid, dtype=float)
    if g.ndim != 1 or g.size < 3:
        raise ValueError(f"grid must be a 1-D array of at least 3 populations, got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("grid must be finite; it contains NaN or inf")
    if g[0] < 0:
        raise ValueError(
            f"grid must be >= 0 (populations; the model is truncated at 0), starts at {g[0]}"
        )
    d = np.diff(g)
    if np.any(d <= 0):
        raise ValueError("grid must be strictly increasing")
    if np.ptp(d) > 1e-6 * d.mean():
        raise ValueError("grid must be uniformly spaced (e.g. np.linspace)")
    if d[0] > sigma * (1 + 1e-9):
        raise ValueError(
            f"grid spacing {d[0]:.4g} is too coarse: it must be <= sigma = "
            f"{sigma:.4g} to resolve a step of the walk (sigma/2 or finer is best)"
        )
    return g


def fish_transition(grid: np.ndarray, sigma: float) -> np.ndarray:
    """:math:`A_{ij} \\propto \\mathcal N(g_j; g_i, \\sigma^2)`, each row normalised over the grid.

    On a grid that starts at 0 and covers the posterior this is the truncated walk of
    :func:`simulate_fish`, discretised: each row is the cell probabilities
    :math:`\\approx \\mathcal N(g_j; g_i, \\sigma^2)\\,\\Delta` renormalised.
    """
    d = (grid[None, :] - grid[:, None]) / sigma
    a = np.exp(-0.5 * d * d)
    return a / a.sum(axis=1, keepdims=True)


def _fish_prior(grid: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """p(z_0) on the grid: N(mu, sigma^2) cell probabilities, normalised (truncated)."""
    p = np.exp(-0.5 * ((grid - mu) / sigma) ** 2)
    total = p.sum()
    if not total > 0:
        raise ValueError(
            f"the grid [{grid[0]:.4g}, {grid[-1]:.4g}] does not cover the start "
            f"z_0 ~ N(mu={mu:.4g}, sigma={sigma:.4g}^2)"
        )
    return p / total


@dataclass(frozen=True)
class _FishPasses:
    posterior: FishPosterior
    trans: np.ndarray
    passes: _Passes
    prior0: np.ndarray


def _fish_passes(
    x: np.ndarray, lam: float, mu: float, sigma: float, grid: np.ndarray
) -> _FishPasses:
    trans = fish_transition(grid, sigma)
    prior0 = _fish_prior(grid, mu, sigma)
    start = prior0 @ trans  # p(z_1): one step from z_0
    p = _passes(_poisson_loglik(x, lam * grid), start, trans)
    # p(z_0 | x) = p(z_0) sum_j A_0j b_1(j) beta_1(j) / c_1
    s0 = prior0 * (trans @ (p.emit[0] * p.beta[0])) / p.scale[0]
    post = FishPosterior(p.log_likelihood, p.alpha, p.posteriors, grid, s0 / s0.sum(), start, trans)
    return _FishPasses(post, trans, p, prior0)


def _check_coverage(post: FishPosterior, mu: float, sigma: float) -> None:
    """Refuse a grid with more than COVERAGE_TOL of the posterior (or of the start's prior)
    within 3 sigma of an open end. The lower end is not open when it reaches z = 0 (first
    point <= spacing): there the truncation is the model's, not the grid's."""
    g, dz = post.grid, post.spacing
    mass = np.vstack([post.smoothed0, post.smoothed])
    ends = [("upper", g > g[-1] - 3 * sigma, stats.norm.sf(g[-1] + dz / 2, mu, sigma))]
    if g[0] > dz:
        ends.append(("lower", g < g[0] + 3 * sigma, stats.norm.cdf(g[0] - dz / 2, mu, sigma)))
    for end, near, prior_out in ends:
        worst = float(mass[:, near].sum(axis=1).max())
        if worst > COVERAGE_TOL or prior_out > COVERAGE_TOL:
            edge = g[-1] if end == "upper" else g[0]
            raise ValueError(
                f"grid does not cover the posterior: up to {max(worst, prior_out):.2g} of the "
                f"probability lies within 3 sigma of its {end} end (z = {edge:.4g}) or beyond; "
                "extend the grid, or pass grid=None for a default grid"
            )


def fish_posterior(x, lam: float, mu: float, sigma: float, grid=None) -> FishPosterior:
    """Filtering, smoothing and the likelihood of the fish model on a grid of populations.

    Parameters
    ----------
    x : array_like of int, shape (T,)
        Counts :math:`x_1, \\dots, x_T`.
    lam, mu, sigma : float
        The model of slide 6 (``lam > 0``, ``sigma > 0``).
    grid : array_like, shape (G,), optional
        Uniform, increasing, >= 0, covering the posterior, spacing <= sigma (refused if
        coarser; at sigma/2 the log-likelihood is already exact to ~1e-12, the error falling
        like :math:`\\exp(-2\\pi^2\\sigma^2/\\Delta^2)`). Default :func:`default_grid`
        (spacing sigma/4). A grid that does not cover the posterior is refused.

    Returns
    -------
    FishPosterior

    Notes
    -----
    The continuous state is discretised into cells of width :math:`\\Delta`: the start and
    each step are cell probabilities (:func:`fish_transition`), so the chain on the grid is a
    proper Markov chain and :math:`\\log p(x)` -- a probability of counts -- converges as
    :math:`\\Delta \\to 0` (no :math:`\\log\\Delta` term appears: it cancels in the
    normalisation). The computation is :func:`forward_backward` with
    ``start_prob = p(z_1) = p(z_0) A`` and ``rates = lam * grid``.
    """
    x = _as_counts(x)
    lam, sigma = _positive(lam, "lam"), _positive(sigma, "sigma")
    mu = _finite(mu, "mu")
    grid = default_grid(x, lam, mu, sigma) if grid is None else _check_grid(grid, sigma)
    post = _fish_passes(x, lam, mu, sigma, grid).posterior
    _check_coverage(post, mu, sigma)
    return post


# ---------------------------------------------------------------------------------------------
# EM for lam and sigma, mu fixed
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FishEMTrace:
    """EM for the fish model. Index 0 is the start; entry i is after i iterations.

    ``log_likelihoods[i]`` is :math:`\\log p(x \\mid \\lambda_i, \\mu, \\sigma_i)` on ``grid``.
    """

    lam: np.ndarray
    sigma: np.ndarray
    log_likelihoods: np.ndarray
    mu: float
    grid: np.ndarray
    converged: bool

    @property
    def n_iter(self) -> int:
        return len(self.lam) - 1


def _expected_sq_steps(fp: _FishPasses, mu: float) -> float:
    """:math:`E[(z_0-\\mu)^2] + \\sum_{t=1}^T E[(z_t - z_{t-1})^2]` under the posterior.

    Pairwise posteriors :math:`\\xi_t(i, j) \\propto \\hat\\alpha_{t-1}(i) A_{ij} b_t(j) \\beta_t(j)`
    (with :math:`\\hat\\alpha_0 = p(z_0)`), summed against :math:`(g_j - g_i)^2` with one
    matrix product: :math:`\\sum_i \\hat\\alpha_{t-1}(i) [(A \\circ D)(b_t \\beta_t)]_i`,
    divided by the same sum with :math:`A` in place of :math:`A \\circ D`.

    The two (T, K) x (K, K) products run in numpy's own loops (``einsum``), not in BLAS: at
    these sizes BLAS gains little, and on a busy machine its threads fight over the cores
    (EM iterations became several times slower than single-threaded ones).
    """
    g, p = fp.posterior.grid, fp.passes
    weighted = fp.trans * (g[None, :] - g[:, None]) ** 2  # A o D
    prev = np.vstack([fp.prior0, p.alpha[:-1]])  # alpha_0 .. alpha_{T-1}
    right = p.emit * p.beta  # b_t beta_t (any scale)
    norm = np.sum(prev * np.einsum("tj,ij->ti", right, fp.trans), axis=1)  # sum_ij of xi_t
    steps = np.sum(np.sum(prev * np.einsum("tj,ij->ti", right, weighted), axis=1) / norm)
    start = fp.posterior.smoothed0 @ (g - mu) ** 2
    return float(steps + start)


def fit_fish_em(
    x, mu: float, lam0: float, sigma0: float, grid=None, max_iter: int = 200, tol: float = 1e-8
) -> FishEMTrace:
    """Learn :math:`\\lambda` and :math:`\\sigma` by EM with :math:`\\mu` fixed.

    E step: the smoothed posteriors on the grid (:func:`fish_posterior`) and the pairwise
    posteriors of :math:`(z_{t-1}, z_t)`. M step, in closed form:

    .. math::
        \\lambda = \\frac{\\sum_t x_t}{\\sum_t E[z_t]}, \\qquad
        \\sigma^2 = \\frac{E[(z_0 - \\mu)^2] + \\sum_{t=1}^T E[(z_t - z_{t-1})^2]}{T + 1}.

    The :math:`\\sigma` update ignores the truncation's normaliser, which is 1 wherever the
    posterior is more than a few :math:`\\sigma` above zero (the case of interest:
    :math:`\\mu \\gg \\sigma`). :math:`\\mu` stays fixed because only :math:`\\lambda\\mu` and
    :math:`\\sigma/\\mu` are identified (the likelihood is unchanged by
    :math:`(\\lambda, \\mu, \\sigma) \\to (\\lambda/c, c\\mu, c\\sigma)`).

    Parameters
    ----------
    x : array_like of int, shape (T,)
    mu : float
        The fixed mean of :math:`z_0`.
    lam0, sigma0 : float
        Starting values.
    grid : array_like, optional
        One grid for every iteration (so the log-likelihoods are comparable). Default: a grid
        from 0 with spacing ``sigma0/4`` covering the populations the counts allow under
        ``lam0`` and under ``mean(x)/mu``, plus room. Every iteration's posterior must be covered, and sigma must stay
        >= spacing; otherwise a ValueError says to pass a wider or finer grid.
    max_iter : int
    tol : float
        Stop when the log-likelihood rises by less than ``tol`` (absolute).
    """
    x = _as_counts(x)
    mu = _finite(mu, "mu")
    lam, sigma = _positive(lam0, "lam0"), _positive(sigma0, "sigma0")
    if not is_int(max_iter) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    tol = _finite(tol, "tol")
    if grid is None:
        lam_moment = max(x.mean(), 0.5) / mu if mu > 0 else lam
        a, b = default_grid(x, lam, mu, sigma), default_grid(x, lam_moment, mu, sigma)
        top = max(a[-1], b[-1]) + 6 * sigma  # room for sigma to grow
        grid = sigma / 4 * np.arange(int(np.ceil(top / (sigma / 4))) + 1)  # from z = 0
    else:
        grid = _check_grid(grid, sigma)
    lams, sigmas, lls = [lam], [sigma], []
    converged = False
    for it in range(max_iter + 1):
        fp = _fish_passes(x, lam, mu, sigma, grid)
        _check_coverage(fp.posterior, mu, sigma)
        lls.append(fp.posterior.log_likelihood)
        if it > 0 and lls[-1] - lls[-2] < tol:
            converged = True
            break
        if it == max_iter:
            break
        lam = float(x.sum() / fp.posterior.mean("smoothed").sum())
        sigma = float(np.sqrt(_expected_sq_steps(fp, mu) / (x.size + 1)))
        if sigma < grid[1] - grid[0]:
            raise ValueError(
                f"EM's sigma shrank to {sigma:.4g}, below the grid spacing "
                f"{grid[1] - grid[0]:.4g}; pass a finer grid"
            )
        lams.append(lam)
        sigmas.append(sigma)
    n = len(lls)
    return FishEMTrace(np.array(lams[:n]), np.array(sigmas[:n]), np.array(lls), mu, grid, converged)


# ---------------------------------------------------------------------------------------------
# Bootstrap particle filter (an independent check of the grid)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticleFilterResult:
    """``log_likelihood``: the estimate :math:`\\sum_t \\log \\frac1N \\sum_n w_t^{(n)}`;
    ``means`` (T,): filtered means :math:`E[z_t \\mid x_{1:t}]`; ``n_particles``."""

    log_likelihood: float
    means: np.ndarray
    n_particles: int


def particle_filter(
    x, lam: float, mu: float, sigma: float, n_particles: int, rng: np.random.Generator
) -> ParticleFilterResult:
    """A bootstrap particle filter for the fish model (no grid at all).

    Particles start from :math:`z_0` (truncated normal, as in :func:`simulate_fish`), are moved
    by the truncated walk, weighted by :math:`\\mathrm{Poisson}(x_t; \\lambda z)`, and resampled
    (systematic resampling) every step. The log-likelihood estimate is unbiased on the
    likelihood scale; its Monte Carlo error shrinks like :math:`1/\\sqrt N`.
    """
    x = _as_counts(x)
    lam, sigma = _positive(lam, "lam"), _positive(sigma, "sigma")
    mu = _finite(mu, "mu")
    rng = _check_rng(rng)
    if not is_int(n_particles) or n_particles < 1:
        raise ValueError(f"n_particles must be an integer >= 1, got {n_particles!r}")
    n = int(n_particles)
    z = _truncated_normal(np.full(n, mu), sigma, rng)  # z_0
    ll = 0.0
    means = np.empty(x.size)
    for t, xt in enumerate(x):
        z = _truncated_normal(z, sigma, rng)
        logw = stats.poisson.logpmf(xt, lam * z)
        m = logw.max()
        if not np.isfinite(m):
            raise ValueError(f"every particle gives x[{t}] probability 0; use more particles")
        w = np.exp(logw - m)
        ll += m + np.log(w.mean())
        w /= w.sum()
        means[t] = w @ z
        positions = (rng.random() + np.arange(n)) / n
        z = z[np.minimum(np.searchsorted(np.cumsum(w), positions), n - 1)]
    return ParticleFilterResult(float(ll), means, n)


@dataclass(frozen=True)
class FilterSteps:
    """The filter's predict -> update at every time step, as densities per fish on the grid.

    ``predicted[t]`` is :math:`p(z_t \\mid x_{1:t-1})`, ``likelihood[t]`` the count's
    likelihood :math:`p(x_t \\mid z_t)` normalised over :math:`z_t` to a density (so it can be
    drawn beside the other two), ``filtered[t]`` :math:`p(z_t \\mid x_{1:t})`; each (T, G),
    divided by the grid spacing. ``predicted_mean`` and ``filtered_mean`` are (T,).
    """

    grid: np.ndarray
    predicted: np.ndarray
    likelihood: np.ndarray
    filtered: np.ndarray
    predicted_mean: np.ndarray
    filtered_mean: np.ndarray
    x: np.ndarray
    lam: float
    truth: np.ndarray | None


def filter_steps(post: FishPosterior, x, lam: float, truth=None) -> FilterSteps:
    """:class:`FilterSteps` of ``post`` (from :func:`fish_posterior` on the counts ``x`` with
    detection rate ``lam``); ``truth``, if given, is the simulated population (T,)."""
    x = _as_counts(x)
    lam = _positive(lam, "lam")
    if x.size != post.filtered.shape[0]:
        raise ValueError(
            f"x has {x.size} counts but the posterior has {post.filtered.shape[0]} time steps"
        )
    dz = post.spacing
    log_like = _poisson_loglik(x, lam * post.grid)  # (T, G)
    like = np.exp(log_like - log_like.max(axis=1, keepdims=True))
    like /= like.sum(axis=1, keepdims=True) * dz
    return FilterSteps(
        post.grid,
        post.predicted / dz,
        like,
        post.filtered / dz,
        post.mean("predicted"),
        post.mean("filtered"),
        x,
        lam,
        None if truth is None else np.asarray(truth, dtype=float),
    )


# ---------------------------------------------------------------------------------------------
# Posteriors over a small grid of parameters (precomputed for the explorer widgets)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FishSweep:
    """Smoothed posteriors of the fish model for every (sigma, lam) of a small grid.

    ``mean``, ``lower``, ``upper``: arrays (n_sigma, n_lam, T), the posterior mean and the
    5% / 95% quantiles of :math:`z_t \\mid x_{1:T}`; ``log_likelihood`` (n_sigma, n_lam).
    """

    sigmas: np.ndarray
    lams: np.ndarray
    mu: float
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    log_likelihood: np.ndarray


def posterior_sweep(x, mu: float, sigmas, lams, spacing: float | None = None) -> FishSweep:
    """:func:`fish_posterior` (default grids) for every pair of ``sigmas`` x ``lams``.

    ``spacing`` (default: the smallest sigma / 2) is shared by all grids so the
    log-likelihoods compare like with like.
    """
    x = _as_counts(x)
    sigmas = np.asarray(sigmas, dtype=float)
    lams = np.asarray(lams, dtype=float)
    for arr, name in ((sigmas, "sigmas"), (lams, "lams")):
        if arr.ndim != 1 or arr.size < 1 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError(f"{name} must be a non-empty 1-D array of finite numbers > 0")
    spacing = sigmas.min() / 2 if spacing is None else spacing
    shape = (sigmas.size, lams.size)
    mean, lower, upper = (np.empty(shape + (x.size,)) for _ in range(3))
    ll = np.empty(shape)
    for i, sigma in enumerate(sigmas):
        for j, lam in enumerate(lams):
            post = fish_posterior(x, lam, mu, sigma, default_grid(x, lam, mu, sigma, spacing))
            mean[i, j] = post.mean()
            lower[i, j], upper[i, j] = post.quantiles([0.05, 0.95])
            ll[i, j] = post.log_likelihood
    return FishSweep(sigmas, lams, float(mu), mean, lower, upper, ll)


# ---------------------------------------------------------------------------------------------
# Filtering against smoothing over many simulated ponds
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PondErrors:
    """Errors of the filtered and smoothed posterior means over many simulated ponds.

    ``filtered_rmse``, ``smoothed_rmse``: arrays (n_ponds,), the root-mean-square error over
    :math:`t = 1..T` of :math:`E[z_t \\mid x_{1:t}]` and :math:`E[z_t \\mid x_{1:T}]` against the
    simulated truth, one per pond; ``filtered_width``, ``smoothed_width``: the mean width of
    the 90% bands (5% to 95% quantiles), one per pond.
    """

    filtered_rmse: np.ndarray
    smoothed_rmse: np.ndarray
    filtered_width: np.ndarray
    smoothed_width: np.ndarray

    @property
    def n_ponds(self) -> int:
        return int(self.filtered_rmse.size)

    @property
    def smoothing_wins(self) -> float:
        """The fraction of ponds in which the smoothed mean has the smaller RMSE."""
        return float(np.mean(self.smoothed_rmse < self.filtered_rmse))


def _flush(a: np.ndarray) -> np.ndarray:
    """``a`` with entries below 1e-280 of the largest of their column (axis -2) set to 0."""
    a[a < 1e-280 * a.max(axis=-2, keepdims=True)] = 0.0
    return a


def _interp_rows(q: float, cdf: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.interp(q, row, edges)`` for every row of ``cdf`` (..., G), each nondecreasing."""
    G = edges.size
    j = np.sum(cdf <= q, axis=-1) - 1  # last cell with cdf <= q
    jj = np.clip(j, 0, G - 2)
    c0 = np.take_along_axis(cdf, jj[..., None], -1)[..., 0]
    c1 = np.take_along_axis(cdf, (jj + 1)[..., None], -1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = edges[jj] + (q - c0) * (edges[jj + 1] - edges[jj]) / (c1 - c0)
    return np.where(j < 0, edges[0], np.where(j >= G - 1, edges[-1], out))


def filter_smoother_errors(
    n_ponds: int,
    T: int,
    lam: float,
    mu: float,
    sigma: float,
    rng: np.random.Generator,
    progress=None,
) -> PondErrors:
    """Simulate ``n_ponds`` ponds (:func:`simulate_fish`) and score filtering and smoothing.

    Each pond is drawn with ``rng``, one after the other; then the posteriors of all ponds
    are computed at once, with the true parameters, on one grid: the union of the ponds'
    default grids (:func:`default_grid`, spacing sigma/4), so each pond's result is
    :func:`fish_posterior` on that grid (a test checks it pond by pond). The forward and
    backward passes run on all ponds together, one matrix product per time step, which
    makes hundreds of ponds take a fraction of a second. The posterior means are compared
    with the simulated populations. One pond of a few dozen steps is too short to compare
    the two (either may win); the average over many ponds shows what the model implies: the
    smoothed mean, which conditions on more data, has the smaller expected squared error.

    ``progress``, if given, is called as ``progress(done, n_ponds)`` after each pond is
    simulated (the simulation is the slower part, a few milliseconds a pond).
    """
    if not is_int(n_ponds) or n_ponds < 1:
        raise ValueError(f"n_ponds must be an integer >= 1, got {n_ponds!r}")
    rng = _check_rng(rng)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be None or a callable(done, total), got {progress!r}")
    n = int(n_ponds)
    zs, xs = np.empty((n, T)), np.empty((n, T), dtype=np.int64)
    for k in range(n):
        zs[k], xs[k] = simulate_fish(T, lam, mu, sigma, rng)
        if progress is not None:
            progress(k + 1, n)
    lam, sigma, mu = float(lam), float(sigma), float(mu)
    grid = _pond_grid(xs, lam, mu, sigma)
    # All ponds at once, laid out (grid, pond) so each step is one sparse matrix product.
    # Transition entries below _SKIP of their row's largest are dropped, as fish_posterior's
    # passes drop them (each row loses at most G * _SKIP of its mass); probabilities below
    # 1e-280 of a row's largest are set to 0, as subnormal numbers would slow the products.
    trans = fish_transition(grid, sigma)
    start = _fish_prior(grid, mu, sigma) @ trans  # p(z_1)
    banded = np.where(trans >= _SKIP * trans.max(axis=1, keepdims=True), trans, 0.0)
    forward_op, backward_op = sparse.csr_array(banded.T), sparse.csr_array(banded)
    log_emit = _poisson_loglik(xs.T.ravel(), lam * grid).reshape(T, n, grid.size)
    log_emit -= log_emit.max(axis=2, keepdims=True)
    emit = _flush(np.ascontiguousarray(np.exp(log_emit).transpose(0, 2, 1)))  # (T, G, n)
    filt = np.empty_like(emit)
    a = start[:, None] * emit[0]
    filt[0] = _flush(a / a.sum(axis=0))
    for t in range(1, T):  # forward: predict, then update
        a = (forward_op @ filt[t - 1]) * emit[t]
        filt[t] = _flush(a / a.sum(axis=0))
    beta = np.ones((grid.size, n))
    smooth = np.empty_like(emit)
    smooth[-1] = filt[-1]
    for t in range(T - 2, -1, -1):  # backward, rescaled each step
        beta = _flush(backward_op @ (emit[t + 1] * beta))
        beta /= beta.max(axis=0)
        s = filt[t] * beta
        smooth[t] = s / s.sum(axis=0)
    edges = grid + (grid[1] - grid[0]) / 2
    out = np.empty((4, n))
    for row, p in ((0, filt), (1, smooth)):
        out[row] = np.sqrt(np.mean((np.einsum("tgn,g->tn", p, grid) - zs.T) ** 2, axis=0))
        cdf = np.cumsum(p, axis=1).transpose(0, 2, 1)  # (T, n, G)
        out[row + 2] = np.mean(
            _interp_rows(0.95, cdf, edges) - _interp_rows(0.05, cdf, edges), axis=0
        )
    return PondErrors(*out)


def _pond_grid(xs, lam: float, mu: float, sigma: float) -> np.ndarray:
    """One grid for many ponds: the union of their :func:`default_grid` (spacing sigma/4).

    ``xs`` is (n_ponds, T) counts; the grid starts at the lowest default grid's start and
    reaches past the highest one's end, so it covers each pond's posterior."""
    xs = np.asarray(xs)
    spacing = float(sigma) / 4
    grids = [default_grid(row, lam, mu, sigma) for row in xs]
    lo, hi = min(g[0] for g in grids), max(g[-1] for g in grids)
    return lo + spacing * np.arange(int(np.ceil((hi - lo) / spacing - 1e-9)) + 1)

r"""The Gaussian mixture of the heights example (slides 3 and 9–13) and its EM algorithm.

The model of slide 3, for K components (K = 2 and a shared variance is the lecture's case):

.. math::

    z_i \sim \mathrm{Categorical}(\pi_1, \dots, \pi_K), \qquad
    x_i \mid z_i = k \sim \mathcal N(\mu_k, \sigma_k^2), \qquad i = 1, \dots, n.

Notation (as in the notebooks): the lecture's parameters are θ = (μ₀, μ₁, σ², π) in slide 3's
order, with π = P(z_i = 1) the mixing weight and σ² the shared variance (always the variance,
never σ). A :class:`MixtureParams` holds the same θ as arrays indexed by component,
``MixtureParams(weights=[1 - π, π], means=[μ₀, μ₁], variances=[σ², σ²])``, so that it also
serves K components and per-component variances σ_k². EM iterations are numbered as on
slide 12: θ⁽¹⁾ is the start, q⁽ᵗ⁾ is computed from θ⁽ᵗ⁾ and θ⁽ᵗ⁺¹⁾ from q⁽ᵗ⁾; Python counts from
0, so ``EMTrace.params[0]`` is θ⁽¹⁾ and ``params[t]`` is θ⁽ᵗ⁺¹⁾ (the shift, once). In LaTeX the
circle constant is written upright, :math:`\mathrm{\pi}`, to keep it apart from the weight π.

Everything here is a small pure function of numpy arrays and a frozen
:class:`MixtureParams`:

- :func:`sample_mixture` draws ``(x, z)`` from the model, :func:`component_densities` gives the
  weighted component curves for plots;
- the two easy directions of the warm-up (slide 10): :func:`mle_from_labels` (θ from z) and
  :func:`posterior_from_params` (z from θ, the same computation as :func:`e_step`);
- :func:`e_step` and :func:`m_step`, the two halves of slide 12;
- :func:`log_likelihood` (the factorized sum) and :func:`brute_force_log_likelihood` (the
  sum over all :math:`K^n` label vectors of slide 9, for tiny n only);
- :func:`lower_bound`, :math:`\mathcal L(q, θ) = E_q[\log p(x, z \mid θ)] + H(q)`;
- :func:`run_em`, which returns the whole :class:`EMTrace`;
- :func:`fit_direct`, the alternative: log p(x | θ) maximised by BFGS over an unconstrained
  reparametrisation (logit π, log σ²), returning a :class:`DirectFit`.

Arrays are laid out as ``(K, n)`` inside (one row per component) because the sums over the
data are then contiguous, fast reductions; the public :func:`e_step` returns ``(n, K)``
responsibilities as the API promises (a transposed view, no copy). Log-likelihoods are
totals over the data, in nats.

Bad input raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong values or
shape) with a message naming the argument; nothing returns NaN silently.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.special import entr, logsumexp
from scipy.stats import norm

from lecture_utils._validate import as_generator, is_int, is_real

__all__ = [
    "DEFAULT_RELATIVE_VARIANCE_FLOOR",
    "DirectFit",
    "EMBatch",
    "EMTrace",
    "MIN_VARIANCE",
    "MixtureParams",
    "brute_force_log_likelihood",
    "component_densities",
    "e_step",
    "fit_direct",
    "log_likelihood",
    "lower_bound",
    "m_step",
    "mle_from_labels",
    "posterior_from_params",
    "run_em",
    "run_em_batch",
    "sample_mixture",
]

_LOG_2PI = math.log(2.0 * math.pi)

#: Default guard against collapse, relative to the variance of the data: per-component (and
#: shared) variances are never allowed below ``DEFAULT_RELATIVE_VARIANCE_FLOOR * var(x)``.
DEFAULT_RELATIVE_VARIANCE_FLOOR = 1e-6

#: The smallest variance a MixtureParams may hold: the smallest normal float64 (about 2.2e-308).
#: Below it ``1 / variance`` overflows and the densities would turn into NaN.
MIN_VARIANCE = float(np.finfo(np.float64).tiny)

#: Tolerance on ``sum(weights) == 1``.
_WEIGHT_SUM_ATOL = 1e-8


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _as_float_vector(values, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """``values`` as a finite 1-D float64 array, or a TypeError/ValueError naming ``name``."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of numbers, got a string {values!r:.40}")
    try:
        array = np.asarray(values)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a 1-D array of numbers ({exc})") from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be a 1-D array of real numbers, got an array of dtype {array.dtype}"
        )
    array = array.astype(np.float64, copy=False)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {array.shape}")
    if array.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name} must be finite; entry {bad} is {array[bad]}")
    return array


def _check_data(x) -> np.ndarray:
    return _as_float_vector(x, "x")


def _check_params(params) -> MixtureParams:
    if not isinstance(params, MixtureParams):
        raise TypeError(f"params must be a MixtureParams, got {type(params).__name__}")
    return params


def _check_resp(resp, n: int, name: str = "resp") -> np.ndarray:
    """Responsibilities as an (n, K) float array with non-negative rows summing to one."""
    if isinstance(resp, (str, bytes)):
        raise TypeError(f"{name} must be an (n, K) array of probabilities, got a string")
    array = np.asarray(resp)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an (n, K) array of probabilities, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if array.ndim != 2 or array.shape[0] != n or array.shape[1] < 1:
        raise ValueError(
            f"{name} must have shape (n, K) = ({n}, K) with K >= 1 to match x, "
            f"got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    if np.any(array < 0) or np.any(array > 1):
        raise ValueError(f"{name} must hold probabilities in [0, 1]")
    row_sums = array.sum(axis=1)
    if not np.allclose(row_sums, 1.0, rtol=0, atol=1e-8):
        worst = int(np.argmax(np.abs(row_sums - 1)))
        raise ValueError(f"each row of {name} must sum to 1; row {worst} sums to {row_sums[worst]}")
    return array


def _check_rng(rng) -> np.random.Generator:
    """The package's one rng policy (lecture_utils._validate.as_generator)."""
    return as_generator(rng)


# --------------------------------------------------------------------------------------------
# Parameters and sampling
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class MixtureParams:
    r"""The parameters θ of a K-component Gaussian mixture in one dimension.

    For the lecture's model (K = 2, shared variance), θ = (μ₀, μ₁, σ², π) is
    ``MixtureParams(weights=[1 - π, π], means=[μ₀, μ₁], variances=[σ², σ²])``, or
    ``MixtureParams.shared([1 - π, π], [μ₀, μ₁], σ²)``.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixing proportions :math:`\pi_k \ge 0`, summing to 1 (within 1e-8).
    means : array_like, shape (K,)
        Component means :math:`\mu_k` (inches, for the heights).
    variances : array_like, shape (K,)
        Component variances :math:`\sigma_k^2 > 0`. For the lecture's shared-variance model,
        all K entries are equal; see :meth:`shared`.

    The arrays are stored as read-only float64 copies, so a ``MixtureParams`` never changes.
    Two of them compare equal when their arrays are exactly equal.

    Examples
    --------
    >>> theta = MixtureParams(weights=[0.23, 0.77], means=[64.9, 69.3], variances=[12.0, 12.0])
    >>> theta.K
    2
    """

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("weights", "means", "variances"):
            value = getattr(self, name)
            if is_real(value):
                raise ValueError(f"{name} must be a 1-D array of length K, got the scalar {value}")
            array = _as_float_vector(value, name, allow_empty=True).copy()
            array.setflags(write=False)
            arrays[name] = array
        K = arrays["weights"].size
        if K < 1:
            raise ValueError("weights must have at least one entry (K >= 1 components)")
        for name in ("means", "variances"):
            if arrays[name].size != K:
                raise ValueError(
                    f"{name} must have one entry per component: weights has K = {K} entries, "
                    f"{name} has {arrays[name].size}"
                )
        if np.any(arrays["weights"] < 0):
            raise ValueError(f"weights must be non-negative, got {arrays['weights']}")
        total = float(arrays["weights"].sum())
        if abs(total - 1.0) > _WEIGHT_SUM_ATOL:
            raise ValueError(f"weights must sum to 1, got sum {total!r}")
        if np.any(arrays["variances"] < MIN_VARIANCE):
            raise ValueError(
                f"variances must be positive (at least {MIN_VARIANCE:.3g}), "
                f"got {arrays['variances']}"
            )
        for name, array in arrays.items():
            object.__setattr__(self, name, array)

    @property
    def K(self) -> int:
        """The number of components."""
        return int(self.weights.size)

    @property
    def stds(self) -> np.ndarray:
        """Component standard deviations :math:`\\sigma_k`."""
        return np.sqrt(self.variances)

    @classmethod
    def shared(cls, weights, means, variance: float) -> MixtureParams:
        """The lecture's model: one variance σ² shared by all components."""
        means = _as_float_vector(means, "means")
        if not np.isscalar(variance) and np.ndim(variance) != 0:
            raise ValueError(f"variance must be a single number, got shape {np.shape(variance)}")
        return cls(weights, means, np.full(means.size, float(variance)))

    @property
    def is_shared(self) -> bool:
        """True when all components have the same variance."""
        return bool(np.all(self.variances == self.variances[0]))

    def sorted(self) -> MixtureParams:
        """The same mixture with components in increasing order of their means.

        EM's labels are arbitrary (label switching); sorting makes fits comparable.
        """
        order = np.argsort(self.means, kind="stable")
        return MixtureParams(self.weights[order], self.means[order], self.variances[order])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MixtureParams):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, f), getattr(other, f))
            for f in ("weights", "means", "variances")
        )

    __hash__ = None  # arrays are not hashable

    def __repr__(self) -> str:
        def fmt(a):
            return "[" + ", ".join(f"{v:.6g}" for v in a) + "]"

        return (
            f"MixtureParams(weights={fmt(self.weights)}, means={fmt(self.means)}, "
            f"variances={fmt(self.variances)})"
        )


def sample_mixture(params: MixtureParams, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw n points from the mixture: :math:`z_i \sim \pi`, then :math:`x_i \sim \mathcal N(\mu_{z_i}, \sigma^2_{z_i})`.

    Parameters
    ----------
    params : MixtureParams
    n : int
        Number of points, ``n >= 0``.
    rng : numpy.random.Generator or int
        The random source (``np.random.default_rng(SEED)``); an int is used as a seed.

    Returns
    -------
    x : ndarray, shape (n,)
        The observations.
    z : ndarray of int, shape (n,)
        The latent labels, in ``0 .. K-1``.
    """
    params = _check_params(params)
    if not is_int(n):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = _check_rng(rng)
    z = rng.choice(params.K, size=int(n), p=params.weights)
    x = rng.normal(params.means[z], params.stds[z])
    return x, z


# --------------------------------------------------------------------------------------------
# The computations of slides 10-12, on (K, n) arrays
# --------------------------------------------------------------------------------------------


def _log_joint(x: np.ndarray, params: MixtureParams, out: np.ndarray | None = None) -> np.ndarray:
    r"""The (K, n) table :math:`\log \pi_k + \log \mathcal N(x_i \mid \mu_k, \sigma_k^2)`.

    Written in place on one (K, n) buffer (``out``, if given, is reused: :func:`run_em`
    passes the same buffer every iteration instead of asking for 16 MB of fresh memory per
    million points): a subtraction, a square, a scale and a shift.
    """
    w, mu, var = params.weights, params.means, params.variances
    # a weight of 0 gives log 0 = -inf, and a distance beyond ~1e154 overflows to a log
    # density of -inf: both are right, and callers check that some component is finite
    with np.errstate(divide="ignore", over="ignore"):
        constant = np.log(w) - 0.5 * (_LOG_2PI + np.log(var))  # (K,)
        table = np.subtract(x[np.newaxis, :], mu[:, np.newaxis], out=out)  # x_i - mu_k
        np.square(table, out=table)
        table *= (-0.5 / var)[:, np.newaxis]
        table += constant[:, np.newaxis]
    return table


def _e_step(
    x: np.ndarray, params: MixtureParams, out: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    r"""Responsibilities as (K, n) and the total log-likelihood, for :func:`run_em`.

    The same E step as :func:`e_step`, fused so that each exponential is computed once and
    serves both the responsibilities and :math:`\log p(x_i \mid θ)`:

    .. math::

        m_i = \max_k \ell_{ik}, \quad
        e_{ik} = \exp(\ell_{ik} - m_i), \quad
        r_{ik} = \frac{e_{ik}}{\sum_j e_{ij}}, \quad
        \log p(x_i \mid θ) = m_i + \log \sum_j e_{ij},

    where :math:`\ell_{ik} = \log \pi_k + \log \mathcal N(x_i \mid \mu_k, \sigma_k^2)`.
    This is the log-sum-exp trick written out (the shift :math:`m_i` keeps every
    :math:`e_{ik} \le 1` and the largest equal to 1, so nothing overflows or underflows to
    0/0). It is used instead of ``scipy.special.logsumexp`` inside the EM loop only for
    speed: scipy 1.15's array-API ``logsumexp`` spends most of its time in a boolean-mask
    assignment and is about 60x slower than one ``np.exp`` on a (2, 10^6) array, and it
    would not give us the exponentials back. ``tests/test_mixture.py`` checks this function
    against :func:`e_step` and :func:`log_likelihood`, which use ``logsumexp``.
    """
    table = _log_joint(x, params, out)  # l_ik, (K, n)
    shift = table.max(axis=0)  # m_i
    with np.errstate(invalid="ignore"):  # m_i = -inf is reported just below
        table -= shift
        joint = np.exp(table, out=table)  # p(x_i, z_i = k | θ) · e^{-m_i}
        evidence = joint.sum(axis=0)  # p(x_i | θ) · e^{-m_i}
        resp = np.divide(joint, evidence, out=joint)  # Bayes' rule: r_ik
        log_px = shift.sum() + np.log(evidence).sum()  # sum_i log p(x_i | θ)
    if not np.isfinite(log_px):
        _raise_zero_probability(x, shift)
    return resp, float(log_px)


def _raise_zero_probability(x: np.ndarray, log_px: np.ndarray) -> None:
    i = int(np.flatnonzero(~np.isfinite(log_px))[0])
    raise ValueError(
        f"x[{i}] = {float(x[i])!r} has probability 0 under params (every component's density "
        "underflows there), so its responsibilities are undefined; check the units of x "
        "and of params"
    )


def _m_step(
    x: np.ndarray,
    resp_kn: np.ndarray,
    shared_variance: bool,
    variance_floor: float,
    work: np.ndarray | None = None,
) -> MixtureParams:
    """The M step on (K, n) responsibilities (see :func:`m_step`); ``work``: a (K, n) scratch."""
    n = x.size
    N = resp_kn.sum(axis=1)  # N_k = sum_i r_ik, the expected count of component k
    if np.any(N <= 0):
        k = int(np.flatnonzero(N <= 0)[0])
        raise ValueError(
            f"component {k} has collapsed: it is responsible for no data point (N_k = 0), so "
            "its mean and variance are undefined; start EM from another init or use fewer "
            "components"
        )
    weights = N / n  # pi_k = N_k / n
    means = (resp_kn @ x) / N  # mu_k = sum_i r_ik x_i / N_k
    sq = np.subtract(x[np.newaxis, :], means[:, np.newaxis], out=work)
    np.square(sq, out=sq)  # (x_i - mu_k)^2
    scatter = np.einsum("kn,kn->k", resp_kn, sq)  # sum_i r_ik (x_i - mu_k)^2
    if shared_variance:
        variances = np.full(means.size, scatter.sum() / n)  # sigma^2 = sum_k sum_i ... / n
    else:
        variances = scatter / N  # sigma_k^2 = sum_i r_ik (...)^2 / N_k
    if np.any(variances < variance_floor):
        variances = np.maximum(variances, variance_floor)
    if not np.all(variances >= MIN_VARIANCE):  # also catches NaN
        k = int(np.flatnonzero(~(variances >= MIN_VARIANCE))[0])
        raise ValueError(
            f"component {k} has collapsed onto a single point: its variance is "
            f"{float(variances[k])!r}, so the likelihood is unbounded. Use the variance floor "
            "(variance_floor=None for the default) or a shared variance"
        )
    weights = weights / weights.sum()  # exact normalisation against rounding
    return MixtureParams(weights, means, variances)


def _resolve_floor(x: np.ndarray, variance_floor: float | None) -> float:
    if variance_floor is None:
        with np.errstate(over="ignore"):
            floor = DEFAULT_RELATIVE_VARIANCE_FLOOR * float(np.var(x))
        if not np.isfinite(floor):
            raise ValueError("x is too spread out: its variance overflows float64")
        return floor
    if not is_real(variance_floor):
        raise TypeError(
            f"variance_floor must be a number or None, got {type(variance_floor).__name__}"
        )
    if not np.isfinite(variance_floor) or variance_floor < 0:
        raise ValueError(f"variance_floor must be a finite number >= 0, got {variance_floor}")
    return float(variance_floor)


def e_step(x, params: MixtureParams) -> np.ndarray:
    r"""E step of slide 12: the responsibilities :math:`q(z_i = k) = p(z_i = k \mid x_i, θ)`.

    .. math::

        r_{ik} = \frac{\pi_k\, \mathcal N(x_i \mid \mu_k, \sigma_k^2)}
                      {\sum_j \pi_j\, \mathcal N(x_i \mid \mu_j, \sigma_j^2)}

    computed in log space (``scipy.special.logsumexp``), so points far in the tails do not
    underflow to 0/0.

    Parameters
    ----------
    x : array_like, shape (n,)
        Data (finite, 1-D, non-empty).
    params : MixtureParams

    Returns
    -------
    ndarray, shape (n, K)
        Row i is the posterior over the component of point i; rows sum to 1.
    """
    x = _check_data(x)
    params = _check_params(params)
    log_joint = _log_joint(x, params)  # log p(x_i, z_i = k | θ), (K, n)
    log_px = logsumexp(log_joint, axis=0)  # log p(x_i | θ), (n,)
    if not np.all(np.isfinite(log_px)):
        _raise_zero_probability(x, log_px)
    return np.exp(log_joint - log_px).T  # p(z_i = k | x_i, θ), (n, K)


def posterior_from_params(x, params: MixtureParams) -> np.ndarray:
    r"""z from θ (the warm-up of slide 10): :math:`p(z_i = k \mid x_i, θ)`, shape (n, K).

    With θ known, the labels are independent given the data and each posterior is Bayes'
    rule for one point. It is exactly the E step; this name reads better in slide 10.
    """
    return e_step(x, params)


def m_step(
    x, resp, shared_variance: bool = True, variance_floor: float | None = None
) -> MixtureParams:
    r"""M step of slide 12: :math:`θ = \arg\max_θ E_{z \sim q}[\log p(x, z \mid θ)]`.

    With :math:`N_k = \sum_i r_{ik}`,

    .. math::

        \pi_k = \frac{N_k}{n}, \qquad
        \mu_k = \frac{1}{N_k} \sum_i r_{ik} x_i, \qquad
        \sigma^2 = \frac{1}{n} \sum_k \sum_i r_{ik} (x_i - \mu_k)^2
        \quad\text{or}\quad
        \sigma_k^2 = \frac{1}{N_k} \sum_i r_{ik} (x_i - \mu_k)^2 .

    Parameters
    ----------
    x : array_like, shape (n,)
    resp : array_like, shape (n, K)
        Responsibilities: non-negative, rows summing to 1 (e.g. from :func:`e_step`, or one-hot
        labels, which makes this the MLE from labels).
    shared_variance : bool, default True
        One σ² for all components (the lecture's model), else one per component.
    variance_floor : float or None, default None
        The guard against collapse. A per-component variance can shrink onto a single data
        point (or a heap of identical, rounded values) and the likelihood then grows without
        bound. Variances below the floor are raised to it (this is still the maximizer of the
        M-step objective under the constraint, so EM's log-likelihood still never decreases).
        ``None`` uses ``DEFAULT_RELATIVE_VARIANCE_FLOOR * var(x)``; ``0`` disables the guard,
        and a variance that reaches 0 (below ``MIN_VARIANCE``) then raises ``ValueError``.

    Returns
    -------
    MixtureParams

    Raises
    ------
    ValueError
        If a component gets no responsibility at all (``N_k = 0``) or collapses to zero
        variance with the guard disabled.
    """
    x = _check_data(x)
    resp = _check_resp(resp, x.size)
    floor = _resolve_floor(x, variance_floor)
    return _m_step(x, resp.T, bool(shared_variance), floor)


def mle_from_labels(
    x, z, K: int | None = None, shared_variance: bool = True, variance_floor: float | None = 0.0
) -> MixtureParams:
    r"""θ from z (the warm-up of slide 10): the maximum-likelihood θ when the labels are known.

    .. math::

        \hat\pi_k = \frac{n_k}{n}, \qquad
        \hat\mu_k = \frac{1}{n_k} \sum_{i: z_i = k} x_i, \qquad
        \hat\sigma^2 = \frac{1}{n} \sum_i (x_i - \hat\mu_{z_i})^2 .

    This is the M step with one-hot responsibilities ``r_ik = [z_i = k]``.

    Parameters
    ----------
    x : array_like, shape (n,)
    z : array_like of int, shape (n,)
        Labels in ``0 .. K-1``.
    K : int, optional
        Number of components; default ``max(z) + 1``. Every component needs at least one point.
    shared_variance : bool, default True
    variance_floor : float or None, default 0
        As in :func:`m_step`; no guard by default (a class with one distinct value is an error).
    """
    x = _check_data(x)
    if isinstance(z, (str, bytes)):
        raise TypeError("z must be a 1-D array of integer labels, got a string")
    z = np.asarray(z)
    if z.dtype.kind == "f" and np.all(np.isfinite(z)) and np.all(z == np.round(z)):
        z = z.astype(np.int64)
    if z.dtype.kind not in "iub":
        raise TypeError(f"z must hold integer labels 0..K-1, got dtype {z.dtype}")
    if z.shape != x.shape:
        raise ValueError(f"z must have the same shape as x, {x.shape}; got {z.shape}")
    z = z.astype(np.int64)
    if K is None:
        K = int(z.max()) + 1
    if not is_int(K):
        raise TypeError(f"K must be an int, got {type(K).__name__}")
    if K < 1:
        raise ValueError(f"K must be >= 1, got {K}")
    if z.min() < 0 or z.max() >= K:
        raise ValueError(f"z must hold labels in 0..{K - 1}, found {z.min()}..{z.max()}")
    counts = np.bincount(z, minlength=K)
    if np.any(counts == 0):
        raise ValueError(f"z has no point with label {int(np.flatnonzero(counts == 0)[0])}")
    one_hot = np.zeros((K, x.size))
    one_hot[z, np.arange(x.size)] = 1.0
    return _m_step(x, one_hot, bool(shared_variance), _resolve_floor(x, variance_floor))


def component_densities(x, params: MixtureParams) -> np.ndarray:
    r"""The weighted component densities :math:`\pi_k \mathcal N(x_i \mid \mu_k, \sigma_k^2)`, shape (n, K).

    For plots: on a grid of heights, column k is component k's curve drawn over a density
    histogram, and the row sums are the mixture density :math:`p(x \mid θ)`.
    """
    x = _check_data(x)
    params = _check_params(params)
    return np.exp(_log_joint(x, params)).T


def log_likelihood(x, params: MixtureParams) -> float:
    r"""Total log-likelihood :math:`\log p(x \mid θ) = \sum_i \log \sum_k \pi_k \mathcal N(x_i \mid \mu_k, \sigma_k^2)`.

    The factorized computation: n sums of K terms, instead of one sum of :math:`K^n` terms
    (compare :func:`brute_force_log_likelihood`).
    """
    x = _check_data(x)
    params = _check_params(params)
    return float(logsumexp(_log_joint(x, params), axis=0).sum())


def lower_bound(x, params: MixtureParams, resp) -> float:
    r"""The EM lower bound :math:`\mathcal L(q, θ) = E_q[\log p(x, z \mid θ)] + H(q)`, total.

    .. math::

        \mathcal L(q, θ) = \sum_i \sum_k q_{ik} \bigl(\log \pi_k + \log \mathcal N(x_i \mid
        \mu_k, \sigma_k^2)\bigr) - \sum_i \sum_k q_{ik} \log q_{ik}
        \;\le\; \log p(x \mid θ),

    with equality exactly when :math:`q = p(z \mid x, θ)` (Jensen's inequality). Entries with
    :math:`q_{ik} = 0` contribute nothing (:math:`0 \log 0 = 0`, via ``scipy.special.entr``).

    Parameters
    ----------
    x : array_like, shape (n,)
    params : MixtureParams
    resp : array_like, shape (n, K)
        Any distribution q over the labels, one row per point (rows sum to 1).
    """
    x = _check_data(x)
    params = _check_params(params)
    q = _check_resp(resp, x.size)
    if q.shape[1] != params.K:
        raise ValueError(f"resp must have K = {params.K} columns to match params, got {q.shape[1]}")
    log_joint = _log_joint(x, params).T  # (n, K)
    # 0 * log p = 0 even where log p = -inf (a component of weight 0)
    expected = np.multiply(q, log_joint, out=np.zeros_like(q), where=q > 0).sum()
    entropy = entr(q).sum()
    return float(expected + entropy)


def brute_force_log_likelihood(x, params: MixtureParams, max_terms: int = 2**24) -> float:
    r"""log p(x | θ) the slow way of slide 9: the sum over all :math:`K^n` label vectors.

    .. math::

        \log p(x \mid θ) = \log \sum_{z \in \{1..K\}^n} \prod_i \pi_{z_i}
        \mathcal N(x_i \mid \mu_{z_i}, \sigma^2_{z_i})

    Each term is built from ``scipy.stats.norm.logpdf`` (independently of the rest of this
    module) and the terms are combined with ``logsumexp``, in chunks of label vectors so the
    memory stays small. It equals :func:`log_likelihood` and is only usable for tiny n:
    n = 20 with K = 2 is already a million terms, n = 100 would be 10^30.

    Raises
    ------
    ValueError
        If ``K**n > max_terms``.
    """
    x = _check_data(x)
    params = _check_params(params)
    n, K = x.size, params.K
    if not is_int(max_terms):
        raise TypeError(f"max_terms must be an int, got {type(max_terms).__name__}")
    n_terms = K**n
    if n_terms > max_terms:
        raise ValueError(
            f"x has n = {n} points, so the brute-force sum has K^n = {K}^{n} = {n_terms:.3g} "
            f"terms, more than max_terms = {max_terms}; use log_likelihood (the factorized sum)"
        )
    with np.errstate(divide="ignore"):
        # per point i and label k: log pi_k + log N(x_i | mu_k, sigma_k^2), shape (n, K)
        log_terms = np.log(params.weights)[np.newaxis, :] + norm.logpdf(
            x[:, np.newaxis], loc=params.means, scale=params.stds
        )
    powers = K ** np.arange(n, dtype=np.int64)  # z_i = (index // K^i) % K
    rows = np.arange(n)
    total = -np.inf
    chunk = max(1, 2**16)
    for start in range(0, n_terms, chunk):
        index = np.arange(start, min(start + chunk, n_terms), dtype=np.int64)
        z = (index[:, np.newaxis] // powers) % K  # (m, n): one label vector per row
        log_p_xz = log_terms[rows, z].sum(axis=1)  # log p(x, z | θ) for each z
        total = np.logaddexp(total, logsumexp(log_p_xz))
    return float(total)


# --------------------------------------------------------------------------------------------
# The EM algorithm (slide 12) and its trace
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class EMTrace:
    r"""Everything :func:`run_em` did, for plots and explorers.

    Attributes
    ----------
    params : list of MixtureParams
        ``params[0]`` is the initial value, θ⁽¹⁾ in slide 12's numbering, and ``params[t]``
        the value after t iterations, θ⁽ᵗ⁺¹⁾ (one iteration = an E step on ``params[t-1]``
        then an M step).
    log_likelihoods : ndarray
        Total :math:`\log p(x \mid θ)` at each entry of ``params`` (same length).
    converged : bool
        True if the last iteration changed the log-likelihood by less than ``tol``.
    n_iter : int
        Iterations run, ``len(params) - 1``.
    x : ndarray
        The data EM ran on (a reference, not a copy).
    shared_variance : bool
    tol, max_iter, variance_floor :
        The settings :func:`run_em` was called with, so that a rerun from another start (the
        EM explorer's start controls) fits the same model the same way.
    resp : list of ndarray or None
        With ``run_em(..., store_responsibilities=True)``: ``resp[t] = e_step(x, params[t])``,
        shape (n, K), for every entry of ``params``. Otherwise None; use
        :meth:`responsibilities`, which recomputes one in a single E step.

    The half-steps of slide 12, for an explorer that steps through them:

    - after the E step of iteration t+1: θ = ``params[t]``, q = ``responsibilities(t)``, and
      the bound touches the log-likelihood: ``L = log_likelihoods[t]``;
    - after the M step of iteration t+1: θ = ``params[t+1]``, q still ``responsibilities(t)``,
      ``L = lower_bound(x, params[t+1], responsibilities(t)) <= log_likelihoods[t+1]``
      (see :meth:`bound_after_m_step`).
    """

    params: list
    log_likelihoods: np.ndarray
    converged: bool
    n_iter: int
    x: np.ndarray = dataclasses.field(repr=False)
    shared_variance: bool = True
    resp: list | None = dataclasses.field(default=None, repr=False)
    tol: float = 1e-6
    max_iter: int = 100
    variance_floor: float | None = None

    def responsibilities(self, t: int) -> np.ndarray:
        """``q^(t) = e_step(x, params[t])``, shape (n, K) (stored, or computed in one E step)."""
        t = self._check_t(t, len(self.params))
        if self.resp is not None:
            return self.resp[t]
        return _e_step(self.x, self.params[t])[0].T

    def bound_after_m_step(self, t: int) -> float:
        r""":math:`\mathcal L(q^{(t)}, θ^{(t+1)})`: the bound after iteration t+1's M step.

        It lies between ``log_likelihoods[t]`` and ``log_likelihoods[t+1]``.
        """
        t = self._check_t(t, len(self.params) - 1)
        return lower_bound(self.x, self.params[t + 1], self.responsibilities(t))

    @staticmethod
    def _check_t(t, length: int) -> int:
        if not is_int(t):
            raise TypeError(f"t must be an int, got {type(t).__name__}")
        if not -length <= t < length:
            raise ValueError(f"t must be in 0..{length - 1}, got {t}")
        return int(t) % length

    @property
    def final(self) -> MixtureParams:
        """The last parameters, ``params[-1]``."""
        return self.params[-1]


def run_em(
    x,
    init: MixtureParams,
    max_iter: int = 100,
    tol: float = 1e-6,
    shared_variance: bool = True,
    variance_floor: float | None = None,
    store_responsibilities: bool = False,
) -> EMTrace:
    r"""Run EM (slide 12) from ``init`` and return the whole trace.

    Each iteration t = 1, 2, ... is an E step :math:`q^{(t)} = p(z \mid x, θ^{(t)})` followed by an M step
    :math:`θ^{(t+1)} = \arg\max_θ E_{q^{(t)}}[\log p(x, z \mid θ)]`. The log-likelihood never
    decreases. The E step that starts the next iteration also yields the log-likelihood of the
    new parameters, so it is computed at no extra cost.

    Parameters
    ----------
    x : array_like, shape (n,)
    init : MixtureParams
        The start, θ⁽¹⁾ of slide 12 (``trace.params[0]``). With ``shared_variance=True`` its variances must all be equal (it must be a
        point of the shared-variance model, or EM's guarantee that the log-likelihood never
        decreases would not hold for the first step).
    max_iter : int, default 100
        Maximum number of iterations (``>= 0``).
    tol : float, default 1e-6
        Stop when the total log-likelihood changes by less than ``tol`` in one iteration.
        ``tol=0`` runs exactly ``max_iter`` iterations.
    shared_variance : bool, default True
        The lecture's model (one σ²) or one variance per component.
    variance_floor : float or None
        The guard against collapse, see :func:`m_step`.
    store_responsibilities : bool, default False
        Keep every ``e_step(x, params[t])`` in ``trace.resp`` (n·K floats per iteration).

    Returns
    -------
    EMTrace
    """
    x = _check_data(x)
    init = _check_params(init)
    if not is_int(max_iter):
        raise TypeError(f"max_iter must be an int, got {type(max_iter).__name__}")
    if max_iter < 0:
        raise ValueError(f"max_iter must be >= 0, got {max_iter}")
    if not is_real(tol):
        raise TypeError(f"tol must be a number, got {type(tol).__name__}")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol}")
    shared_variance = bool(shared_variance)
    if shared_variance and not init.is_shared:
        raise ValueError(
            f"init has different variances {init.variances} but shared_variance=True; start "
            "from one shared variance (MixtureParams.shared) or pass shared_variance=False"
        )
    # two (K, n) buffers reused by every iteration: the table that becomes the
    # responsibilities, and the M step's scratch
    table, work = np.empty((init.K, x.size)), np.empty((init.K, x.size))
    resp, ll = _e_step(x, init, out=table)  # E step on θ^(1), the start
    floor = _resolve_floor(x, variance_floor)
    params: list[MixtureParams] = [init]
    log_likelihoods = [ll]
    stored = [resp.T.copy()] if store_responsibilities else None
    converged = False
    for _ in range(int(max_iter)):
        theta = _m_step(x, resp, shared_variance, floor, work)  # M step: θ^(t+1)
        resp, ll_new = _e_step(x, theta, out=table)  # E step: q^(t+1), log p(x | θ^(t+1))
        params.append(theta)
        log_likelihoods.append(ll_new)
        if stored is not None:
            stored.append(resp.T.copy())
        if abs(ll_new - ll) < tol:
            converged = True
            break
        ll = ll_new
    return EMTrace(
        params=params,
        log_likelihoods=np.array(log_likelihoods),
        converged=converged,
        n_iter=len(params) - 1,
        x=x,
        shared_variance=shared_variance,
        resp=stored,
        tol=float(tol),
        max_iter=int(max_iter),
        variance_floor=variance_floor,
    )


# --------------------------------------------------------------------------------------------
# The alternative to EM: maximise log p(x | θ) directly with a general-purpose optimiser
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class DirectFit:
    r"""What :func:`fit_direct` did: the optimiser's answer and its path.

    Attributes
    ----------
    params : MixtureParams
        The maximiser found, θ̂ (components in the order of ``init``).
    log_likelihood : float
        Total :math:`\log p(x \mid \hat θ)`, nats.
    log_likelihoods : ndarray
        :math:`\log p(x \mid θ)` at the start and after each optimiser iteration
        (``len == n_iter + 1``), for plots beside :attr:`EMTrace.log_likelihoods`.
    n_iter : int
        Iterations of the optimiser (quasi-Newton steps for ``"BFGS"``).
    n_evaluations : int
        Evaluations of log p(x | θ) (each with its gradient), line searches included: the
        honest cost to set beside EM's one E step per iteration.
    converged : bool
        scipy's ``success`` flag (the gradient norm fell below ``gtol``).
    message : str
        scipy's message.
    """

    params: MixtureParams
    log_likelihood: float
    log_likelihoods: np.ndarray
    n_iter: int
    n_evaluations: int
    converged: bool
    message: str


def _direct_pack(
    params: MixtureParams, shared_variance: bool, centre: float, scale: float
) -> np.ndarray:
    """θ -> the unconstrained vector (means, log variances, logits), on standardised data."""
    means = (params.means - centre) / scale
    log_var = np.log(params.variances / scale**2)
    if shared_variance:
        log_var = log_var[:1]
    logits = np.log(params.weights[1:]) - np.log(params.weights[0])  # K = 2: logit π
    return np.concatenate([means, log_var, logits])


def _direct_unpack(u: np.ndarray, K: int, shared_variance: bool) -> tuple:
    """The unconstrained vector -> (means, variances, weights) on standardised data."""
    means = u[:K]
    n_var = 1 if shared_variance else K
    variances = np.exp(np.broadcast_to(u[K : K + n_var], (K,)))
    logits = np.concatenate([[0.0], u[K + n_var :]])
    weights = np.exp(logits - logsumexp(logits))  # softmax: every weight in (0, 1), sum 1
    return means, variances, weights


def fit_direct(
    x,
    init: MixtureParams,
    *,
    shared_variance: bool = True,
    max_iter: int = 1000,
    gtol: float = 1e-9,
) -> DirectFit:
    r"""Maximise :math:`\log p(x \mid θ)` directly with ``scipy.optimize.minimize`` (BFGS).

    The alternative to :func:`run_em` (slide 9's method 2 without EM). The constraints
    :math:`0 < \pi < 1` and :math:`\sigma^2 > 0` are removed by a change of variables, so an
    unconstrained quasi-Newton method can be used:

    .. math::

        u = \bigl(\mu_0, \mu_1, \log \sigma^2, \operatorname{logit} \pi\bigr), \qquad
        \pi = \frac{1}{1 + e^{-u_4}}, \quad \sigma^2 = e^{u_3}

    (for K components: the K means, one log variance, or K with ``shared_variance=False``, and
    the K - 1 log-ratios :math:`\log(\pi_k / \pi_0)`, a softmax). The data are standardised
    inside (``(x - mean) / sd``, transformed back at the end) so that the tolerance does not
    depend on the units. The gradient is exact and comes from the E step (Fisher's identity,
    :math:`\nabla \log p(x \mid θ) = E_{q}[\nabla \log p(x, z \mid θ)]` at
    :math:`q = p(z \mid x, θ)`): with responsibilities :math:`r_{ik}`,

    .. math::

        \frac{\partial \ell}{\partial \mu_k} = \sum_i r_{ik} \frac{x_i - \mu_k}{\sigma^2}, \quad
        \frac{\partial \ell}{\partial \log \sigma^2} = \sum_i \sum_k r_{ik}
        \Bigl(\frac{(x_i - \mu_k)^2}{2 \sigma^2} - \frac12\Bigr), \quad
        \frac{\partial \ell}{\partial \operatorname{logit} \pi} = N_1 - n \pi .

    Parameters
    ----------
    x : array_like, shape (n,)
    init : MixtureParams
        The start θ⁽¹⁾, with every weight > 0 (a weight of 0 has no logit); with
        ``shared_variance=True`` its variances must be equal.
    shared_variance : bool, default True
        The lecture's model (one σ²) or one variance per component.
    max_iter : int, default 1000
        Most BFGS iterations (``>= 1``).
    gtol : float, default 1e-9
        Stop when the largest entry of the gradient of the mean log-likelihood per point (on
        the standardised scale) is below ``gtol``.

    Returns
    -------
    DirectFit

    Raises
    ------
    TypeError, ValueError
        Bad ``x``, ``init``, ``max_iter`` or ``gtol``, naming the argument.
    """
    from scipy.optimize import minimize  # local: keeps `import lecture_utils.mixture` light

    x = _check_data(x)
    init = _check_params(init)
    shared_variance = bool(shared_variance)
    if not is_int(max_iter):
        raise TypeError(f"max_iter must be an int, got {type(max_iter).__name__}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if not is_real(gtol):
        raise TypeError(f"gtol must be a number, got {type(gtol).__name__}")
    if not np.isfinite(gtol) or gtol <= 0:
        raise ValueError(f"gtol must be a finite number > 0, got {gtol}")
    if np.any(init.weights <= 0):
        raise ValueError(
            f"init.weights must all be > 0 (the optimiser works on log-ratios of weights), "
            f"got {init.weights}"
        )
    if shared_variance and not init.is_shared:
        raise ValueError(
            f"init has different variances {init.variances} but shared_variance=True; start "
            "from one shared variance (MixtureParams.shared) or pass shared_variance=False"
        )
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError("x must hold at least two different values to fit a mixture")

    K, n = init.K, x.size
    centre, scale = float(np.mean(x)), float(np.std(x))
    xs = (x - centre) / scale
    log_scale = n * math.log(scale)  # log p(x) = log p(xs) - n log(scale)

    def negative(u):
        means, variances, weights = _direct_unpack(u, K, shared_variance)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            log_joint = (
                np.log(weights)[:, None]
                - 0.5 * (_LOG_2PI + np.log(variances))[:, None]
                - (xs[None, :] - means[:, None]) ** 2 / (2 * variances[:, None])
            )
            log_px = logsumexp(log_joint, axis=0)
        if not np.all(np.isfinite(log_px)):
            return np.inf, np.zeros_like(u)
        r = np.exp(log_joint - log_px)  # responsibilities, (K, n)
        diff = xs[None, :] - means[:, None]
        g_means = (r * diff).sum(axis=1) / variances
        g_logvar = (r * (diff**2 / (2 * variances[:, None]) - 0.5)).sum(axis=1)
        if shared_variance:
            g_logvar = g_logvar.sum(keepdims=True)
        g_logits = r.sum(axis=1)[1:] - n * weights[1:]
        grad = np.concatenate([g_means, g_logvar, g_logits])
        return -log_px.sum() / n, -grad / n

    def to_params(u) -> MixtureParams:
        means, variances, weights = _direct_unpack(u, K, shared_variance)
        return MixtureParams(weights / weights.sum(), centre + scale * means, variances * scale**2)

    u0 = _direct_pack(init, shared_variance, centre, scale)
    path = [u0.copy()]
    n_calls = [0]

    def counted(u):
        n_calls[0] += 1
        return negative(u)

    result = minimize(
        counted,
        u0,
        jac=True,
        method="BFGS",
        callback=lambda u: path.append(np.array(u, copy=True)),
        options={"maxiter": int(max_iter), "gtol": float(gtol)},
    )
    lls = np.array([-negative(u)[0] * n - log_scale for u in path])
    params = to_params(result.x)
    return DirectFit(
        params=params,
        log_likelihood=log_likelihood(x, params),
        log_likelihoods=lls,
        n_iter=int(result.nit),
        n_evaluations=n_calls[0],
        converged=bool(result.success),
        message=str(result.message),
    )


# --------------------------------------------------------------------------------------------
# Many populations at once: shared-variance EM vectorised over a batch of data sets
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class EMBatch:
    r"""What :func:`run_em_batch` did, one entry per population.

    ``final[p]``: the last parameters of population p (what ``run_em(...).final`` gives);
    ``n_iter[p]``, ``converged[p]``: as in :class:`EMTrace`; ``log_likelihoods[p]``: its
    :math:`\log p(x \mid θ^{(t)})`, t = 1 .. n_iter + 1 (slide 12's numbering).
    """

    final: list
    n_iter: np.ndarray
    converged: np.ndarray
    log_likelihoods: list


def run_em_batch(
    xs, inits, max_iter: int = 100, tol: float = 1e-6, variance_floor: float | None = None
) -> EMBatch:
    r"""Shared-variance EM (slide 12) on P data sets of one size at once: ``run_em`` for each.

    Every population follows exactly the iterations and the stopping rule of
    :func:`run_em` with ``shared_variance=True``; the arrays are (P, K, n), so one pass of
    numpy does the E steps and the M steps of all populations still running (one that has
    converged is dropped from the arrays and keeps its own iteration count). For simulation
    studies, where run_em's per-iteration bookkeeping on small data sets costs more than the
    arithmetic. Only the final parameters are kept, not the whole trace. ``tests/test_mixture.py``
    checks it against :func:`run_em` one population at a time.

    Parameters
    ----------
    xs : array_like, shape (P, n)
    inits : sequence of P MixtureParams, each with one shared variance and the same K
    max_iter, tol, variance_floor : as in :func:`run_em` (the floor resolved per population)
    """
    xs = np.asarray(xs, dtype=float)
    if xs.ndim != 2 or xs.shape[0] < 1 or xs.shape[1] < 1:
        raise ValueError(f"xs must be a (P, n) array of P >= 1 data sets, got shape {xs.shape}")
    if not np.all(np.isfinite(xs)):
        raise ValueError("xs must be finite (no NaN or inf)")
    inits = [_check_params(p) for p in inits]
    if len(inits) != xs.shape[0]:
        raise ValueError(
            f"inits must have one MixtureParams per row of xs ({xs.shape[0]}), got {len(inits)}"
        )
    if len({p.K for p in inits}) != 1 or not all(p.is_shared for p in inits):
        raise ValueError(
            "inits must all have the same K and one shared variance each (MixtureParams.shared)"
        )
    if not is_int(max_iter) or max_iter < 0:
        raise ValueError(f"max_iter must be an int >= 0, got {max_iter!r}")
    if not is_real(tol) or not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    P, n = xs.shape
    floor = np.array([_resolve_floor(row, variance_floor) for row in xs])  # (P,)
    w = np.array([p.weights for p in inits])  # (P, K)
    mu = np.array([p.means for p in inits])
    var = np.array([p.variances[0] for p in inits])  # (P,)

    def e_step(xa, w, mu, var):  # the fused E step of _e_step, on (P, K, n)
        with np.errstate(divide="ignore", over="ignore"):
            constant = np.log(w) - 0.5 * (_LOG_2PI + np.log(var))[:, None]  # (P, K)
        table = np.subtract(xa[:, None, :], mu[:, :, None])
        np.square(table, out=table)
        table *= (-0.5 / var)[:, None, None]
        table += constant[:, :, None]
        shift = table.max(axis=1)  # (P, n)
        with np.errstate(invalid="ignore"):
            table -= shift[:, None, :]
            np.exp(table, out=table)
            evidence = table.sum(axis=1)
            table /= evidence[:, None, :]
            ll = shift.sum(axis=1) + np.log(evidence).sum(axis=1)  # (P,)
        if not np.all(np.isfinite(ll)):
            raise ValueError(
                "a data point has probability 0 under its population's "
                "parameters; check the units of xs and of inits"
            )
        return table, ll

    # the populations still running: `idx` into 0..P-1 and their rows (rebuilt only when one
    # converges, so a converged population costs nothing more)
    idx = np.arange(P)
    xa, fa = xs, floor
    resp, ll = e_step(xa, w, mu, var)
    lls = [[v] for v in ll]
    n_iter, converged = np.zeros(P, int), np.zeros(P, bool)
    for _ in range(int(max_iter)):
        if idx.size == 0:
            break
        N = resp.sum(axis=2)  # (P, K)
        if np.any(N <= 0):
            raise ValueError(
                f"a component has collapsed (N_k = 0) in population "
                f"{int(idx[np.any(N <= 0, axis=1)][0])}; start it from another init"
            )
        w_a = N / n
        mu_a = np.einsum("pkn,pn->pk", resp, xa) / N
        sq = np.subtract(xa[:, None, :], mu_a[:, :, None])
        np.square(sq, out=sq)
        scatter = np.einsum("pkn,pkn->pk", resp, sq).sum(axis=1)  # as in _m_step
        var_a = np.maximum(scatter / n, fa)
        if not np.all(var_a >= MIN_VARIANCE):
            raise ValueError("a population's shared variance collapsed; use a variance floor")
        w_a = w_a / w_a.sum(axis=1, keepdims=True)
        w[idx], mu[idx], var[idx] = w_a, mu_a, var_a
        resp, ll_new = e_step(xa, w_a, mu_a, var_a)
        n_iter[idx] += 1
        for j, p in enumerate(idx):
            lls[p].append(ll_new[j])
        done = np.abs(ll_new - ll) < tol
        ll = ll_new
        if done.any():
            converged[idx[done]] = True
            keep = ~done
            idx, xa, fa, resp, ll = idx[keep], xa[keep], fa[keep], resp[keep], ll[keep]
    final = [MixtureParams.shared(w[p], mu[p], float(var[p])) for p in range(P)]
    return EMBatch(final, n_iter, converged, [np.array(v) for v in lls])

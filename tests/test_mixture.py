"""Tests of lecture_utils.mixture, three ways: against scikit-learn and brute-force enumeration,
by hypothesis property tests, and on the real heights."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from lecture_utils import mixture
from lecture_utils.data import load_heights
from lecture_utils.mixture import (
    EMTrace,
    MixtureParams,
    brute_force_log_likelihood,
    component_densities,
    e_step,
    log_likelihood,
    lower_bound,
    m_step,
    mle_from_labels,
    posterior_from_params,
    run_em,
    sample_mixture,
)

RTOL = 1e-6


@pytest.fixture(scope="module")
def heights():
    return load_heights()


@pytest.fixture(scope="module")
def x_heights(heights):
    return heights["height"].to_numpy()


# ------------------------------------------------------------------------------------------
# Against scikit-learn: run_em == GaussianMixture(covariance_type="tied") from the same start
# ------------------------------------------------------------------------------------------


def sklearn_tied(x, init: MixtureParams, n_iter: int) -> GaussianMixture:
    """GaussianMixture started at ``init`` and run for exactly ``n_iter`` EM iterations.

    scikit-learn's loop (``BaseMixture.fit_predict``) does, for each of ``max_iter``
    iterations, an E step on the current parameters and then an M step; so after
    ``max_iter = t`` its parameters are our ``params[t]``. Its ``lower_bound_`` is the mean
    log-likelihood computed in the last E step, i.e. of ``params[t - 1]``.
    """
    model = GaussianMixture(
        n_components=init.K,
        covariance_type="tied",
        tol=0.0,
        reg_covar=0.0,
        max_iter=n_iter,
        weights_init=init.weights,
        means_init=init.means[:, np.newaxis],
        precisions_init=np.array([[1.0 / init.variances[0]]]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 never "converges"
        model.fit(x[:, np.newaxis])
    return model


def _simulated(params, n, seed):
    return sample_mixture(params, n, np.random.default_rng(seed))[0]


DATASETS = {
    "heights-K2": (None, MixtureParams.shared([0.5, 0.5], [62.0, 72.0], 16.0)),
    "heights-K3": (None, MixtureParams.shared([0.3, 0.4, 0.3], [60.0, 66.0, 72.0], 9.0)),
    "separated-K2": (
        _simulated(MixtureParams.shared([0.3, 0.7], [0.0, 10.0], 1.0), 500, 1),
        MixtureParams.shared([0.5, 0.5], [1.0, 8.0], 4.0),
    ),
    "overlapping-K2": (
        _simulated(MixtureParams.shared([0.23, 0.77], [64.9, 69.3], 13.3), 2000, 2),
        MixtureParams.shared([0.5, 0.5], [60.0, 75.0], 20.0),
    ),
    "K3": (
        _simulated(MixtureParams.shared([0.2, 0.5, 0.3], [-5.0, 0.0, 6.0], 2.0), 1500, 3),
        MixtureParams.shared([0.2, 0.3, 0.5], [-3.0, 1.0, 2.0], 5.0),
    ),
    "K4-shifted": (
        _simulated(
            MixtureParams.shared([0.25] * 4, [1e3, 1e3 + 4, 1e3 + 8, 1e3 + 12], 1.0), 1000, 4
        ),
        MixtureParams.shared([0.25] * 4, [998.0, 1003.0, 1007.0, 1015.0], 3.0),
    ),
}


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("n_iter", [1, 2, 5, 30])
def test_run_em_equals_sklearn_tied(name, n_iter, x_heights):
    x, init = DATASETS[name]
    x = x_heights if x is None else x
    trace = run_em(x, init, max_iter=n_iter, tol=0)
    model = sklearn_tied(x, init, n_iter)

    assert model.n_iter_ == n_iter == trace.n_iter
    ours = trace.params[n_iter]
    np.testing.assert_allclose(ours.weights, model.weights_, rtol=RTOL)
    np.testing.assert_allclose(ours.means, model.means_.ravel(), rtol=RTOL)
    np.testing.assert_allclose(ours.variances, model.covariances_[0, 0], rtol=RTOL)
    # the honest alignment of the log-likelihoods: sklearn reports the one of params[t-1]
    np.testing.assert_allclose(
        model.lower_bound_ * x.size, trace.log_likelihoods[n_iter - 1], rtol=1e-9
    )
    # and its score() of the fitted model is ours after t iterations
    np.testing.assert_allclose(
        model.score(x[:, np.newaxis]) * x.size, trace.log_likelihoods[n_iter], rtol=1e-9
    )


@pytest.mark.parametrize("name", ["heights-K2", "overlapping-K2", "K3"])
@pytest.mark.parametrize("n_iter", [1, 5, 30])
def test_per_component_variances_equal_sklearn_diag(name, n_iter, x_heights):
    # one variance per component is covariance_type="diag" in one dimension
    x, init = DATASETS[name]
    x = x_heights if x is None else x
    init = MixtureParams(init.weights, init.means, init.variances * np.linspace(0.5, 1.5, init.K))
    trace = run_em(x, init, max_iter=n_iter, tol=0, shared_variance=False, variance_floor=0)
    model = GaussianMixture(
        n_components=init.K,
        covariance_type="diag",
        tol=0.0,
        reg_covar=0.0,
        max_iter=n_iter,
        weights_init=init.weights,
        means_init=init.means[:, np.newaxis],
        precisions_init=(1.0 / init.variances)[:, np.newaxis],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x[:, np.newaxis])
    ours = trace.params[n_iter]
    np.testing.assert_allclose(ours.weights, model.weights_, rtol=RTOL)
    np.testing.assert_allclose(ours.means, model.means_.ravel(), rtol=RTOL)
    np.testing.assert_allclose(ours.variances, model.covariances_.ravel(), rtol=RTOL)


def test_e_step_and_log_likelihood_equal_sklearn(x_heights):
    theta = MixtureParams.shared([0.3, 0.7], [64.0, 70.0], 12.0)
    model = sklearn_tied(x_heights, theta, 1)
    # put sklearn's fitted model at theta exactly, then ask it for posteriors and scores
    model.weights_ = theta.weights
    model.means_ = theta.means[:, np.newaxis]
    model.covariances_ = np.array([[12.0]])
    model.precisions_cholesky_ = np.array([[1 / np.sqrt(12.0)]])
    X = x_heights[:, np.newaxis]
    np.testing.assert_allclose(e_step(x_heights, theta), model.predict_proba(X), rtol=1e-9)
    np.testing.assert_allclose(
        log_likelihood(x_heights, theta), model.score_samples(X).sum(), rtol=1e-12
    )


# ------------------------------------------------------------------------------------------
# Against brute force and against scipy, directly
# ------------------------------------------------------------------------------------------


def test_brute_force_equals_factorized_on_real_heights(x_heights):
    theta = MixtureParams.shared([0.23, 0.77], [64.9, 69.3], 13.3)
    x = x_heights[:12]
    assert brute_force_log_likelihood(x, theta) == pytest.approx(
        log_likelihood(x, theta), rel=1e-12
    )


def test_brute_force_counts_every_label_vector():
    # with identical components, p(x, z) is the same for all 2^n z: the sum is 2^n times one term
    x = np.array([0.1, -0.3, 1.2, 0.7, 2.0])
    theta = MixtureParams([0.5, 0.5], [0.0, 0.0], [1.0, 1.0])
    one_term = np.sum(np.log(0.5) + norm.logpdf(x))
    assert brute_force_log_likelihood(x, theta) == pytest.approx(one_term + x.size * np.log(2))


def test_brute_force_refuses_big_n():
    theta = MixtureParams.shared([0.5, 0.5], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="n = 30.*log_likelihood"):
        brute_force_log_likelihood(np.zeros(30), theta)
    with pytest.raises(ValueError, match="max_terms"):
        brute_force_log_likelihood(np.zeros(5), theta, max_terms=16)


def test_log_likelihood_equals_scipy_density():
    x = np.array([-2.0, 0.0, 0.5, 3.0, 40.0])
    theta = MixtureParams([0.2, 0.5, 0.3], [0.0, 1.0, 2.0], [1.0, 4.0, 0.25])
    density = sum(
        w * norm.pdf(x, m, np.sqrt(v))
        for w, m, v in zip(theta.weights, theta.means, theta.variances)
    )
    assert log_likelihood(x, theta) == pytest.approx(np.log(density).sum(), rel=1e-12)


def test_component_densities_are_the_weighted_normal_pdfs():
    theta = MixtureParams([0.2, 0.5, 0.3], [0.0, 1.0, 2.0], [1.0, 4.0, 0.25])
    grid = np.linspace(-5, 8, 301)
    dens = component_densities(grid, theta)
    for k in range(3):
        np.testing.assert_allclose(
            dens[:, k], theta.weights[k] * norm.pdf(grid, theta.means[k], theta.stds[k]), rtol=1e-12
        )
    # the mixture density integrates to 1 (trapezoid rule on a wide grid)
    wide = np.linspace(-30, 30, 20001)
    assert np.trapezoid(component_densities(wide, theta).sum(axis=1), wide) == pytest.approx(1)


def test_e_step_is_log_space_safe_far_in_the_tails():
    # naive pi*N(x)/sum underflows to 0/0 = NaN at x = 1e4; the log-space E step does not
    theta = MixtureParams([0.5, 0.5], [0.0, 1.0], [1.0, 1.0])
    resp = e_step(np.array([-1e4, 1e4]), theta)
    assert np.all(np.isfinite(resp))
    np.testing.assert_allclose(resp, [[1.0, 0.0], [0.0, 1.0]])
    trace = run_em(np.array([-1e4, 1e4, 0.0, 0.5]), theta, max_iter=3, tol=0)
    assert np.all(np.isfinite(trace.log_likelihoods))


def test_mle_from_labels_is_the_per_sex_statistics(heights):
    x = heights["height"].to_numpy()
    z = (heights["sex"] == "Male").to_numpy().astype(int)
    theta = mle_from_labels(x, z)
    by_sex = heights.groupby("sex")["height"]
    np.testing.assert_allclose(theta.weights, by_sex.size().to_numpy() / len(heights))
    np.testing.assert_allclose(theta.means, by_sex.mean().to_numpy(), rtol=1e-12)
    pooled = ((heights["height"] - by_sex.transform("mean")) ** 2).mean()
    np.testing.assert_allclose(theta.variances, [pooled, pooled], rtol=1e-12)
    per_sex = mle_from_labels(x, z, shared_variance=False)
    np.testing.assert_allclose(per_sex.variances, by_sex.var(ddof=0).to_numpy(), rtol=1e-12)
    assert (theta.weights * len(x)).round().tolist() == [238, 812]


def test_posterior_from_params_is_bayes_rule():
    theta = MixtureParams.shared([0.23, 0.77], [64.9, 69.3], 13.3)
    x = np.array([60.0, 67.0, 75.0])
    prior_odds = 0.77 / 0.23
    lr = norm.pdf(x, 69.3, np.sqrt(13.3)) / norm.pdf(x, 64.9, np.sqrt(13.3))
    p_male = prior_odds * lr / (1 + prior_odds * lr)
    np.testing.assert_allclose(posterior_from_params(x, theta)[:, 1], p_male, rtol=1e-12)


# ------------------------------------------------------------------------------------------
# The EM trace
# ------------------------------------------------------------------------------------------


def test_run_em_trace_layout(x_heights):
    init = MixtureParams.shared([0.5, 0.5], [62.0, 72.0], 16.0)
    trace = run_em(x_heights, init, max_iter=7, tol=0)
    assert isinstance(trace, EMTrace)
    assert trace.params[0] is init
    assert len(trace.params) == len(trace.log_likelihoods) == 8 and trace.n_iter == 7
    assert not trace.converged
    for t, theta in enumerate(trace.params):
        assert trace.log_likelihoods[t] == pytest.approx(
            log_likelihood(x_heights, theta), rel=1e-12
        )
    # params[t + 1] is one E step and one M step away from params[t]
    step = m_step(x_heights, e_step(x_heights, trace.params[3]))
    for field in ("weights", "means", "variances"):
        np.testing.assert_allclose(
            getattr(trace.params[4], field), getattr(step, field), rtol=1e-12
        )


def test_run_em_stops_on_tol_and_counts_iterations(x_heights):
    init = MixtureParams.shared([0.5, 0.5], [62.0, 72.0], 16.0)
    trace = run_em(x_heights, init, max_iter=1000, tol=1e-6)
    assert trace.converged and trace.n_iter < 1000
    changes = np.diff(trace.log_likelihoods)
    assert abs(changes[-1]) < 1e-6 and np.all(np.abs(changes[:-1]) >= 1e-6)
    assert run_em(x_heights, init, max_iter=0).params == [init]
    short = run_em(x_heights, init, max_iter=3, tol=1e-6)
    assert short.n_iter == 3 and not short.converged


def test_real_heights_em_finds_the_outliers_not_the_sexes(heights):
    # A fact about the real data that the notebook explains: the likelihood of the
    # shared-variance mixture is highest with a small component on the ~10 short outliers
    # (50-54 in), not at the two sexes; every start we tried, the label MLE included, ends there.
    x = heights["height"].to_numpy()
    labels = mle_from_labels(x, (heights["sex"] == "Male").to_numpy().astype(int))
    fits = []
    for init in [
        MixtureParams.shared([0.5, 0.5], [60.0, 75.0], 20.0),
        MixtureParams.shared([0.3, 0.7], [64.0, 70.0], 12.0),
        labels,
    ]:
        trace = run_em(x, init, max_iter=2000, tol=1e-9)
        assert trace.converged
        assert np.all(np.diff(trace.log_likelihoods) >= -1e-9)
        fits.append(trace.final.sorted())
    for fit in fits:
        np.testing.assert_allclose(fit.means, [53.31, 68.47], atol=0.01)
        np.testing.assert_allclose(fit.weights, [0.0096, 0.9904], atol=1e-4)
        assert log_likelihood(x, fit) > log_likelihood(x, labels) + 20


def test_trace_responsibilities_and_half_steps(x_heights):
    init = MixtureParams.shared([0.5, 0.5], [62.0, 72.0], 16.0)
    stored = run_em(x_heights, init, max_iter=6, tol=0, store_responsibilities=True)
    lazy = run_em(x_heights, init, max_iter=6, tol=0)
    assert lazy.resp is None and len(stored.resp) == 7
    for t in range(7):
        expected = e_step(x_heights, stored.params[t])
        np.testing.assert_allclose(stored.responsibilities(t), expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(lazy.responsibilities(t), expected, rtol=1e-12, atol=1e-15)
    for t in range(6):
        bound = stored.bound_after_m_step(t)
        assert stored.log_likelihoods[t] - 1e-9 <= bound <= stored.log_likelihoods[t + 1] + 1e-9
    with pytest.raises(ValueError, match="t must be in 0..5"):
        stored.bound_after_m_step(6)
    with pytest.raises(TypeError, match="t must be an int"):
        stored.responsibilities(1.5)


def test_fused_e_step_equals_the_logsumexp_one(x_heights):
    theta = MixtureParams([0.2, 0.5, 0.3], [60.0, 66.0, 72.0], [4.0, 9.0, 16.0])
    resp, total = mixture._e_step(x_heights, theta)
    np.testing.assert_allclose(resp.T, e_step(x_heights, theta), rtol=1e-12, atol=1e-15)
    log_joint = mixture._log_joint(x_heights, theta)
    assert total == pytest.approx(logsumexp(log_joint, axis=0).sum(), rel=1e-13)


# ------------------------------------------------------------------------------------------
# The guard against collapse (per-component variances)
# ------------------------------------------------------------------------------------------

COLLAPSE_X = np.array([0.0, 0.0, 0.0, 5.0, 6.0, 7.0])
COLLAPSE_RESP = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=float)


def test_collapse_without_the_floor_is_a_clear_error():
    with pytest.raises(ValueError, match="component 0 has collapsed.*variance_floor"):
        m_step(COLLAPSE_X, COLLAPSE_RESP, shared_variance=False, variance_floor=0)


def test_collapse_with_the_floor_stops_at_the_floor():
    theta = m_step(COLLAPSE_X, COLLAPSE_RESP, shared_variance=False)
    floor = mixture.DEFAULT_RELATIVE_VARIANCE_FLOOR * COLLAPSE_X.var()
    assert theta.variances[0] == floor
    assert theta.variances[1] == pytest.approx(2 / 3)
    assert (
        m_step(COLLAPSE_X, COLLAPSE_RESP, shared_variance=False, variance_floor=0.5).variances[0]
        == 0.5
    )


def test_per_component_em_on_a_heap_approaches_the_floor():
    # a component started on a heap of identical values shrinks onto it; the floor holds it
    x = np.concatenate([np.full(20, 70.0), np.linspace(55, 80, 200)])
    init = MixtureParams([0.1, 0.9], [70.0, 66.0], [0.05, 25.0])
    trace = run_em(x, init, max_iter=200, tol=0, shared_variance=False, variance_floor=1e-3)
    assert trace.final.variances.min() == 1e-3
    assert np.all(np.diff(trace.log_likelihoods) >= -1e-9)
    with pytest.raises(ValueError, match="collapsed"):
        run_em(x, init, max_iter=2000, tol=0, shared_variance=False, variance_floor=0)


def test_empty_component_is_a_clear_error():
    resp = np.tile([1.0, 0.0], (4, 1))
    with pytest.raises(ValueError, match="component 1 .*no data point"):
        m_step(np.arange(4.0), resp)


# ------------------------------------------------------------------------------------------
# Hypothesis property tests
# ------------------------------------------------------------------------------------------


@st.composite
def mixtures(draw, min_k=1, max_k=4, shared=None):
    K = draw(st.integers(min_k, max_k))
    raw = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=K, max_size=K)))
    means = np.array(draw(st.lists(st.floats(-20, 20), min_size=K, max_size=K)))
    is_shared = draw(st.booleans()) if shared is None else shared
    if is_shared:
        variances = np.full(K, draw(st.floats(0.05, 30)))
    else:
        variances = np.array(draw(st.lists(st.floats(0.05, 30), min_size=K, max_size=K)))
    return MixtureParams(raw / raw.sum(), means, variances)


@st.composite
def data_and_params(draw, min_n=2, max_n=200, **kw):
    truth = draw(mixtures(**kw))
    n = draw(st.integers(min_n, max_n))
    x, _ = sample_mixture(truth, n, np.random.default_rng(draw(st.integers(0, 2**32 - 1))))
    return x, truth


@st.composite
def data_and_init(draw, min_k=2, max_k=4, min_n=5, max_n=200):
    """Data from a random mixture, and a start for EM placed on the data, as one would."""
    x, _ = draw(data_and_params(min_n=min_n, max_n=max_n))
    K = draw(st.integers(min_k, max_k))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    raw = rng.uniform(0.1, 1.0, K)
    means = rng.choice(x, size=K, replace=False)
    shared = draw(st.booleans())
    variances = x.var() * rng.uniform(0.2, 2.0, 1 if shared else K)
    return x, MixtureParams(raw / raw.sum(), means, np.broadcast_to(variances, (K,))), shared


@settings(max_examples=40)
@given(data_and_init())
def test_log_likelihood_never_decreases(case):
    x, init, shared = case
    trace = run_em(x, init, max_iter=25, tol=0, shared_variance=shared)
    ll = trace.log_likelihoods
    assert np.all(np.isfinite(ll))
    assert np.all(np.diff(ll) >= -1e-9 * np.maximum(1.0, np.abs(ll[1:])))


@settings(max_examples=60)
@given(data_and_params(), st.integers(0, 2**32 - 1))
def test_lower_bound_below_log_likelihood_with_equality_at_the_posterior(data, seed):
    x, theta = data
    ll = log_likelihood(x, theta)
    q = np.random.default_rng(seed).dirichlet(np.full(theta.K, 0.5), size=x.size)
    assert lower_bound(x, theta, q) <= ll + 1e-9 * max(1.0, abs(ll))
    assert lower_bound(x, theta, e_step(x, theta)) == pytest.approx(ll, rel=1e-9, abs=1e-9)


@settings(max_examples=60)
@given(data_and_params())
def test_responsibilities_are_distributions(data):
    x, theta = data
    resp = e_step(x, theta)
    assert resp.shape == (x.size, theta.K)
    assert np.all((resp >= 0) & (resp <= 1))
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@settings(max_examples=25)
@given(mixtures(min_k=2), st.integers(0, 2**32 - 1))
def test_seeded_runs_repeat_exactly(truth, seed):
    x1, z1 = sample_mixture(truth, 300, np.random.default_rng(seed))
    x2, z2 = sample_mixture(truth, 300, np.random.default_rng(seed))
    assert np.array_equal(x1, x2) and np.array_equal(z1, z2)
    t1 = run_em(x1, truth, max_iter=10, tol=0, shared_variance=truth.is_shared)
    t2 = run_em(x2, truth, max_iter=10, tol=0, shared_variance=truth.is_shared)
    assert t1.params == t2.params
    assert np.array_equal(t1.log_likelihoods, t2.log_likelihoods)


@settings(max_examples=40)
@given(data_and_params(min_n=1, max_n=12, max_k=2))
def test_brute_force_equals_factorized_for_small_n(data):
    x, theta = data
    assert brute_force_log_likelihood(x, theta) == pytest.approx(
        log_likelihood(x, theta), rel=1e-10
    )


@settings(max_examples=20)
@given(data_and_params(min_n=1, max_n=7, min_k=3, max_k=3))
def test_brute_force_equals_factorized_for_three_components(data):
    x, theta = data
    assert brute_force_log_likelihood(x, theta) == pytest.approx(
        log_likelihood(x, theta), rel=1e-10
    )


@settings(max_examples=40)
@given(data_and_init(), st.integers(0, 2**32 - 1))
def test_m_step_maximizes_the_expected_complete_log_likelihood(case, seed):
    # L(q, theta) = E_q[log p(x, z | theta)] + H(q); H(q) does not depend on theta, so the M
    # step's theta must beat any nearby theta on L(q, .)
    x, theta, shared = case
    q = e_step(x, theta)
    best = m_step(x, q, shared_variance=shared, variance_floor=0)
    rng = np.random.default_rng(seed)
    w = best.weights * np.exp(rng.normal(0, 0.05, theta.K))
    variances = best.variances * np.exp(rng.normal(0, 0.05, 1 if shared else theta.K))
    nearby = MixtureParams(
        w / w.sum(),
        best.means + rng.normal(0, 0.05, theta.K),
        np.broadcast_to(variances, (theta.K,)),
    )
    at_best = lower_bound(x, best, q)
    assert lower_bound(x, nearby, q) <= at_best + 1e-9 * abs(at_best)


def test_no_nan_when_a_component_sits_on_one_point():
    # found by hypothesis: a variance that underflows to a subnormal made 1/variance overflow
    x = np.array([0.12784316, 0.46103364, 0.33484369, -0.24880798, 13.55260595])
    q = e_step(x, MixtureParams([2 / 3, 1 / 3], [0.0, 14.0], [0.125, 0.125]))
    with pytest.raises(ValueError, match="component 1 has collapsed"):
        m_step(x, q, shared_variance=False, variance_floor=0)
    floored = m_step(x, q, shared_variance=False)
    assert np.isfinite(lower_bound(x, floored, q))
    with pytest.raises(ValueError, match="variances must be positive"):
        MixtureParams([0.5, 0.5], [0.0, 1.0], [1.0, 1e-320])


def test_a_point_of_probability_zero_is_a_clear_error():
    theta = MixtureParams([1.0, 0.0], [0.0, 5.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"x\[1\] = 1e\+200 has probability 0"):
        e_step(np.array([0.0, 1e200]), theta)
    with pytest.raises(ValueError, match=r"x\[1\] = 1e\+200 has probability 0"):
        run_em(np.array([0.0, 1e200]), theta)


@settings(max_examples=40)
@given(data_and_params(min_n=9, min_k=2, max_k=3))
def test_mle_from_labels_equals_m_step_on_one_hot_labels(data):
    x, truth = data
    z = np.arange(x.size) % truth.K  # every label used
    one_hot = np.eye(truth.K)[z]
    from_labels, from_m_step = mle_from_labels(x, z), m_step(x, one_hot, variance_floor=0)
    for field in ("weights", "means", "variances"):
        np.testing.assert_allclose(
            getattr(from_labels, field), getattr(from_m_step, field), rtol=1e-12, atol=1e-14
        )


def test_lower_bound_handles_zero_entries_and_zero_weights():
    x = np.array([0.0, 1.0, 2.0])
    theta = MixtureParams([1.0, 0.0], [0.0, 5.0], [1.0, 1.0])
    q = np.array([[1.0, 0.0]] * 3)
    assert lower_bound(x, theta, q) == pytest.approx(log_likelihood(x, theta))
    assert np.isfinite(lower_bound(x, theta, q))
    np.testing.assert_array_equal(e_step(x, theta), q)


# ------------------------------------------------------------------------------------------
# Bad input: a TypeError or ValueError that names the argument
# ------------------------------------------------------------------------------------------

THETA = MixtureParams.shared([0.5, 0.5], [0.0, 1.0], 1.0)
GOOD_X = np.array([0.0, 0.5, 1.0, 2.0])

BAD_X = [
    (np.array([0.0, np.nan, 1.0]), ValueError, "x must be finite"),
    (np.array([0.0, np.inf]), ValueError, "x must be finite"),
    (np.array([]), ValueError, "x must not be empty"),
    (np.zeros((3, 2)), ValueError, r"x must be 1-D.*\(3, 2\)"),
    ("65.0", TypeError, "x must be a 1-D array of numbers"),
    (["a", "b"], TypeError, "x must be a 1-D array of real numbers"),
    (np.array([1 + 2j]), TypeError, "x must be a 1-D array of real numbers"),
    (None, TypeError, "x must be"),
]

FUNCTIONS = {
    "e_step": lambda x: e_step(x, THETA),
    "posterior_from_params": lambda x: posterior_from_params(x, THETA),
    "log_likelihood": lambda x: log_likelihood(x, THETA),
    "component_densities": lambda x: component_densities(x, THETA),
    "brute_force": lambda x: brute_force_log_likelihood(x, THETA),
    "run_em": lambda x: run_em(x, THETA),
    "m_step": lambda x: m_step(x, np.full((np.size(x), 2), 0.5)),
    "lower_bound": lambda x: lower_bound(x, THETA, np.full((np.size(x), 2), 0.5)),
    "mle_from_labels": lambda x: mle_from_labels(x, np.zeros(np.size(x), dtype=int)),
}


@pytest.mark.parametrize("func", list(FUNCTIONS))
@pytest.mark.parametrize("x, error, message", BAD_X, ids=lambda v: None)
def test_bad_x(func, x, error, message):
    with pytest.raises(error, match=message):
        FUNCTIONS[func](x)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(weights=[], means=[], variances=[]), ValueError, r"K >= 1"),
        (
            dict(weights=[0.5, 0.5], means=[0, 1], variances=[1.0, 0.0]),
            ValueError,
            "variances must be positive",
        ),
        (
            dict(weights=[0.5, 0.5], means=[0, 1], variances=[1.0, -2.0]),
            ValueError,
            "variances must be positive",
        ),
        (
            dict(weights=[0.5, 0.6], means=[0, 1], variances=[1, 1]),
            ValueError,
            "weights must sum to 1",
        ),
        (
            dict(weights=[1.5, -0.5], means=[0, 1], variances=[1, 1]),
            ValueError,
            "weights must be non-negative",
        ),
        (
            dict(weights=[0.5, 0.5], means=[0, 1, 2], variances=[1, 1]),
            ValueError,
            "means must have one entry per component",
        ),
        (
            dict(weights=[0.5, 0.5], means=[0, np.nan], variances=[1, 1]),
            ValueError,
            "means must be finite",
        ),
        (
            dict(weights=[0.5, 0.5], means=[0, 1], variances=[1, np.inf]),
            ValueError,
            "variances must be finite",
        ),
        (dict(weights=[1.0], means=5.0, variances=[1.0]), ValueError, "means must be a 1-D array"),
        (dict(weights=[0.5, 0.5], means=["a", "b"], variances=[1, 1]), TypeError, "means must be"),
        (
            dict(weights=[[0.5, 0.5]], means=[0, 1], variances=[1, 1]),
            ValueError,
            "weights must be 1-D",
        ),
    ],
)
def test_bad_params(kwargs, error, message):
    with pytest.raises(error, match=message):
        MixtureParams(**kwargs)


def test_params_are_frozen_and_validated_copies():
    w = np.array([0.5, 0.5])
    theta = MixtureParams(w, [0.0, 1.0], [1.0, 1.0])
    w[0] = 0.9
    assert theta.weights[0] == 0.5
    with pytest.raises(ValueError):
        theta.weights[0] = 0.1  # read-only array
    with pytest.raises(AttributeError):
        theta.weights = np.array([1.0])  # frozen dataclass
    assert MixtureParams([1.0], [0.0], [1.0]).K == 1


@pytest.mark.parametrize(
    "resp, message",
    [
        (np.full((4, 2), 0.5).T, r"resp must have shape \(n, K\) = \(4, K\).*\(2, 4\)"),
        (np.full((3, 2), 0.5), r"resp must have shape \(n, K\) = \(4, K\).*\(3, 2\)"),
        (np.full(4, 1.0), r"resp must have shape .*\(4,\)"),
        (np.full((4, 2), 0.7), "each row of resp must sum to 1"),
        (np.array([[1.5, -0.5]] * 4), r"resp must hold probabilities in \[0, 1\]"),
        (np.array([[np.nan, 1.0]] * 4), "resp must be finite"),
    ],
)
def test_bad_resp(resp, message):
    with pytest.raises(ValueError, match=message):
        m_step(GOOD_X, resp)
    with pytest.raises(ValueError, match=message):
        lower_bound(GOOD_X, THETA, resp)


def test_resp_with_the_wrong_number_of_components():
    with pytest.raises(ValueError, match="resp must have K = 2 columns"):
        lower_bound(GOOD_X, THETA, np.full((4, 3), 1 / 3))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: e_step(GOOD_X, {"weights": [1.0]}), TypeError, "params must be a MixtureParams"),
        (lambda: sample_mixture(THETA, -1, 0), ValueError, "n must be >= 0"),
        (lambda: sample_mixture(THETA, 2.5, 0), TypeError, "n must be an int"),
        (lambda: sample_mixture(THETA, 10, "seed"), TypeError, "rng must be a numpy Generator"),
        (lambda: run_em(GOOD_X, THETA, max_iter=-1), ValueError, "max_iter must be >= 0"),
        (
            lambda: run_em(GOOD_X, MixtureParams([0.5, 0.5], [0, 1], [1, 2])),
            ValueError,
            "init has different variances.*shared_variance=True",
        ),
        (lambda: run_em(GOOD_X, THETA, max_iter=2.0), TypeError, "max_iter must be an int"),
        (lambda: run_em(GOOD_X, THETA, tol=-1e-3), ValueError, "tol must be a finite number >= 0"),
        (lambda: run_em(GOOD_X, THETA, tol=np.nan), ValueError, "tol must be a finite number"),
        (lambda: run_em(GOOD_X, THETA, variance_floor=-1.0), ValueError, "variance_floor must be"),
        (
            lambda: m_step(GOOD_X, np.full((4, 2), 0.5), variance_floor="tiny"),
            TypeError,
            "variance_floor must be a number",
        ),
        (lambda: mle_from_labels(GOOD_X, [0, 1, 2]), ValueError, "z must have the same shape as x"),
        (lambda: mle_from_labels(GOOD_X, [0, 1, 0.5, 1]), TypeError, "z must hold integer labels"),
        (
            lambda: mle_from_labels(GOOD_X, [0, 0, 0, 0], K=2),
            ValueError,
            "z has no point with label 1",
        ),
        (
            lambda: mle_from_labels(GOOD_X, [0, 1, 1, 3], K=3),
            ValueError,
            r"z must hold labels in 0..2",
        ),
        (lambda: mle_from_labels(GOOD_X, [0, 1, 1, 0], K=0), ValueError, "K must be >= 1"),
        (
            lambda: brute_force_log_likelihood(GOOD_X, THETA, max_terms=1.5),
            TypeError,
            "max_terms must be an int",
        ),
    ],
)
def test_other_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sample_mixture_draws_from_the_model():
    theta = MixtureParams([0.25, 0.75], [-3.0, 3.0], [1.0, 4.0])
    x, z = sample_mixture(theta, 200_000, np.random.default_rng(0))
    assert abs(z.mean() - 0.75) < 0.005
    frame = pd.DataFrame({"x": x, "z": z}).groupby("z")["x"]
    np.testing.assert_allclose(frame.mean(), [-3.0, 3.0], atol=0.02)
    np.testing.assert_allclose(frame.var(), [1.0, 4.0], rtol=0.02)
    assert sample_mixture(theta, 0, 1)[0].shape == (0,)


# ------------------------------------------------------------------------------------------
# fit_direct: log p(x | θ) maximised by BFGS, against EM's optimum
# ------------------------------------------------------------------------------------------


def _faithful_eruptions():
    from lecture_utils.data import load_faithful

    return load_faithful()["eruptions"].to_numpy()


FAITHFUL_START = MixtureParams.shared([0.5, 0.5], [2.0, 4.0], 1.0)


@pytest.mark.parametrize("which", ["faithful", "heights"])
def test_fit_direct_reaches_run_ems_optimum(which, x_heights):
    if which == "faithful":
        x, init = _faithful_eruptions(), FAITHFUL_START
    else:
        x, init = x_heights, MixtureParams.shared([0.5, 0.5], [60.0, 75.0], 16.0)
    em = run_em(x, init, max_iter=5000, tol=1e-12)
    direct = mixture.fit_direct(x, init)
    assert em.converged and direct.converged, direct.message
    a, b = em.final.sorted(), direct.params.sorted()
    np.testing.assert_allclose(b.means, a.means, rtol=0, atol=1e-4)
    np.testing.assert_allclose(b.variances, a.variances, rtol=1e-4)
    np.testing.assert_allclose(b.weights, a.weights, rtol=0, atol=1e-5)
    assert direct.log_likelihood == pytest.approx(em.log_likelihoods[-1], abs=1e-7)
    # the path: starts at init, ends at the answer, has one entry per iteration
    assert direct.log_likelihoods.size == direct.n_iter + 1
    assert direct.log_likelihoods[0] == pytest.approx(log_likelihood(x, init), rel=1e-12)
    assert direct.log_likelihoods[-1] == pytest.approx(direct.log_likelihood, rel=1e-12)
    assert direct.n_evaluations >= direct.n_iter


def test_fit_direct_per_component_variances_is_an_em_fixed_point():
    x = _faithful_eruptions()
    init = MixtureParams([0.4, 0.6], [2.0, 4.5], [0.1, 0.2])
    direct = mixture.fit_direct(x, init, shared_variance=False)
    assert direct.converged
    step = m_step(x, e_step(x, direct.params), shared_variance=False)
    np.testing.assert_allclose(step.means, direct.params.means, atol=1e-6)
    np.testing.assert_allclose(step.variances, direct.params.variances, rtol=1e-5)
    assert not direct.params.is_shared


def _perturbed(theta, i, h):
    """theta with its i-th free coordinate (means, then variances, then weight 1) moved by h."""
    w, m, v = theta.weights.copy(), theta.means.copy(), theta.variances.copy()
    K = theta.K
    if i < K:
        m[i] += h
    elif i == K:
        v = v * np.exp(h)
    else:
        w = np.array([w[0] * np.exp(-h / 2), w[1] * np.exp(h / 2)])
        w = w / w.sum()
    return MixtureParams(w, m, v)


@settings(max_examples=30, deadline=None)
@given(data_and_init())
def test_fit_direct_ends_at_a_local_maximum_and_an_em_fixed_point(case):
    x, init, _ = case
    if init.K != 2 or not init.is_shared:
        init = MixtureParams.shared(
            init.weights[:2] / init.weights[:2].sum(), init.means[:2], float(init.variances[0])
        )
    if np.any(init.weights < 1e-3):
        return
    fit = mixture.fit_direct(x, init)
    ll0 = log_likelihood(x, init)
    assert fit.log_likelihood >= ll0 - 1e-9 * max(1.0, abs(ll0))  # never worse than the start
    if not fit.converged:
        return
    theta = fit.params
    scale = float(np.std(x))
    # no small move of any coordinate raises log p(x | θ) (an independent check: no gradient)
    for i in range(4):
        h = 1e-3 * (scale if i < 2 else 1.0)
        for sign in (-1, 1):
            assert log_likelihood(x, _perturbed(theta, i, sign * h)) <= fit.log_likelihood + 1e-6
    # a stationary point of log p(x | θ) is a fixed point of EM's E + M step
    step = m_step(x, e_step(x, theta))
    np.testing.assert_allclose(step.means, theta.means, rtol=0, atol=1e-4 * scale)
    np.testing.assert_allclose(step.weights, theta.weights, rtol=0, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"init": "start"}, TypeError, "params must be a MixtureParams"),
        (
            {"init": MixtureParams([0.0, 1.0], [2.0, 4.0], [1.0, 1.0])},
            ValueError,
            r"init\.weights must all be > 0",
        ),
        (
            {"init": MixtureParams([0.5, 0.5], [2.0, 4.0], [1.0, 2.0])},
            ValueError,
            "shared_variance=True",
        ),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an int"),
        ({"gtol": float("nan")}, ValueError, "gtol must be a finite number > 0"),
        ({"gtol": 0}, ValueError, "gtol must be a finite number > 0"),
        ({"x": [1.0, float("nan"), 2.0]}, ValueError, "x must be finite"),
        ({"x": [3.0, 3.0, 3.0]}, ValueError, "at least two different values"),
        ({"x": []}, ValueError, "x must not be empty"),
    ],
)
def test_fit_direct_refuses_bad_input(kwargs, error, match):
    arguments = {"x": _faithful_eruptions(), "init": FAITHFUL_START, **kwargs}
    x, init = arguments.pop("x"), arguments.pop("init")
    with pytest.raises(error, match=match):
        mixture.fit_direct(x, init, **arguments)


# --------------------------------------------------------------------------------------------
# run_em_batch: run_em on many populations at once
# --------------------------------------------------------------------------------------------


def _batch_vs_run_em(xs, inits, max_iter, tol):
    batch = mixture.run_em_batch(xs, inits, max_iter=max_iter, tol=tol)
    for p, (row, init) in enumerate(zip(xs, inits)):
        one = mixture.run_em(row, init, max_iter=max_iter, tol=tol)
        assert batch.n_iter[p] == one.n_iter and batch.converged[p] == one.converged
        for a, b in (
            (batch.final[p].weights, one.final.weights),
            (batch.final[p].means, one.final.means),
            (batch.final[p].variances, one.final.variances),
        ):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(batch.log_likelihoods[p], one.log_likelihoods, rtol=1e-12)


def test_run_em_batch_matches_run_em_on_the_heights_model(heights):
    x = heights["height"].to_numpy()
    z = (heights["sex"] == "Male").to_numpy().astype(int)
    theta = mixture.mle_from_labels(x, z)
    rng = np.random.default_rng(7)
    xs = np.array([mixture.sample_mixture(theta, 300, rng)[0] for _ in range(3)])
    inits = [
        MixtureParams.shared([0.5, 0.5], [r.mean() - r.std(), r.mean() + r.std()], r.var())
        for r in xs
    ]
    _batch_vs_run_em(xs, inits, max_iter=2000, tol=1e-6)
    batch = mixture.run_em_batch(xs, inits, max_iter=2000, tol=1e-6)
    assert len(set(batch.n_iter.tolist())) > 1  # they stop at different iterations


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(5, 60),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0, 3, 50]),
    st.sampled_from([0.0, 1e-6, 1e-2]),
)
def test_run_em_batch_property(P, n, seed, max_iter, tol):
    rng = np.random.default_rng(seed)
    xs = rng.normal(0, 1, (P, n)) + rng.integers(0, 2, (P, n)) * 3.0
    inits = [MixtureParams.shared([0.4, 0.6], [r.min(), r.max()], r.var() + 0.1) for r in xs]
    _batch_vs_run_em(xs, inits, max_iter, tol)


def test_run_em_batch_refuses_bad_input():
    good = MixtureParams.shared([0.5, 0.5], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="xs must be a"):
        mixture.run_em_batch(np.zeros(5), [good])
    with pytest.raises(ValueError, match="one MixtureParams per row"):
        mixture.run_em_batch(np.zeros((2, 5)), [good])
    with pytest.raises(ValueError, match="shared variance"):
        mixture.run_em_batch(np.zeros((1, 5)), [MixtureParams([0.5, 0.5], [0, 1], [1, 2])])
    with pytest.raises(ValueError, match="finite"):
        mixture.run_em_batch(np.full((1, 5), np.nan), [good])
    with pytest.raises(ValueError, match="tol"):
        mixture.run_em_batch(np.zeros((1, 5)), [good], tol=-1)

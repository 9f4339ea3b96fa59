"""lecture_utils.hmm: the discrete Poisson HMM and the fish model of slide 6.

Checked three ways: against hmmlearn's PoissonHMM and brute-force enumeration of all paths
(forward_backward), against a grid-free bootstrap particle filter (fish_posterior), and by
hypothesis properties (posteriors sum to 1, EM never decreases the likelihood, the likelihood
is unchanged under (lam, mu, sigma) -> (lam/c, c mu, c sigma)). There is no real fish data
in data/; the fish checks run on seeded simulations of the slide's model.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import assert_explorer_contract, assert_frame_changes
from hmmlearn.hmm import PoissonHMM
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lecture_utils import hmm

LAM, MU, SIGMA = 0.2, 500.0, 25.0


def random_hmm(rng, K):
    start = rng.dirichlet(np.ones(K))
    trans = rng.dirichlet(np.ones(K), size=K)
    rates = rng.uniform(0.5, 20, size=K)
    return start, trans, rates


def sample_hmm(rng, start, trans, rates, T):
    z = [rng.choice(len(start), p=start)]
    for _ in range(T - 1):
        z.append(rng.choice(len(start), p=trans[z[-1]]))
    return rng.poisson(rates[np.array(z)])


def hmmlearn_score(x, start, trans, rates):
    model = PoissonHMM(n_components=len(start), params="", init_params="")
    model.startprob_, model.transmat_, model.lambdas_ = start, trans, rates[:, None]
    return model.score_samples(np.asarray(x)[:, None])


def fish_hmm(x, lam, mu, sigma, grid):
    """The fish model on a grid as a plain discrete HMM (start = p(z_1) = p(z_0) A)."""
    trans = hmm.fish_transition(grid, sigma)
    prior0 = np.exp(-0.5 * ((grid - mu) / sigma) ** 2)
    return (prior0 / prior0.sum()) @ trans, trans, lam * grid


@pytest.fixture(scope="module")
def fish_data():
    return hmm.simulate_fish(60, LAM, MU, SIGMA, np.random.default_rng(4))


# --- forward_backward ------------------------------------------------------------------------


@pytest.mark.parametrize("K,T,seed", [(1, 10, 0), (3, 50, 1), (8, 200, 2)])
def test_forward_backward_equals_hmmlearn(K, T, seed):
    rng = np.random.default_rng(seed)
    start, trans, rates = random_hmm(rng, K)
    x = sample_hmm(rng, start, trans, rates, T)
    ll, post = hmm.forward_backward(x, start, trans, rates)
    ll_ref, post_ref = hmmlearn_score(x, start, trans, rates)
    assert ll == pytest.approx(ll_ref, abs=1e-8, rel=1e-12)
    np.testing.assert_allclose(post, post_ref, atol=1e-8)


def test_forward_backward_equals_hmmlearn_on_the_fish_grid(fish_data):
    _, x = fish_data
    grid = hmm.default_grid(x, LAM, MU, SIGMA)
    start, trans, rates = fish_hmm(x, LAM, MU, SIGMA, grid)
    ll, post = hmm.forward_backward(x, start, trans, rates)
    ll_ref, post_ref = hmmlearn_score(x, start, trans, rates)
    assert grid.size > 100
    assert ll == pytest.approx(ll_ref, abs=1e-8)
    np.testing.assert_allclose(post, post_ref, atol=1e-8)


def brute_force_posteriors(x, start, trans, rates):
    K, T = len(start), len(x)
    paths = np.array(list(itertools.product(range(K), repeat=T)))
    from scipy.stats import poisson

    prob = start[paths[:, 0]] * np.prod(poisson.pmf(x, rates[paths]), axis=1)
    prob *= np.prod(trans[paths[:, :-1], paths[:, 1:]], axis=1)
    post = np.array([[prob[paths[:, t] == k].sum() for k in range(K)] for t in range(T)])
    return post / prob.sum()


@settings(max_examples=25)
@given(K=st.integers(1, 3), T=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_forward_backward_equals_brute_force(K, T, seed):
    rng = np.random.default_rng(seed)
    start, trans, rates = random_hmm(rng, K)
    x = sample_hmm(rng, start, trans, rates, T)
    ll, post = hmm.forward_backward(x, start, trans, rates)
    assert ll == pytest.approx(
        hmm.brute_force_log_likelihood(x, start, trans, rates), abs=1e-9, rel=1e-12
    )
    np.testing.assert_allclose(post, brute_force_posteriors(x, start, trans, rates), atol=1e-10)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-12)


def test_forward_backward_is_stable_for_long_series():
    rng = np.random.default_rng(5)
    start, trans, rates = random_hmm(rng, 4)
    rates = rates * 50  # large counts, tiny probabilities
    x = sample_hmm(rng, start, trans, rates, 10_000)
    ll, post = hmm.forward_backward(x, start, trans, rates)
    ll_ref, post_ref = hmmlearn_score(x, start, trans, rates)
    assert np.isfinite(ll) and ll < -1e4
    assert ll == pytest.approx(ll_ref, rel=1e-10)
    np.testing.assert_allclose(post, post_ref, atol=1e-8)


def test_brute_force_refuses_too_many_paths():
    with pytest.raises(ValueError, match="too many"):
        hmm.brute_force_log_likelihood(
            np.zeros(30, int), [0.5, 0.5], np.full((2, 2), 0.5), [1.0, 2.0]
        )


# --- simulation ------------------------------------------------------------------------------


def test_simulate_fish_shapes_and_seeding():
    z, x = hmm.simulate_fish(50, LAM, MU, SIGMA, np.random.default_rng(1))
    z2, x2 = hmm.simulate_fish(50, LAM, MU, SIGMA, np.random.default_rng(1))
    assert z.shape == x.shape == (50,)
    assert x.dtype.kind == "i"
    np.testing.assert_array_equal(z, z2)
    np.testing.assert_array_equal(x, x2)


def test_simulated_walk_is_truncated_at_zero():
    """mu = sigma: the untruncated walk would go negative in most runs; ours never does, and
    its steps have the truncated normal's mean, not the plain normal's zero mean."""
    rng = np.random.default_rng(2)
    zs = np.array([hmm.simulate_fish(30, 1.0, 1.0, 1.0, rng)[0] for _ in range(100)])
    assert zs.min() >= 0
    assert np.mean(np.diff(zs, axis=1)) > 0.02  # pushed up by the wall at 0


# --- fish_posterior ----------------------------------------------------------------------------


def test_fish_posterior_is_the_discrete_hmm_on_its_grid(fish_data):
    _, x = fish_data
    post = hmm.fish_posterior(x, LAM, MU, SIGMA)
    ll, smoothed = hmm.forward_backward(x, *fish_hmm(x, LAM, MU, SIGMA, post.grid))
    assert post.log_likelihood == pytest.approx(ll, abs=1e-10)
    np.testing.assert_allclose(post.smoothed, smoothed, atol=1e-12)
    for p in (post.predicted, post.filtered, post.smoothed):
        assert p.shape == (x.size, post.grid.size)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(post.filtered[-1], post.smoothed[-1], atol=1e-12)


def test_default_grid_resolves_and_covers(fish_data):
    _, x = fish_data
    grid = hmm.default_grid(x, LAM, MU, SIGMA)
    assert np.diff(grid).max() <= SIGMA / 2
    assert grid[0] >= 0 and grid[-1] > x.max() / LAM
    wide = np.arange(0, 3000, SIGMA / 4)
    a, b = hmm.fish_posterior(x, LAM, MU, SIGMA), hmm.fish_posterior(x, LAM, MU, SIGMA, wide)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, abs=1e-8)


def test_grid_log_likelihood_converges_as_the_grid_is_refined(fish_data):
    _, x = fish_data
    lls = [
        hmm.fish_posterior(x, LAM, MU, SIGMA, np.arange(0, 2000, SIGMA / k)).log_likelihood
        for k in (1, 2, 4, 8, 16)
    ]
    errors = np.abs(np.array(lls[:-1]) - lls[-1])
    assert errors[0] > errors[1] or errors[0] < 1e-6
    assert errors[1:].max() < 1e-8


def test_grid_agrees_with_the_particle_filter(fish_data):
    _, x = fish_data
    grid_ll = hmm.fish_posterior(x, LAM, MU, SIGMA).log_likelihood
    runs = [
        hmm.particle_filter(x, LAM, MU, SIGMA, 2000, np.random.default_rng(s)) for s in range(12)
    ]
    lls = np.array([r.log_likelihood for r in runs])
    se = lls.std(ddof=1) / np.sqrt(lls.size)
    assert 0 < se < 0.1
    assert abs(lls.mean() - grid_ll) < 4 * se + 0.01  # + the estimator's small bias
    means = np.mean([r.means for r in runs], axis=0)
    np.testing.assert_allclose(
        means, hmm.fish_posterior(x, LAM, MU, SIGMA).mean("filtered"), rtol=0.01
    )


def test_truncation_is_consistent_between_grid_and_particle_filter():
    """Near zero (mu = 2 sigma) the truncation matters; grid and simulation-based filter must
    still agree, which they would not if one reflected and the other truncated."""
    lam, mu, sigma = 2.0, 2.0, 1.0
    _, x = hmm.simulate_fish(25, lam, mu, sigma, np.random.default_rng(9))
    post = hmm.fish_posterior(x, lam, mu, sigma)
    assert post.grid[0] == 0.0
    lls = np.array(
        [
            hmm.particle_filter(x, lam, mu, sigma, 4000, np.random.default_rng(s)).log_likelihood
            for s in range(10)
        ]
    )
    se = lls.std(ddof=1) / np.sqrt(lls.size)
    assert abs(lls.mean() - post.log_likelihood) < 4 * se + 0.01


@settings(max_examples=20)
@given(c=st.floats(0.01, 100), seed=st.integers(0, 1000))
def test_likelihood_is_scale_invariant(c, seed):
    _, x = hmm.simulate_fish(20, LAM, MU, SIGMA, np.random.default_rng(seed))
    post = hmm.fish_posterior(x, LAM, MU, SIGMA)
    scaled = hmm.fish_posterior(x, LAM / c, c * MU, c * SIGMA, c * post.grid)
    assert scaled.log_likelihood == pytest.approx(post.log_likelihood, abs=1e-8)
    np.testing.assert_allclose(scaled.smoothed, post.smoothed, atol=1e-10)


def test_a_grid_that_does_not_cover_is_refused(fish_data):
    _, x = fish_data
    with pytest.raises(ValueError, match="grid does not cover"):
        hmm.fish_posterior(x, LAM, MU, SIGMA, np.arange(0, x.max() / LAM * 0.8, 5.0))
    with pytest.raises(ValueError, match="grid does not cover"):
        hmm.fish_posterior(x, LAM, MU, SIGMA, np.arange(480, 2000, 5.0))


# --- EM ----------------------------------------------------------------------------------------


def test_expected_squared_steps_equal_explicit_pairwise_posteriors():
    lam, mu, sigma = 1.0, 6.0, 1.5
    _, x = hmm.simulate_fish(5, lam, mu, sigma, np.random.default_rng(3))
    grid = np.arange(0, 20, 0.5)
    fp = hmm._fish_passes(x, lam, mu, sigma, grid)
    # p(z_0..z_T, x) on the grid, by brute force over the chain's joint of neighbours:
    A, prior0 = fp.trans, fp.prior0
    from scipy.stats import poisson

    B = poisson.pmf(x[:, None], lam * grid[None, :])
    # forward/backward without scaling (tiny problem) -> xi_t(i, j)
    alpha = [prior0]
    for t in range(len(x)):
        alpha.append((alpha[-1] @ A) * B[t])
    beta = [np.ones_like(grid)]
    for t in range(len(x) - 1, -1, -1):
        beta.insert(0, A @ (B[t] * beta[0]))
    px = alpha[-1].sum()
    D = (grid[None, :] - grid[:, None]) ** 2
    total = (
        sum(
            np.sum(alpha[t][:, None] * A * (B[t] * beta[t + 1])[None, :] * D) for t in range(len(x))
        )
        / px
    )
    total += np.sum(alpha[0] * beta[0] * (grid - mu) ** 2) / px
    assert np.log(px) == pytest.approx(fp.posterior.log_likelihood, abs=1e-10)
    assert hmm._expected_sq_steps(fp, mu) == pytest.approx(total, rel=1e-10)


def test_em_m_step_is_the_closed_form(fish_data):
    _, x = fish_data
    trace = hmm.fit_fish_em(x, MU, 0.15, 40.0, max_iter=1)
    post = hmm.fish_posterior(x, 0.15, MU, 40.0, trace.grid)
    assert trace.lam[1] == pytest.approx(x.sum() / post.mean().sum(), rel=1e-12)
    assert trace.log_likelihoods.shape == trace.lam.shape == trace.sigma.shape == (2,)
    assert trace.log_likelihoods[0] == pytest.approx(post.log_likelihood, abs=1e-10)


def test_em_moves_towards_the_truth(fish_data):
    _, x = fish_data
    trace = hmm.fit_fish_em(x, MU, 0.3, 15.0, max_iter=15)
    assert trace.log_likelihoods[-1] > trace.log_likelihoods[0] + 3
    assert np.all(np.diff(trace.lam) < 0)  # lam falls towards 0.2 ...
    assert abs(trace.sigma[-1] - SIGMA) < abs(15.0 - SIGMA)  # ... sigma rises towards 25


@settings(max_examples=10)
@given(
    seed=st.integers(0, 10**6),
    lam0=st.floats(0.1, 0.4),
    sigma0=st.floats(15.0, 60.0),
    ratio=st.floats(8.0, 40.0),
)
def test_em_log_likelihood_never_decreases(seed, lam0, sigma0, ratio):
    _, x = hmm.simulate_fish(25, LAM, MU, MU / ratio, np.random.default_rng(seed))
    trace = hmm.fit_fish_em(x, MU, lam0, sigma0, max_iter=6, tol=0.0)
    assert np.all(np.diff(trace.log_likelihoods) >= -1e-9)


# --- particle filter ---------------------------------------------------------------------------


def test_particle_filter_repeats_with_a_seed(fish_data):
    _, x = fish_data
    a = hmm.particle_filter(x, LAM, MU, SIGMA, 300, np.random.default_rng(7))
    b = hmm.particle_filter(x, LAM, MU, SIGMA, 300, np.random.default_rng(7))
    assert a.log_likelihood == b.log_likelihood
    np.testing.assert_array_equal(a.means, b.means)


# --- bad input ---------------------------------------------------------------------------------

GOOD = dict(start_prob=[0.5, 0.5], trans_mat=[[0.9, 0.1], [0.2, 0.8]], rates=[1.0, 5.0])


@pytest.mark.parametrize(
    "x,error,match",
    [
        ([1, -2, 3], ValueError, "x must be non-negative"),
        ([1, 2.5, 3], ValueError, "x must be integer counts"),
        ([1, np.nan], ValueError, "x must be finite"),
        ([], ValueError, "x must be a non-empty 1-D"),
        ([[1, 2]], ValueError, "x must be a non-empty 1-D"),
        (["a", "b"], TypeError, "x must be an array of integer counts"),
    ],
)
def test_bad_counts_are_refused(x, error, match):
    with pytest.raises(error, match=match):
        hmm.forward_backward(x, **GOOD)
    with pytest.raises(error, match=match):
        hmm.fish_posterior(x, LAM, MU, SIGMA)


@pytest.mark.parametrize(
    "change,match",
    [
        (dict(trans_mat=[[0.9, 0.2], [0.2, 0.8]]), "trans_mat rows must sum to 1; row 0"),
        (dict(trans_mat=[[0.9, 0.1]]), r"trans_mat must have shape \(K, K\)"),
        (dict(trans_mat=[[1.1, -0.1], [0.2, 0.8]]), "trans_mat must be non-negative"),
        (dict(start_prob=[0.5, 0.6]), "start_prob must sum to 1"),
        (dict(rates=[1.0, -5.0]), "rates must be non-negative"),
        (dict(rates=[1.0]), r"rates must have shape \(K,\)"),
    ],
)
def test_bad_hmm_parameters_are_refused(change, match):
    with pytest.raises(ValueError, match=match):
        hmm.forward_backward([1, 2, 3], **{**GOOD, **change})


def test_impossible_data_is_refused_not_nan():
    with pytest.raises(ValueError, match="impossible"):
        hmm.forward_backward([0, 3], [1.0], [[1.0]], [0.0])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(sigma=0.0), "sigma must be a finite number > 0"),
        (dict(sigma=-1.0), "sigma must be a finite number > 0"),
        (dict(lam=0.0), "lam must be a finite number > 0"),
        (dict(lam=-0.2), "lam must be a finite number > 0"),
        (dict(mu=np.inf), "mu must be finite"),
        (dict(grid=[0.0, 10.0, 5.0, 20.0]), "grid must be strictly increasing"),
        (dict(grid=[0.0, 1.0, 3.0, 4.0]), "grid must be uniformly spaced"),
        (dict(grid=np.arange(-50, 1000, 5.0)), "grid must be >= 0"),
        (dict(grid=np.arange(0, 2000, 50.0)), "grid spacing 50 is too coarse"),
        (dict(grid=[1.0, 2.0]), "grid must be a 1-D array of at least 3"),
    ],
)
def test_bad_fish_parameters_are_refused(fish_data, kwargs, match):
    _, x = fish_data
    args = dict(lam=LAM, mu=MU, sigma=SIGMA, grid=None) | kwargs
    with pytest.raises(ValueError, match=match):
        hmm.fish_posterior(x, **args)


def test_bad_simulation_arguments_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="T must be an integer >= 1"):
        hmm.simulate_fish(0, LAM, MU, SIGMA, rng)
    with pytest.raises(ValueError, match="sigma must be"):
        hmm.simulate_fish(5, LAM, MU, 0.0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        hmm.simulate_fish(5, LAM, MU, SIGMA, "42")
    # the package's one rng policy: an int seed is a seed, as in mixture and election
    np.testing.assert_array_equal(
        hmm.simulate_fish(5, LAM, MU, SIGMA, 42)[1],
        hmm.simulate_fish(5, LAM, MU, SIGMA, np.random.default_rng(42))[1],
    )
    with pytest.raises(TypeError, match="lam must be a real number"):
        hmm.simulate_fish(5, "0.2", MU, SIGMA, rng)


def test_em_refuses_bad_start():
    with pytest.raises(ValueError, match="lam0 must be"):
        hmm.fit_fish_em([3, 4, 5], MU, 0.0, SIGMA)
    with pytest.raises(ValueError, match="sigma0 must be"):
        hmm.fit_fish_em([3, 4, 5], MU, LAM, -1.0)


# --- explorers (lecture_utils.widgets, fish section) -----------------------------------------


def test_filter_explorer_follows_the_slider(fish_data):
    from lecture_utils import widgets

    z, x = fish_data
    post = hmm.fish_posterior(x, LAM, MU, SIGMA)
    box = widgets.fish_filter_explorer(post, x, LAM, truth=z, dpi=30)
    assert_explorer_contract(box)
    assert len(box.slider.options) == x.size and box.slider.index == 0
    assert_frame_changes(box, t=12)
    assert box.readout.startswith("t = 12 ")
    assert f"count x<sub>t</sub> = {x[11]}" in box.readout
    assert "time 12 of" in box.alt


def test_filter_steps_are_the_posterior_and_the_poisson_likelihood(fish_data):
    from scipy import stats

    z, x = fish_data
    post = hmm.fish_posterior(x, LAM, MU, SIGMA)
    steps = hmm.filter_steps(post, x, LAM, truth=z)
    np.testing.assert_allclose(steps.filtered[11], post.filtered[11] / post.spacing)
    like = stats.poisson.pmf(x[11], LAM * post.grid)  # independent: scipy's pmf
    np.testing.assert_allclose(
        steps.likelihood[11], like / (like.sum() * post.spacing), rtol=1e-9, atol=1e-300
    )
    np.testing.assert_allclose(steps.filtered_mean, post.mean("filtered"))
    with pytest.raises(ValueError, match="time steps"):
        hmm.filter_steps(post, x[:-1], LAM)


def test_parameter_explorer_only_indexes_the_sweep(fish_data):
    from lecture_utils import widgets

    z, x = fish_data
    sweep = hmm.posterior_sweep(x, MU, sigmas=[15.0, 25.0, 35.0], lams=[0.15, 0.2, 0.25])
    np.testing.assert_allclose(
        sweep.log_likelihood[1, 1], hmm.fish_posterior(x, LAM, MU, SIGMA).log_likelihood, atol=1e-8
    )
    box = widgets.fish_parameter_explorer(sweep, x, truth=z, dpi=30)
    assert_explorer_contract(box)
    assert_frame_changes(box, sigma=2, lam=0)
    assert box.readout.startswith("σ = 35 fish · λ = 0.15")
    assert "sigma 35 and lambda 0.15" in box.alt


def test_static_explorer_figures_have_the_panels_asked_for(fish_data):
    from lecture_utils import widgets

    z, x = fish_data
    post = hmm.fish_posterior(x, LAM, MU, SIGMA)
    fig = widgets.fish_filter_figure(post, x, LAM, truth=z, times=(1, 5, 9))
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes][1] == f"t = 5: count $x_t$ = {x[4]}"
    sweep = hmm.posterior_sweep(x, MU, sigmas=[15.0, 25.0], lams=[0.15, 0.2, 0.25])
    assert len(widgets.fish_sweep_figure(sweep, x, z).axes) == 4


def test_posterior_sweep_refuses_bad_values(fish_data):
    _, x = fish_data
    with pytest.raises(ValueError, match="sigmas must be"):
        hmm.posterior_sweep(x, MU, sigmas=[0.0, 10.0], lams=[0.2])
    with pytest.raises(ValueError, match="lams must be"):
        hmm.posterior_sweep(x, MU, sigmas=[10.0], lams=[])


# --- the block-restricted products of forward_backward ----------------------------------------


def test_block_products_equal_the_dense_recursion(fish_data, monkeypatch):
    _, x = fish_data
    grid = hmm.default_grid(x, LAM, MU, SIGMA)
    model = fish_hmm(x, LAM, MU, SIGMA, grid)
    ll, post = hmm.forward_backward(x, *model)
    monkeypatch.setattr(hmm, "_SKIP", 0.0)  # every state kept: plain dense passes
    ll_dense, post_dense = hmm.forward_backward(x, *model)
    assert ll == pytest.approx(ll_dense, abs=1e-11)
    np.testing.assert_allclose(post, post_dense, atol=1e-12)


def test_a_surprising_count_is_still_exact(fish_data):
    """An outlier count that the predicted belief puts far in its tail: the skipped states
    could matter, so the bound must send the computation to the dense path."""
    _, x = fish_data
    x = x.copy()
    x[30] = 400  # ~2000 fish for one step
    grid = np.arange(0, 2600, SIGMA / 2)
    model = fish_hmm(x, LAM, MU, SIGMA, grid)
    ll, post = hmm.forward_backward(x, *model)
    ll_ref, post_ref = hmmlearn_score(x, *model)
    assert ll == pytest.approx(ll_ref, abs=1e-8)
    np.testing.assert_allclose(post, post_ref, atol=1e-8)


# --- filtering against smoothing over many ponds -------------------------------------------


def test_filter_smoother_errors_recompute_pond_by_pond():
    calls = []
    errs = hmm.filter_smoother_errors(
        5,
        40,
        LAM,
        MU,
        SIGMA,
        np.random.default_rng(11),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(k, 5) for k in range(1, 6)]
    rng = np.random.default_rng(11)
    ponds = [hmm.simulate_fish(40, LAM, MU, SIGMA, rng) for _ in range(5)]
    grid = hmm._pond_grid(np.array([x for _, x in ponds]), LAM, MU, SIGMA)
    for k, (z, x) in enumerate(ponds):
        # the batched passes against fish_posterior's (sparse, one pond) on the same grid
        post = hmm.fish_posterior(x, LAM, MU, SIGMA, grid)
        for which, rmse, width in (
            ("filtered", errs.filtered_rmse, errs.filtered_width),
            ("smoothed", errs.smoothed_rmse, errs.smoothed_width),
        ):
            assert rmse[k] == pytest.approx(np.sqrt(np.mean((post.mean(which) - z) ** 2)))
            lo, hi = post.quantiles([0.05, 0.95], which=which)
            assert width[k] == pytest.approx(np.mean(hi - lo))
    assert errs.n_ponds == 5


def test_filter_smoother_errors_match_each_ponds_own_default_grid():
    """The shared grid changes nothing visible: each pond's own default grid (another
    offset and range) gives the same RMSE to 1e-9 and band widths to a tenth of a fish."""
    errs = hmm.filter_smoother_errors(8, 40, LAM, MU, SIGMA, np.random.default_rng(13))
    rng = np.random.default_rng(13)
    for k in range(8):
        z, x = hmm.simulate_fish(40, LAM, MU, SIGMA, rng)
        post = hmm.fish_posterior(x, LAM, MU, SIGMA)
        for which, rmse, width in (
            ("filtered", errs.filtered_rmse, errs.filtered_width),
            ("smoothed", errs.smoothed_rmse, errs.smoothed_width),
        ):
            assert rmse[k] == pytest.approx(np.sqrt(np.mean((post.mean(which) - z) ** 2)), abs=1e-9)
            lo, hi = post.quantiles([0.05, 0.95], which=which)
            assert width[k] == pytest.approx(np.mean(hi - lo), abs=0.1)


@pytest.mark.parametrize("loc", [0.0, 1e-3, 0.5, 1.0, 10.0, 25.0, 80.0, 500.0, 1e4])
def test_truncated_normal_is_scipys_truncnorm_draw(loc):
    """The hand-written inverse CDF against scipy.stats.truncnorm (independent code), with
    the same generator: the same uniform is used, so the draws agree, and the stream too."""
    locs = np.full(50, loc)
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    ours = hmm._truncated_normal(locs, SIGMA, r1)
    ref = stats.truncnorm.rvs(
        -locs / SIGMA, np.inf, loc=locs, scale=SIGMA, size=50, random_state=r2
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-9)
    assert np.all(ours >= 0)
    assert r1.uniform() == r2.uniform()


def test_simulate_fish_is_the_step_by_step_truncnorm_walk():
    """simulate_fish draws its uniforms at once; the walk equals scipy's truncnorm, one step
    at a time from the same generator, and the counts are the same Poisson draws."""
    rng = np.random.default_rng(21)
    z, x = hmm.simulate_fish(30, LAM, MU, SIGMA, np.random.default_rng(21))
    walk, loc = [], MU
    for _ in range(31):
        loc = float(
            stats.truncnorm.rvs(-loc / SIGMA, np.inf, loc=loc, scale=SIGMA, random_state=rng)
        )
        walk.append(loc)
    np.testing.assert_allclose(z, walk[1:], rtol=1e-12)
    np.testing.assert_array_equal(x, rng.poisson(LAM * np.array(walk[1:])))


def test_smoothing_beats_filtering_on_average_but_not_in_every_pond():
    errs = hmm.filter_smoother_errors(60, 40, LAM, MU, SIGMA, np.random.default_rng(12))
    assert np.mean(errs.smoothed_rmse**2) < np.mean(errs.filtered_rmse**2)
    assert np.all(errs.smoothed_width < errs.filtered_width)  # smoothing conditions on more
    assert 0.5 < errs.smoothing_wins < 1.0  # ... yet one pond can go either way


@pytest.mark.parametrize("n_ponds", [0, -3, 2.5, True, "10"])
def test_filter_smoother_errors_refuses_bad_n_ponds(n_ponds):
    with pytest.raises(ValueError, match="n_ponds"):
        hmm.filter_smoother_errors(n_ponds, 40, LAM, MU, SIGMA, np.random.default_rng(0))


def test_filter_smoother_errors_refuses_a_progress_that_cannot_be_called():
    with pytest.raises(TypeError, match="progress"):
        hmm.filter_smoother_errors(2, 40, LAM, MU, SIGMA, np.random.default_rng(0), progress=3)

"""lecture_utils.bayes: closed-form posteriors checked three ways -- against a brute-force grid,
by hypothesis properties, and on the real heights data."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_explorer_contract, assert_frame_changes
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from lecture_utils import bayes
from lecture_utils.data import load_eight_schools, load_heights

HEIGHTS = load_heights()
IS_MALE = (HEIGHTS["sex"] == "Male").to_numpy(dtype=float)
MEN = HEIGHTS.loc[HEIGHTS["sex"] == "Male", "height"].to_numpy()

small = settings(max_examples=40, deadline=None)


# --- against brute force on a grid ---------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, n", [(1.0, 1.0, 1), (2.0, 2.0, 20), (0.5, 3.0, 60), (5.0, 1.0, 200)]
)
def test_beta_bernoulli_matches_grid(a, b, n):
    z = IS_MALE[:n]
    grid = np.linspace(1e-4, 1 - 1e-4, 4001)
    brute = bayes.grid_posterior(
        grid,
        stats.beta.logpdf(grid, a, b),
        stats.bernoulli.logpmf(z[:, None], grid[None, :]).sum(axis=0),
    )
    post = bayes.beta_bernoulli_posterior(bayes.BetaDist(a, b), z)
    assert np.allclose(post.pdf(grid), brute, rtol=2e-3, atol=2e-3 * brute.max())
    assert np.trapezoid(grid * brute, grid) == pytest.approx(post.mean, abs=1e-4)
    if a > 1 or n > 1:  # a unique mode
        assert grid[np.argmax(brute)] == pytest.approx(post.mode, abs=1e-3)


@pytest.mark.parametrize("n", [1, 10, 100, 812])
def test_normal_normal_matches_grid(n):
    x, sigma = MEN[:n], 3.6
    prior = bayes.NormalDist(66.0, 4.0)
    grid = np.linspace(40, 100, 30001)
    brute = bayes.grid_posterior(
        grid,
        stats.norm.logpdf(grid, prior.mean, prior.sd),
        stats.norm.logpdf(x[:, None], grid[None, :], sigma).sum(axis=0),
    )
    post = bayes.normal_normal_posterior(prior, x, sigma)
    assert np.allclose(post.pdf(grid), brute, rtol=1e-3, atol=1e-3 * brute.max())
    mean = np.trapezoid(grid * brute, grid)
    assert mean == pytest.approx(post.mean, abs=1e-4)
    assert np.sqrt(np.trapezoid((grid - mean) ** 2 * brute, grid)) == pytest.approx(
        post.sd, rel=1e-3
    )


def test_eight_schools_matches_brute_force_over_mu_and_tau():
    schools = load_eight_schools()
    y, se = schools["effect"].to_numpy(), schools["se"].to_numpy()
    tau = np.linspace(0.01, 40, 400)
    post = bayes.eight_schools_posterior(y, se, tau)
    # brute force: theta integrated out (y_j ~ N(mu, se_j^2 + tau^2)), mu summed on a grid
    mu = np.linspace(-60, 80, 2801)[:, None, None]
    t = tau[None, :, None]
    log_joint = stats.norm.logpdf(y, mu, np.sqrt(se**2 + t**2)).sum(axis=-1)  # (M, G)
    joint = np.exp(log_joint - log_joint.max())
    p_tau = joint.sum(axis=0)
    p_tau /= np.trapezoid(p_tau, tau)
    assert np.allclose(post.p_tau, p_tau, atol=1e-4 * p_tau.max() + 1e-12, rtol=1e-3)
    cond = (y / se**2 + mu / t**2) / (1 / se**2 + 1 / t**2)  # (M, G, J)
    w = joint * np.gradient(tau)[None, :]
    theta_mean = (w[..., None] * cond).sum(axis=(0, 1)) / w.sum()
    assert np.allclose(post.theta_mean, theta_mean, atol=0.05)


def test_eight_schools_reproduces_bda():
    """BDA3 table 5.3: posterior median of school A's effect about 10, all means within 5-11."""
    schools = load_eight_schools()
    y, se = schools["effect"].to_numpy(), schools["se"].to_numpy()
    post = bayes.eight_schools_posterior(y, se, np.linspace(0.01, 40, 400))
    assert 9.5 < post.theta_mean[0] < 12.5
    assert np.all((post.theta_mean > 4) & (post.theta_mean < 12.5))
    # pooling: the spread of the estimates shrinks a lot
    assert np.ptp(post.theta_mean) < 0.3 * np.ptp(y)
    # p(tau | y) is largest near tau = 0 (BDA3 figure 5.5)
    assert post.tau_grid[np.argmax(post.p_tau)] < 2


# --- hypothesis properties --------------------------------------------------------------------

binary = arrays(float, st.integers(1, 60), elements=st.sampled_from([0.0, 1.0]))
positive = st.floats(1.0, 50.0)
reals = arrays(float, st.integers(1, 40), elements=st.floats(-100, 100))


@small
@given(binary, positive, positive)
def test_beta_posterior_mean_lies_between_prior_mean_and_mle(z, a, b):
    prior = bayes.BetaDist(a, b)
    post = bayes.beta_bernoulli_posterior(prior, z)
    lo, hi = sorted([prior.mean, z.mean()])
    assert lo - 1e-12 <= post.mean <= hi + 1e-12
    assert post.a + post.b == pytest.approx(a + b + z.size)


@small
@given(reals, st.floats(-50, 50), st.floats(0.1, 30), st.floats(0.1, 30))
def test_normal_posterior_shrinks_and_averages(x, m0, s0, sigma):
    prior = bayes.NormalDist(m0, s0)
    post = bayes.normal_normal_posterior(prior, x, sigma)
    assert post.sd < prior.sd and post.sd < sigma / np.sqrt(x.size) + 1e-12
    lo, hi = sorted([m0, x.mean()])
    assert lo - 1e-9 <= post.mean <= hi + 1e-9


@small
@given(binary, binary, positive, positive)
def test_beta_updates_are_sequential(z1, z2, a, b):
    prior = bayes.BetaDist(a, b)
    both = bayes.beta_bernoulli_posterior(prior, np.concatenate([z1, z2]))
    step = bayes.beta_bernoulli_posterior(bayes.beta_bernoulli_posterior(prior, z1), z2)
    assert (step.a, step.b) == pytest.approx((both.a, both.b))


@small
@given(reals, reals, st.floats(-50, 50), st.floats(0.5, 30), st.floats(0.5, 30))
def test_normal_updates_are_sequential(x1, x2, m0, s0, sigma):
    prior = bayes.NormalDist(m0, s0)
    both = bayes.normal_normal_posterior(prior, np.concatenate([x1, x2]), sigma)
    step = bayes.normal_normal_posterior(bayes.normal_normal_posterior(prior, x1, sigma), x2, sigma)
    assert step.mean == pytest.approx(both.mean, rel=1e-9, abs=1e-9)
    assert step.sd == pytest.approx(both.sd, rel=1e-9)


@small
@given(binary, positive, positive)
def test_beta_path_matches_batch_posteriors(z, a, b):
    prior = bayes.BetaDist(a, b)
    path = bayes.beta_bernoulli_path(prior, z)
    for n in (1, z.size):
        post = bayes.beta_bernoulli_posterior(prior, z[:n])
        assert path.params[n - 1] == pytest.approx([post.a, post.b])
        assert path.lmse[n - 1] == pytest.approx(post.mean)
        assert path.map[n - 1] == pytest.approx(post.mode)
        assert path.mle[n - 1] == pytest.approx(z[:n].mean())
        assert path.lower[n - 1] <= post.mean <= path.upper[n - 1]


@small
@given(reals, st.floats(-50, 50), st.floats(0.5, 30), st.floats(0.5, 30))
def test_normal_path_matches_batch_posteriors(x, m0, s0, sigma):
    prior = bayes.NormalDist(m0, s0)
    path = bayes.normal_normal_path(prior, x, sigma)
    post = bayes.normal_normal_posterior(prior, x, sigma)
    assert path.params[-1] == pytest.approx([post.mean, post.sd], rel=1e-9, abs=1e-9)
    assert np.array_equal(path.map, path.lmse)  # a normal's mode is its mean
    assert np.all(np.diff(path.params[:, 1]) < 0)


@small
@given(arrays(float, 8, elements=st.floats(-50, 50)), arrays(float, 8, elements=st.floats(1, 30)))
def test_eight_schools_shrinks_each_school_towards_the_pooled_mean(y, se):
    post = bayes.eight_schools_posterior(y, se, np.linspace(0.1, 60, 60))
    assert post.p_tau.min() >= 0 and np.trapezoid(post.p_tau, post.tau_grid) == pytest.approx(1)
    assert np.all(np.isfinite(post.theta_mean)) and np.all(post.theta_sd > 0)
    lo, hi = y.min(), y.max()
    assert np.all((post.theta_mean >= lo - 1e-6) & (post.theta_mean <= hi + 1e-6))


# --- the real data ----------------------------------------------------------------------------


def test_beta_path_map_is_on_the_boundary_for_a_prior_below_one():
    path = bayes.beta_bernoulli_path(bayes.BetaDist(0.5, 0.5), [1.0, 1.0, 0.0])
    assert path.map[:2] == pytest.approx([1.0, 1.0])  # Beta(1.5, 0.5), Beta(2.5, 0.5)
    assert path.map[2] == pytest.approx(1.5 / 2.0)  # Beta(2.5, 1.5)


def test_real_heights_estimates_converge():
    path = bayes.beta_bernoulli_path(bayes.BetaDist(2.0, 2.0), IS_MALE)
    assert path.mle[-1] == pytest.approx(812 / 1050)
    assert path.lmse[-1] == pytest.approx(814 / 1054)
    assert path.map[-1] == pytest.approx(813 / 1052)
    gap = np.abs(path.map - path.mle)
    assert gap[-1] < 1e-3 < gap[4]
    assert path.upper[-1] - path.lower[-1] < 0.06

    npath = bayes.normal_normal_path(bayes.NormalDist(66.0, 4.0), MEN, 3.6)
    assert npath.mle[-1] == pytest.approx(MEN.mean())
    assert abs(npath.lmse[-1] - npath.mle[-1]) < 0.01 < abs(npath.lmse[0] - npath.mle[0])
    assert npath.lower[-1] < 69.31 < npath.upper[-1]


# --- bad input ----------------------------------------------------------------------------------


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="a must be a finite number > 0"):
        bayes.BetaDist(0.0, 1.0)
    with pytest.raises(ValueError, match="b must be a finite number > 0"):
        bayes.BetaDist(1.0, np.nan)
    with pytest.raises(TypeError, match="a must be a real number"):
        bayes.BetaDist("1", 1.0)
    with pytest.raises(ValueError, match="sd must be a finite number > 0"):
        bayes.NormalDist(0.0, -1.0)
    with pytest.raises(ValueError, match="mean must be finite"):
        bayes.NormalDist(np.inf, 1.0)
    with pytest.raises(ValueError, match="no unique mode"):
        _ = bayes.BetaDist(1.0, 1.0).mode
    with pytest.raises(ValueError, match="z must hold only 0s and 1s"):
        bayes.beta_bernoulli_posterior(bayes.BetaDist(1, 1), [0, 2])
    with pytest.raises(TypeError, match="prior must be a BetaDist"):
        bayes.beta_bernoulli_posterior(bayes.NormalDist(0, 1), [0, 1])
    with pytest.raises(ValueError, match="x must not contain NaN"):
        bayes.normal_normal_posterior(bayes.NormalDist(0, 1), [1.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="x must be one-dimensional"):
        bayes.normal_normal_posterior(bayes.NormalDist(0, 1), [[1.0]], 1.0)
    with pytest.raises(TypeError, match="x must be an array of numbers"):
        bayes.normal_normal_posterior(bayes.NormalDist(0, 1), ["a"], 1.0)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        bayes.normal_normal_posterior(bayes.NormalDist(0, 1), [1.0], 0.0)
    with pytest.raises(ValueError, match="z must not be empty"):
        bayes.beta_bernoulli_path(bayes.BetaDist(1, 1), [])
    with pytest.raises(ValueError, match="grid must be strictly increasing"):
        bayes.grid_posterior([0, 1, 1], [0, 0, 0], [0, 0, 0])
    with pytest.raises(ValueError, match="log_likelihood must have the grid's shape"):
        bayes.grid_posterior([0, 1, 2], [0, 0, 0], [0, 0])
    with pytest.raises(ValueError, match="log_prior must not contain NaN"):
        bayes.grid_posterior([0, 1, 2], [0, np.nan, 0], [0, 0, 0])
    with pytest.raises(ValueError, match="-inf everywhere"):
        bayes.grid_posterior([0, 1, 2], [-np.inf] * 3, [0, 0, 0])
    with pytest.raises(ValueError, match="se must have the shape of y"):
        bayes.eight_schools_posterior([1.0, 2.0], [1.0], [1, 2, 3])
    with pytest.raises(ValueError, match="se must be > 0"):
        bayes.eight_schools_posterior([1.0, 2.0], [1.0, 0.0], [1, 2, 3])
    with pytest.raises(ValueError, match="tau_grid must be strictly increasing"):
        bayes.eight_schools_posterior([1.0, 2.0], [1.0, 1.0], [0, 1, 2])


# --- the explorers of notebook 01 (lecture_utils.widgets, "Bayesian recap" section) ------------


def test_beta_bernoulli_explorer_follows_its_controls():
    from lecture_utils.widgets import beta_bernoulli_explorer

    box = beta_bernoulli_explorer(IS_MALE, a=2.0, b=2.0, n=20, ones="men", dpi=30)
    assert_explorer_contract(box)
    k = int(IS_MALE[:20].sum())
    assert f"posterior Beta({2 + k:.1f}, {2 + 20 - k:.1f})" in box.readout
    assert_frame_changes(box, n=1050)
    assert "posterior Beta(814.0, 240.0)" in box.readout and "MLE 0.773" in box.readout
    assert "1050 of 1050 observations" in box.alt
    assert_frame_changes(box, prior=2)  # the preset Beta(50, 50)
    assert "posterior Beta(862.0, 288.0)" in box.readout
    box.update(n=5, prior=0)
    k = int(IS_MALE[:5].sum())
    assert f"posterior Beta({2 + k:.1f}, {2 + 5 - k:.1f})" in box.readout
    with pytest.raises(ValueError, match="update\\(\\) takes the controls"):
        box.update(m0=1.0)
    with pytest.raises(ValueError, match="n must be between 1 and"):
        beta_bernoulli_explorer(IS_MALE, n=0)


def test_normal_normal_explorer_matches_the_closed_form():
    from lecture_utils.widgets import normal_normal_explorer

    box = normal_normal_explorer(MEN, 3.6, m0=66.0, s0=4.0, n=5, dpi=30)
    assert_explorer_contract(box)
    post = bayes.normal_normal_posterior(bayes.NormalDist(66.0, 4.0), MEN[:5], 3.6)
    assert f"posterior N({post.mean:.2f}, {post.sd:.2f}²)" in box.readout
    assert_frame_changes(box, n=MEN.size, prior=1)
    post = bayes.normal_normal_posterior(bayes.NormalDist(66.0, 15.0), MEN, 3.6)
    assert f"LMSE {post.mean:.3f}" in box.readout
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        normal_normal_explorer(MEN, -1.0)


def test_small_multiples_draw_one_panel_per_prior_and_n():
    priors = [bayes.BetaDist(1, 1), bayes.BetaDist(50, 50)]
    fig = bayes.posterior_small_multiples(
        priors,
        [5, 1050],
        IS_MALE,
        bayes.beta_bernoulli_posterior,
        np.linspace(0, 1, 201),
        xlabel="π",
        describe=lambda p: f"Beta({p.a:g}, {p.b:g})",
    )
    assert len(fig.axes) == 4
    ax = fig.axes[3]  # strong prior, n = 1050
    post = bayes.beta_bernoulli_posterior(priors[1], IS_MALE)
    vlines = {line.get_label(): line.get_xdata()[0] for line in ax.lines[2:]}
    assert vlines == pytest.approx({"MAP": post.mode, "LMSE": post.mean, "MLE": 812 / 1050})
    assert fig.axes[2].get_ylabel() == "Beta(50, 50)\ndensity"
    fig.canvas.draw()
    for ax in fig.axes:  # every panel has a y scale
        ticks = [t for t in ax.get_yticklabels() if t.get_text()]
        assert len(ticks) >= 2, "a small multiple without density tick labels"
    assert fig.axes[3].get_ylim()[1] > 3 * fig.axes[2].get_ylim()[1]  # scales differ by row/column

"""Tests of lecture_utils.mixture (first version; the full suite follows)."""
import numpy as np

from lecture_utils.mixture import (MixtureParams, brute_force_log_likelihood, e_step,
                                   log_likelihood, lower_bound, run_em)


def test_smoke():
    rng = np.random.default_rng(0)
    x = rng.normal(66, 4, size=10)
    theta = MixtureParams([0.5, 0.5], [62.0, 70.0], [9.0, 9.0])
    assert np.isclose(brute_force_log_likelihood(x, theta), log_likelihood(x, theta))
    assert np.isclose(lower_bound(x, theta, e_step(x, theta)), log_likelihood(x, theta))
    trace = run_em(x, theta, max_iter=5, tol=0)
    assert trace.n_iter == 5 and np.all(np.diff(trace.log_likelihoods) >= -1e-9)

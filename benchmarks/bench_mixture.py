"""Benchmark rows for ``lecture_utils.mixture`` (run with ``make bench`` or
``.venv/bin/python benchmarks/run.py mixture``).

Row 1, ``run_em`` against scikit-learn: one million simulated heights, K = 2 components with a
shared variance, 20 EM iterations with ``tol=0`` from the same start, against
``GaussianMixture(covariance_type="tied", reg_covar=0, tol=0, max_iter=20)`` with
``weights_init``/``means_init``/``precisions_init`` set to that start. Both do 20 E steps and 20
M steps (plus one E step for the final log-likelihood / labels). The answers must agree to
1e-6 relative in weights, means and variance.

Note on the reference: with the pinned scipy 1.15.3, ``scipy.special.logsumexp`` (array-API
rewrite) is slow on an (n, 2) array, and it is roughly half of scikit-learn's time here
(cProfile: about 0.35 s of about 0.6 s per iteration under load). ``run_em`` avoids it inside the
loop (see ``mixture._e_step``). Compare also our ms/iteration in the note with the ~156 ms per
iteration the issue author measured for scikit-learn.
"""

from __future__ import annotations

import warnings

import numpy as np
from run import Row, best_time

from lecture_utils.mixture import MixtureParams, run_em, sample_mixture

N = 10**6
N_ITER = 20
SEED = 2016
#: Simulated heights (inches) with the parameters the labels give on the real data.
TRUTH = MixtureParams(weights=[0.23, 0.77], means=[64.9, 69.3], variances=[13.3, 13.3])
#: The common start: a poor guess, as in the lecture's demo.
START = MixtureParams(weights=[0.5, 0.5], means=[60.0, 75.0], variances=[20.0, 20.0])


def _sklearn_fit(x: np.ndarray):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    model = GaussianMixture(
        n_components=START.K,
        covariance_type="tied",
        reg_covar=0.0,
        tol=0.0,
        max_iter=N_ITER,
        n_init=1,
        init_params="random",
        weights_init=START.weights,
        means_init=START.means[:, np.newaxis],
        precisions_init=np.array([[1.0 / START.variances[0]]]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 never "converges"
        model.fit(x[:, np.newaxis])
    return model


def row_run_em_vs_sklearn() -> Row:
    x, _ = sample_mixture(TRUTH, N, np.random.default_rng(SEED))

    trace = run_em(x, START, max_iter=N_ITER, tol=0.0)
    model = _sklearn_fit(x)
    ours = trace.final
    same = (
        trace.n_iter == N_ITER
        and model.n_iter_ == N_ITER
        and np.allclose(ours.weights, model.weights_, rtol=1e-6, atol=0)
        and np.allclose(ours.means, model.means_.ravel(), rtol=1e-6, atol=0)
        and np.allclose(ours.variances, model.covariances_.ravel()[0], rtol=1e-6, atol=0)
    )
    t_ours = best_time(lambda: run_em(x, START, max_iter=N_ITER, tol=0.0), repeat=5)
    t_ref = best_time(lambda: _sklearn_fit(x), repeat=2)
    return Row(
        name=f"run_em vs scikit-learn (n=10^6, K=2 tied, {N_ITER} it)",
        ours=t_ours,
        reference=t_ref,
        reference_name="sklearn GaussianMixture(tied, tol=0, reg_covar=0)",
        target=0.2,
        same_answer=bool(same),
        note=f"{t_ours / N_ITER * 1e3:.0f} vs {t_ref / N_ITER * 1e3:.0f} ms/iteration",
    )


ROWS = [row_run_em_vs_sklearn]

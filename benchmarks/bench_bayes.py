"""Benchmark rows for lecture_utils.bayes and the recap explorers (`benchmarks/run.py bayes`).

1. The closed-form posterior of π after every n = 1..1050 students (one vectorised cumulative
   sum) against the brute-force grid posterior (2001 points) at every n, the check that notebook
   01 makes once. Target: <= 0.05x -- conjugacy is what makes the slider instant.

(The explorer's n slider no longer has a kernel row: its frames are pre-rendered and swapped in
the browser; benchmarks/bench_browser.py times that.)
"""

from __future__ import annotations

import matplotlib
import numpy as np
from run import Row, interleaved_best
from scipy import stats

matplotlib.use("Agg")

from lecture_utils import bayes  # noqa: E402
from lecture_utils.data import load_heights  # noqa: E402

REPEAT = 5


def _is_male() -> np.ndarray:
    return (load_heights()["sex"] == "Male").to_numpy(dtype=float)


def row_conjugate_path() -> Row:
    z = _is_male()
    prior = bayes.BetaDist(2.0, 2.0)
    grid = np.linspace(1e-4, 1 - 1e-4, 2001)
    log_prior = stats.beta.logpdf(grid, prior.a, prior.b)
    log_lik_one = np.stack([stats.bernoulli.logpmf(0, grid), stats.bernoulli.logpmf(1, grid)])

    def ours():
        return bayes.beta_bernoulli_path(prior, z)

    def reference():
        means = np.empty(z.size)
        log_lik = np.zeros_like(grid)
        for i, zi in enumerate(z.astype(int)):
            log_lik += log_lik_one[zi]
            post = bayes.grid_posterior(grid, log_prior, log_lik)
            means[i] = np.trapezoid(grid * post, grid)
        return means

    path, brute_means = ours(), reference()
    ours_time, reference_time = interleaved_best(ours, reference, repeat=3)
    same = bool(np.allclose(path.lmse, brute_means, atol=1e-5))
    return Row(
        "posterior of π after every n = 1..1050 (closed form)",
        ours_time,
        reference_time,
        "brute-force grid posterior at every n",
        0.05,
        same,
    )


ROWS = [row_conjugate_path]

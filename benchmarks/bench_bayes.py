"""Benchmark rows for lecture_utils.bayes and the recap explorers (`benchmarks/run.py bayes`).

1. The closed-form posterior of π after every n = 1..1050 students (one vectorised cumulative
   sum) against the brute-force grid posterior (2001 points) at every n, the check that notebook
   01 makes once. Target: <= 0.05x -- conjugacy is what makes the slider instant.
2. One move of the explorer's n slider (update the artists' data + render the PNG) against
   rendering the same PNG with nothing changed. Target: <= 1.5x: a redraw computes next to
   nothing; the time is matplotlib's rendering.
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
    return Row("posterior of π after every n = 1..1050 (closed form)", ours_time, reference_time,
               "brute-force grid posterior at every n", 0.05, same)


def row_explorer_redraw() -> Row:
    from lecture_utils.widgets import _png, beta_bernoulli_explorer

    z = _is_male()
    box = beta_bernoulli_explorer(z, n=20)
    state = {"n": 20}
    # The explorer's dpi, read back from its image width (figwidth * dpi pixels).
    dpi = float(box.image.layout.width.removesuffix("px")) / box.figure.get_figwidth()

    def ours():
        state["n"] = 20 + (state["n"] + 37) % 1000
        box.update(state["n"])

    def reference():
        _png(box.figure, dpi)

    ours_time, reference_time = interleaved_best(ours, reference, repeat=REPEAT)
    box.update(1050)
    same = "MLE 0.773" in box.readout.value
    return Row("explorer: one move of the n slider", ours_time, reference_time,
               "rendering the same PNG unchanged", 1.5, same)


ROWS = [row_conjugate_path, row_explorer_redraw]

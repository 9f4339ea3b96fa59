"""Benchmark rows for lecture_utils.hmm (run with `make bench` or `benchmarks/run.py hmm`).

The model: the fish HMM of slide 6 simulated for T = 1000 steps and discretised on a uniform
grid of 512 populations (lecture_utils.hmm.fish_transition), i.e. a 512-state Poisson HMM.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hmmlearn.hmm import PoissonHMM
from run import Row, best_time

from lecture_utils import hmm

T, G = 1000, 512
LAM, MU, SIGMA = 0.2, 500.0, 15.0


@lru_cache(maxsize=1)
def _problem():
    _, x = hmm.simulate_fish(T, LAM, MU, SIGMA, np.random.default_rng(0))
    wide = hmm.default_grid(x, LAM, MU, SIGMA)
    grid = np.linspace(wide[0], wide[-1], G)
    trans = hmm.fish_transition(grid, SIGMA)
    prior0 = np.exp(-0.5 * ((grid - MU) / SIGMA) ** 2)
    start = (prior0 / prior0.sum()) @ trans
    return x, grid, start, trans, LAM * grid


def forward_backward_vs_hmmlearn() -> Row:
    x, _, start, trans, rates = _problem()
    model = PoissonHMM(n_components=G, params="", init_params="")
    model.startprob_, model.transmat_, model.lambdas_ = start, trans, rates[:, None]
    ll_ref, post_ref = model.score_samples(x[:, None])
    ll, post = hmm.forward_backward(x, start, trans, rates)
    same = bool(abs(ll - ll_ref) < 1e-6 and np.abs(post - post_ref).max() < 1e-8)
    ours = best_time(lambda: hmm.forward_backward(x, start, trans, rates), repeat=5)
    reference = best_time(lambda: model.score_samples(x[:, None]), repeat=1)
    return Row(
        f"forward_backward, T={T}, K={G} (fish grid)",
        ours,
        reference,
        "hmmlearn PoissonHMM.score_samples, same model",
        0.02,
        same,
        note=f"max |posterior diff| {np.abs(post - post_ref).max():.1e}",
    )


def fish_posterior_vs_forward_backward() -> Row:
    x, grid, start, trans, rates = _problem()
    post = hmm.fish_posterior(x, LAM, MU, SIGMA, grid)
    ll, smoothed = hmm.forward_backward(x, start, trans, rates)
    same = bool(
        abs(post.log_likelihood - ll) < 1e-8 and np.abs(post.smoothed - smoothed).max() < 1e-10
    )
    ours = best_time(lambda: hmm.fish_posterior(x, LAM, MU, SIGMA, grid), repeat=5)
    reference = best_time(lambda: hmm.forward_backward(x, start, trans, rates), repeat=5)
    return Row(
        f"fish_posterior, T={T}, G={G} grid",
        ours,
        reference,
        "forward_backward on the same grid's HMM (model prebuilt)",
        1.5,
        same,
        note="overhead: building the transition, predicted/filtered/z_0, coverage check",
    )


ROWS = [forward_backward_vs_hmmlearn, fish_posterior_vs_forward_backward]

"""Benchmark rows for lecture_utils.election (run with `make bench` or `benchmarks/run.py election`).

100,000 simulated elections over the 51 states of the real 2016 poll averages, with a shared
national error, against drawing the same number of normal variates (100,000 x 51) with numpy in
the same run. Target: <= 3x. The simulation is a handful of n_sims x 51 array operations on top
of those draws (scale, shift, compare, one matrix-vector product with the electoral votes).
"""

from __future__ import annotations

import numpy as np
from run import Row, interleaved_best

from lecture_utils.data import load_polls_2016, load_results_2016
from lecture_utils.election import simulate_elections, state_averages

N_SIMS = 100_000
REPEAT = 7


def row_simulate_elections() -> Row:
    averages = state_averages(load_polls_2016())
    ev = load_results_2016().set_index("state")["electoral_votes"]
    n_states = len(ev)

    def ours():
        return simulate_elections(averages, ev, N_SIMS, national_sd=3.0, rng=1)

    def reference():
        return np.random.default_rng(1).standard_normal((N_SIMS, n_states))

    sims = ours()
    ours_time, reference_time = interleaved_best(ours, reference, repeat=REPEAT)
    same = bool(
        ((sims.clinton_ev + sims.trump_ev) == 538).all()
        and sims.clinton_ev.size == N_SIMS
        and 0.5 < sims.p_clinton_win < 1.0
    )
    return Row(
        name=f"simulate_elections, {N_SIMS:,} x {n_states} states, national_sd=3",
        ours=ours_time,
        reference=reference_time,
        reference_name=f"numpy standard_normal(({N_SIMS:,}, {n_states}))",
        target=3.0,
        same_answer=same,
        note=f"P(Clinton win) = {sims.p_clinton_win:.3f}",
    )


ROWS = [row_simulate_elections]

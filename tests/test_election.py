"""lecture_utils.election: poll averages and election simulations, checked three ways.

- independent implementations: a Monte Carlo multinomial check of the poll SE formula, a plain
  loop re-computing the state averages, exact enumeration of all 2^k state outcomes (with
  Gauss-Hermite quadrature over the national error) for small elections;
- hypothesis properties: EV totals, linearity of the mean, seeded repeats;
- the real 2016 polls: naive model near-certain, P(win) falling with the national SD under
  common random numbers, the 233/305 state-level count of the actual result.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import assert_explorer_contract, assert_frame_changes
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from lecture_utils import election
from lecture_utils.data import load_polls_2016, load_results_2016
from lecture_utils.election import (
    ACTUAL_EV_2016,
    ElectionSims,
    ev_histogram,
    poll_margins,
    simulate_elections,
    simulate_national_sd_grid,
    state_averages,
    winner_take_all_ev,
)


@pytest.fixture(scope="module")
def polls():
    return load_polls_2016()


@pytest.fixture(scope="module")
def results():
    return load_results_2016()


@pytest.fixture(scope="module")
def averages(polls):
    return state_averages(polls)


@pytest.fixture(scope="module")
def ev(results):
    return results.set_index("state")["electoral_votes"]


def small_election(margins, ses, evs):
    names = [f"S{i}" for i in range(len(margins))]
    averages = pd.DataFrame({"margin": margins, "se": ses}, index=names)
    return averages, pd.Series(evs, index=names)


# --------------------------------------------------------------------------- poll averages


def test_poll_se_formula_matches_a_multinomial_simulation():
    rng = np.random.default_rng(0)
    n, shares = 800, np.array([0.46, 0.41, 0.13])
    counts = rng.multinomial(n, shares, size=200_000)
    margins = 100 * (counts[:, 0] - counts[:, 1]) / n
    polls = pd.DataFrame({"samplesize": [n], "rawpoll_clinton": [46.0], "rawpoll_trump": [41.0]})
    se = poll_margins(polls)["se"].iloc[0]
    assert se == pytest.approx(margins.std(), rel=0.01)
    # two candidates only: the binomial SD of one share, doubled
    two = pd.DataFrame({"samplesize": [400], "rawpoll_clinton": [55.0], "rawpoll_trump": [45.0]})
    assert poll_margins(two)["se"].iloc[0] == pytest.approx(200 * np.sqrt(0.55 * 0.45 / 400))


def test_state_averages_equal_a_plain_loop(polls, averages):
    since = pd.Timestamp("2016-10-25")
    for state, row in averages.iterrows():
        rows = polls[
            (polls["state"] == state) & (polls["enddate"] >= since) & polls["samplesize"].notna()
        ]
        margins, ses = [], []
        for _, poll in rows.iterrows():
            c, t, n = poll["rawpoll_clinton"] / 100, poll["rawpoll_trump"] / 100, poll["samplesize"]
            margins.append(100 * (c - t))
            ses.append(100 * np.sqrt((c + t - (c - t) ** 2) / n))
        k = len(margins)
        assert row["n_polls"] == k
        assert row["margin"] == pytest.approx(np.mean(margins))
        assert row["se"] == pytest.approx(np.sqrt(np.sum(np.square(ses))) / k)
        assert row["se_spread"] == pytest.approx(np.std(margins, ddof=1) / np.sqrt(k))


def test_state_averages_on_the_real_polls(polls, averages, results):
    assert sorted(averages.index) == sorted(results["state"])
    assert len(averages) == 51
    assert not any("CD-" in s for s in averages.index) and "U.S." not in averages.index
    assert (averages["n_polls"] >= 14).all()
    assert (averages["first_enddate"] >= pd.Timestamp("2016-10-25")).all()
    assert np.isfinite(averages[["margin", "se", "se_spread"]].to_numpy()).all()
    # Clinton led the polls in the states of the famous "blue wall"
    assert (averages.loc[["Michigan", "Wisconsin", "Pennsylvania"], "margin"] > 2).all()
    adjusted = state_averages(polls, adjusted=True)
    assert not np.allclose(adjusted["margin"], averages["margin"])
    assert adjusted.index.equals(averages.index)


def test_a_state_with_old_polls_only_falls_back_to_its_latest(polls):
    old = polls[polls["state"] == "Ohio"].sort_values("enddate").head(6).assign(state="Oldland")
    frame = pd.concat([polls, old])
    averages = state_averages(frame, min_polls=4)
    assert averages.loc["Oldland", "n_polls"] == 4
    latest = old.sort_values("enddate").tail(4)
    assert averages.loc["Oldland", "first_enddate"] == latest["enddate"].min()
    assert averages.loc["Oldland", "margin"] == pytest.approx(
        (latest["rawpoll_clinton"] - latest["rawpoll_trump"]).mean()
    )


def test_state_averages_refuse_bad_input(polls):
    with pytest.raises(TypeError, match="polls"):
        state_averages(polls.to_dict())
    with pytest.raises(KeyError, match="enddate"):
        state_averages(polls.drop(columns="enddate"))
    with pytest.raises(KeyError, match="rawpoll_trump"):
        state_averages(polls.drop(columns="rawpoll_trump"))
    with pytest.raises(KeyError, match="adjpoll_clinton"):
        state_averages(polls.drop(columns="adjpoll_clinton"), adjusted=True)
    with pytest.raises(ValueError, match="since"):
        state_averages(polls, since="not a date")
    with pytest.raises(ValueError, match="min_polls"):
        state_averages(polls, min_polls=1)
    with pytest.raises(ValueError, match="rawpoll_clinton"):
        state_averages(polls.assign(rawpoll_clinton=np.nan))
    lonely = polls[polls["state"] == "Ohio"].head(1).assign(state="Lonely")
    with pytest.raises(ValueError, match="Lonely"):
        state_averages(pd.concat([polls, lonely]))
    with pytest.raises(ValueError, match="state-level"):
        state_averages(polls[polls["state"] == "U.S."])


# --------------------------------------------------------------------------- simulation


def exact_p_win(margins, ses, evs, national_sd=0.0, df=None, nodes=80):
    """P(Clinton majority) by enumerating all 2^k outcomes, integrating the national error."""
    margins, ses, evs = map(np.asarray, (margins, ses, evs))
    threshold = evs.sum() // 2 + 1
    if df is None:
        cdf, x, w = stats.norm.cdf, *np.polynomial.hermite_e.hermegauss(nodes)
        w = w / w.sum()
    else:
        scale = np.sqrt((df - 2) / df)
        cdf = lambda z: stats.t.cdf(z / scale, df)  # noqa: E731
        assert national_sd == 0
        x, w = np.zeros(1), np.ones(1)
    total = 0.0
    for delta, weight in zip(national_sd * x, w):
        p = cdf((margins + delta) / ses)
        for outcome in itertools.product([0, 1], repeat=len(evs)):
            o = np.array(outcome)
            if evs @ o >= threshold:
                total += weight * np.prod(np.where(o == 1, p, 1 - p))
    return total


@pytest.mark.parametrize("national_sd, df", [(0.0, None), (3.0, None), (0.0, 4.0)])
def test_p_win_matches_exact_enumeration(national_sd, df):
    averages, evs = small_election(
        [1.5, -0.5, 3.0, -2.0, 0.5], [2.0, 1.5, 3.0, 2.5, 1.0], [10, 7, 4, 12, 6]
    )
    n = 200_000
    sims = simulate_elections(averages, evs, n, national_sd, rng=3, df=df)
    exact = exact_p_win(averages["margin"], averages["se"], evs, national_sd, df)
    assert abs(sims.p_clinton_win - exact) < 4.5 * np.sqrt(exact * (1 - exact) / n)
    # per-state win probabilities too (margin + national error: variance se^2 + tau^2)
    if df is None:
        p_state = stats.norm.cdf(averages["margin"] / np.hypot(averages["se"], national_sd))
        assert np.allclose(sims.p_state, p_state, atol=4.5 * 0.5 / np.sqrt(n))


def test_state_sd_adds_in_quadrature():
    averages, evs = small_election([1.0], [0.6], [3])
    sims = simulate_elections(averages, evs, 200_000, rng=1, state_sd=0.8)
    assert sims.p_state[0] == pytest.approx(stats.norm.cdf(1.0 / 1.0), abs=0.005)


def test_seeded_runs_repeat(averages, ev):
    a = simulate_elections(averages, ev, 5000, 3.0, rng=7, state_sd=1.0, df=6)
    b = simulate_elections(
        averages, ev, 5000, 3.0, rng=np.random.default_rng(7), state_sd=1.0, df=6
    )
    assert np.array_equal(a.clinton_ev, b.clinton_ev)
    assert np.array_equal(a.national_error, b.national_error)
    c = simulate_elections(averages, ev, 5000, 3.0, rng=8, state_sd=1.0, df=6)
    assert not np.array_equal(a.clinton_ev, c.clinton_ev)


def test_no_error_gives_the_states_where_clinton_leads(averages, ev):
    tiny = averages.assign(se=1e-9)
    sims = simulate_elections(tiny, ev, 1000, 0.0, rng=0)
    leads = averages.loc[ev.index, "margin"] > 0
    assert (sims.clinton_ev == ev[leads].sum()).all()
    assert (sims.trump_ev == ev[~leads].sum()).all()
    assert sims.p_clinton_win == 1.0
    assert np.array_equal(sims.p_state, leads.to_numpy(float))


def test_ev_of_both_candidates_sum_to_538(averages, ev):
    sims = simulate_elections(averages, ev, 20_000, 5.0, rng=1, state_sd=4.0, df=3.5)
    assert sims.total_ev == 538 and sims.win_threshold == 270
    assert ((sims.clinton_ev + sims.trump_ev) == 538).all()


def test_naive_model_on_the_real_polls_is_near_certain(averages, ev):
    sims = simulate_elections(averages, ev, 100_000, 0.0, rng=2016)
    assert sims.p_clinton_win >= 0.9
    assert sims.p_clinton_win > 0.999
    assert sims.p_clinton_ev_at_most(winner_take_all_ev(load_results_2016())["Clinton"]) == 0.0


def test_p_win_does_not_increase_with_the_national_sd(averages, ev):
    sds = np.arange(0.0, 10.01, 0.5)
    grid = simulate_national_sd_grid(averages, ev, sds, 50_000, rng=2016)
    p = np.array([s.p_clinton_win for s in grid])
    assert np.all(np.diff(p) <= 0), p
    assert p[0] > 0.999 and p[-1] < 0.71  # it passes FiveThirtyEight's 71% on the way


def test_grid_uses_common_random_numbers(averages, ev):
    sds = [0.0, 2.5, 6.0]
    grid = simulate_national_sd_grid(averages, ev, sds, 3000, rng=11, state_sd=1.5)
    for sd, from_grid in zip(sds, grid):
        alone = simulate_elections(averages, ev, 3000, sd, rng=11, state_sd=1.5)
        assert np.array_equal(alone.clinton_ev, from_grid.clinton_ev)
        assert from_grid.national_sd == sd
    assert np.allclose(grid[2].national_error, grid[1].national_error * 6.0 / 2.5)


def test_tipping_point_with_no_error_is_the_state_that_crosses_270(averages, ev):
    tiny = averages.assign(se=1e-9)
    sims = simulate_elections(tiny, ev, 100, rng=0, tipping_point=True)
    ordered = averages.loc[ev.index, "margin"].sort_values(ascending=False)
    crossing = ordered.index[np.argmax(ev[ordered.index].cumsum().to_numpy() >= 270)]
    assert sims.tipping_point.index[0] == crossing
    assert sims.tipping_point.iloc[0] == 1.0 and sims.tipping_point.iloc[1:].sum() == 0


def test_tipping_point_frequencies_on_the_real_polls(averages, ev):
    sims = simulate_elections(averages, ev, 20_000, 4.0, rng=5, tipping_point=True)
    tp = sims.tipping_point
    ties = np.mean(sims.clinton_ev == 269)
    assert tp.sum() == pytest.approx(1 - ties)
    assert set(tp.index[:3]) <= {
        "Michigan",
        "Pennsylvania",
        "Wisconsin",
        "Florida",
        "North Carolina",
        "Colorado",
        "New Hampshire",
        "Nevada",
    }


@given(
    margins=st.lists(st.floats(-20, 20), min_size=1, max_size=8),
    data=st.data(),
    national_sd=st.floats(0, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_properties_of_random_small_elections(margins, data, national_sd, seed):
    k = len(margins)
    ses = data.draw(st.lists(st.floats(0, 5), min_size=k, max_size=k))
    evs = data.draw(st.lists(st.integers(1, 60), min_size=k, max_size=k))
    averages, ev = small_election(margins, ses, evs)
    sims = simulate_elections(averages, ev, 500, national_sd, rng=seed)
    again = simulate_elections(averages, ev, 500, national_sd, rng=seed)
    assert np.array_equal(sims.clinton_ev, again.clinton_ev)
    assert ((sims.clinton_ev + sims.trump_ev) == sum(evs)).all()
    assert ((sims.clinton_ev >= 0) & (sims.clinton_ev <= sum(evs))).all()
    # linearity: mean EV is the EV-weighted sum of the per-state win frequencies
    assert sims.clinton_ev.mean() == pytest.approx(np.dot(sims.p_state, evs))
    assert 0.0 <= sims.p_clinton_win <= 1.0
    assert np.isfinite(sims.national_error).all()


def test_simulation_refuses_bad_input(averages, ev):
    with pytest.raises(ValueError, match="national_sd"):
        simulate_elections(averages, ev, 10, national_sd=-1.0)
    with pytest.raises(ValueError, match="national_sd"):
        simulate_elections(averages, ev, 10, national_sd=np.nan)
    with pytest.raises(TypeError, match="national_sd"):
        simulate_elections(averages, ev, 10, national_sd="3")
    with pytest.raises(ValueError, match="n_sims"):
        simulate_elections(averages, ev, 0)
    with pytest.raises(TypeError, match="n_sims"):
        simulate_elections(averages, ev, 1e5)
    with pytest.raises(ValueError, match="state_sd"):
        simulate_elections(averages, ev, 10, state_sd=-0.5)
    with pytest.raises(ValueError, match="df"):
        simulate_elections(averages, ev, 10, df=2)
    with pytest.raises(KeyError, match="Ohio"):
        simulate_elections(averages.drop(index="Ohio"), ev, 10)
    with pytest.raises(KeyError, match="Atlantis"):
        simulate_elections(
            pd.concat([averages, averages.loc[["Ohio"]].rename(index={"Ohio": "Atlantis"})]), ev, 10
        )
    with pytest.raises(KeyError, match="se"):
        simulate_elections(averages.drop(columns="se"), ev, 10)
    with pytest.raises(KeyError, match="se_typo"):
        simulate_elections(averages, ev, 10, se_column="se_typo")
    with pytest.raises(ValueError, match="margin"):
        simulate_elections(averages.assign(margin=np.nan), ev, 10)
    with pytest.raises(ValueError, match="se"):
        simulate_elections(averages.assign(se=-1.0), ev, 10)
    with pytest.raises(ValueError, match="electoral_votes"):
        simulate_elections(averages, ev.astype(float) * 0.5, 10)
    with pytest.raises(TypeError, match="electoral_votes"):
        simulate_elections(averages, ev.to_dict(), 10)
    with pytest.raises(TypeError, match="averages"):
        simulate_elections(averages.to_numpy(), ev, 10)
    with pytest.raises(TypeError, match="rng"):
        simulate_elections(averages, ev, 10, rng="seed")
    with pytest.raises(ValueError, match="national_sds"):
        simulate_national_sd_grid(averages, ev, [], 10)


# --------------------------------------------------------------------------- the 2016 outcome


def test_actual_result_counted_winner_take_all(results):
    counted = winner_take_all_ev(results)
    assert counted == {"Clinton": 233, "Trump": 305}
    # the only difference from the real count is Maine's 2nd district (1 vote, Trump)
    assert ACTUAL_EV_2016["Clinton"] == counted["Clinton"] - 1
    assert sum(ACTUAL_EV_2016.values()) == 538
    maine = results.set_index("state").loc["Maine"]
    assert maine["clinton"] > maine["trump"] and maine["electoral_votes"] == 4


def test_ev_histogram_bins_split_at_270():
    edges, fractions = ev_histogram(np.array([0, 9, 10, 269, 270, 538]), 538, 10)
    assert 270 in edges and edges[0] == 0 and edges[-1] >= 538
    assert fractions.sum() == pytest.approx(1.0)
    assert fractions[0] == pytest.approx(2 / 6) and fractions[26] == fractions[27] == 1 / 6
    with pytest.raises(ValueError, match="bin_width"):
        ev_histogram(np.array([1]), 538, 0)
    with pytest.raises(ValueError, match="clinton_ev"):
        ev_histogram(np.array([]), 538, 10)


# --------------------------------------------------------------------------- the explorer


def test_election_explorer_follows_its_slider(averages, ev):
    from lecture_utils.widgets import election_explorer

    sds = np.arange(0.0, 6.01, 1.0)
    grid = simulate_national_sd_grid(averages, ev, sds, 4000, rng=1)
    box = election_explorer(
        sds, grid, published=election.PUBLISHED_FORECASTS_2016, actual_clinton_ev=233, dpi=30
    )
    assert_explorer_contract(box)
    first = box.readout
    assert_frame_changes(box, sigma_delta=4)
    assert "4.00" in box.readout and f"{grid[4].p_clinton_win:.3f}" in box.readout
    assert "SD 4.00 points" in box.alt
    box.update(sigma_delta=0)
    assert box.readout == first
    with pytest.raises(ValueError, match="sims"):
        election_explorer(sds, grid[:-1])
    with pytest.raises(ValueError, match="national_sds"):
        election_explorer(sds[::-1], grid)


def test_elections_sims_is_frozen(averages, ev):
    sims = simulate_elections(averages, ev, 10, rng=0)
    assert isinstance(sims, ElectionSims)
    with pytest.raises(AttributeError):
        sims.national_sd = 3.0


# --------------------------------------------------------------------------- the latent variable


def test_p_win_given_delta_is_monotone_and_integrates_to_p_win(averages, ev):
    shifts = np.linspace(-12, 12, 97)
    conditional = election.p_win_given_national_error(averages, ev, shifts, 20_000, rng=4)
    assert np.all(np.diff(conditional) >= 0)
    assert conditional[0] == 0.0 and conditional[-1] == 1.0
    # the latent-variable identity: P(win) = integral P(win | delta) N(delta; 0, tau^2) d delta
    tau = 3.0
    weights = stats.norm.pdf(shifts, scale=tau) * (shifts[1] - shifts[0])
    marginal = np.sum(conditional * weights) + stats.norm.sf(12, scale=tau)
    simulated = simulate_elections(averages, ev, 100_000, tau, rng=9).p_clinton_win
    assert marginal == pytest.approx(simulated, abs=0.01)
    with pytest.raises(ValueError, match="shifts"):
        election.p_win_given_national_error(averages, ev, [np.nan], 10)


def test_polling_errors_on_the_real_data(averages, results):
    errors = election.polling_errors(averages, results)
    assert errors.loc["Wisconsin", "actual_margin"] == pytest.approx(-0.7)
    assert errors.loc["Wisconsin", "error"] == pytest.approx(
        -0.7 - averages.loc["Wisconsin", "margin"]
    )
    # Trump beat his poll average in most states: 39 of 51 with the default window
    assert (errors["error"] < 0).sum() == 39
    # and the misses are far larger than sampling error
    assert np.sqrt(np.mean(errors["z"] ** 2)) > 5
    assert ((errors["undecided"] > 5) & (errors["undecided"] < 40)).all()
    with pytest.raises(KeyError, match="others"):
        election.polling_errors(averages, results.drop(columns="others"))
    with pytest.raises(KeyError, match="Atlantis"):
        election.polling_errors(averages.rename(index={"Ohio": "Atlantis"}), results)


# --------------------------------------------------------------------------- regional error


def exact_p_win_with_regions(margins, ses, evs, codes, region_sd, national_sd, nodes=24):
    """Enumeration over 2^k outcomes inside Gauss-Hermite quadrature over every shared error."""
    margins, ses, evs, codes = map(np.asarray, (margins, ses, evs, codes))
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    threshold = evs.sum() // 2 + 1
    outcomes = np.array(list(itertools.product([0, 1], repeat=len(evs))))
    wins = outcomes[outcomes @ evs >= threshold]
    total = 0.0
    for (i, d), (j, r0), (k, r1) in itertools.product(enumerate(x), repeat=3):
        shift = national_sd * d + region_sd * np.array([r0, r1])[codes]
        p = stats.norm.cdf((margins + shift) / ses)
        total += w[i] * w[j] * w[k] * np.sum(np.prod(np.where(wins == 1, p, 1 - p), axis=1))
    return total


def test_regional_error_matches_exact_quadrature():
    averages, evs = small_election(
        [1.5, -0.5, 3.0, -2.0, 0.5], [2.0, 1.5, 3.0, 2.5, 1.0], [10, 7, 4, 12, 6]
    )
    regions = {"S0": "A", "S1": "A", "S2": "B", "S3": "B", "S4": "A"}
    n = 200_000
    sims = simulate_elections(averages, evs, n, 1.0, rng=5, region_sd=2.0, regions=regions)
    exact = exact_p_win_with_regions(
        averages["margin"], averages["se"], evs, [0, 0, 1, 1, 0], 2.0, 1.0
    )
    assert abs(sims.p_clinton_win - exact) < 4.5 * np.sqrt(exact * (1 - exact) / n)
    assert sims.region_sd == 2.0


def test_regional_error_leaves_the_other_draws_alone(averages, ev):
    plain = simulate_elections(averages, ev, 5000, 2.0, rng=3)
    zero = simulate_elections(
        averages, ev, 5000, 2.0, rng=3, region_sd=0.0, regions={"nowhere": "x"}
    )  # unused when region_sd == 0
    regional = simulate_elections(averages, ev, 5000, 2.0, rng=3, region_sd=2.0)
    assert np.array_equal(plain.clinton_ev, zero.clinton_ev)
    assert np.array_equal(plain.national_error, regional.national_error)
    assert not np.array_equal(plain.clinton_ev, regional.clinton_ev)
    with pytest.raises(ValueError, match="region_sd"):
        simulate_elections(averages, ev, 10, region_sd=-1.0)
    with pytest.raises(KeyError, match="Ohio"):
        simulate_elections(
            averages,
            ev,
            10,
            region_sd=1.0,
            regions={k: v for k, v in election.CENSUS_REGIONS.items() if k != "Ohio"},
        )
    assert sorted(election.CENSUS_REGIONS) == sorted(ev.index)

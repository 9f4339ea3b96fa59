"""Election forecasting for 2016 (slides 7-8): poll averages and simulated Electoral Colleges.

Units: margins are in percentage points, Clinton minus Trump (positive = Clinton ahead).

The two models of the lecture are one function with one knob:

* the **naive model** of slide 7 (``national_sd=0``): each state's true margin is drawn
  independently around its poll average with the poll average's sampling standard error;
* the **[on board] model** of slide 8 (``national_sd>0``): a latent national polling error
  ``delta ~ N(0, national_sd**2)``, shared by every state, is added to every state's margin, so
  the states are independent *given* ``delta`` but correlated once it is integrated out.
  Optional extras: an independent per-state error beyond sampling error (``state_sd``), an
  error shared within each Census region (``region_sd``) and Student-t tails (``df``).

**Maine and Nebraska.** Both split their electoral votes by congressional district (two votes
to the statewide winner, one per district). The results file has one row per state (Maine 4,
Nebraska 5), and the district polls are few (Maine CD-2 has 3 polls after 25 October, Nebraska
CD-2 none), so this module counts every state **winner-take-all at state level** and leaves the
district rows of the poll file out. Nebraska loses nothing by that in 2016 (Trump won all five
votes). Maine does: Clinton won the state but Trump won Maine's 2nd district, so the 2016 outcome
counted the way the model counts is Clinton 233 - Trump 305, one vote off the real 232 - 306
(:data:`ACTUAL_EV_2016` vs :func:`winner_take_all_ev`). Notebooks mark both.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from lecture_utils._validate import as_generator, is_int, is_real

__all__ = [
    "ACTUAL_EV_2016",
    "CENSUS_REGIONS",
    "STATE_ABBREVIATIONS",
    "ElectionSims",
    "PUBLISHED_FORECASTS_2016",
    "ev_histogram",
    "p_win_given_national_error",
    "plot_ev_histogram",
    "plot_published_forecasts",
    "polling_errors",
    "poll_margins",
    "simulate_elections",
    "simulate_national_sd_grid",
    "state_averages",
    "winner_take_all_ev",
]

#: The 2016 outcome by states won (before two Trump and five Clinton electors defected):
#: Trump 306, Clinton 232. Maine's 2nd district (1 vote) is in Trump's 306.
ACTUAL_EV_2016 = {"Clinton": 232, "Trump": 306}

#: Final published probabilities of a Clinton win, 8 November 2016 (Princeton Election
#: Consortium published ">99%", stored as 0.99).
PUBLISHED_FORECASTS_2016 = {
    "FiveThirtyEight": 0.71,
    "NYT Upshot": 0.85,
    "PredictWise": 0.89,
    "Daily Kos": 0.92,
    "HuffPost": 0.98,
    "Princeton Election Consortium": 0.99,
}

#: Postal abbreviations, for legible labels on charts of 51 states.
STATE_ABBREVIATIONS = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
}

#: The four US Census regions, for the optional regional error term.
CENSUS_REGIONS = {
    **dict.fromkeys(
        [
            "Connecticut",
            "Maine",
            "Massachusetts",
            "New Hampshire",
            "Rhode Island",
            "Vermont",
            "New Jersey",
            "New York",
            "Pennsylvania",
        ],
        "Northeast",
    ),
    **dict.fromkeys(
        [
            "Illinois",
            "Indiana",
            "Michigan",
            "Ohio",
            "Wisconsin",
            "Iowa",
            "Kansas",
            "Minnesota",
            "Missouri",
            "Nebraska",
            "North Dakota",
            "South Dakota",
        ],
        "Midwest",
    ),
    **dict.fromkeys(
        [
            "Delaware",
            "District of Columbia",
            "Florida",
            "Georgia",
            "Maryland",
            "North Carolina",
            "South Carolina",
            "Virginia",
            "West Virginia",
            "Alabama",
            "Kentucky",
            "Mississippi",
            "Tennessee",
            "Arkansas",
            "Louisiana",
            "Oklahoma",
            "Texas",
        ],
        "South",
    ),
    **dict.fromkeys(
        [
            "Arizona",
            "Colorado",
            "Idaho",
            "Montana",
            "Nevada",
            "New Mexico",
            "Utah",
            "Wyoming",
            "Alaska",
            "California",
            "Hawaii",
            "Oregon",
            "Washington",
        ],
        "West",
    ),
}

NATIONAL = "U.S."
_POLL_COLUMNS = ("state", "enddate", "samplesize")


# ---------------------------------------------------------------------------------------------
# Poll averages
# ---------------------------------------------------------------------------------------------


def _is_state_row(state: pd.Series) -> pd.Series:
    """True for state-level rows: not the national 'U.S.' polls, not 'Maine CD-2' and the like."""
    return (state != NATIONAL) & ~state.str.contains(r"\bCD-\d", regex=True)


def poll_margins(polls: pd.DataFrame, adjusted: bool = False) -> pd.DataFrame:
    """Each poll's margin and the sampling standard error of that margin.

    For a poll of ``n`` respondents with shares ``p_c`` (Clinton) and ``p_t`` (Trump), the
    estimated margin ``p_c - p_t`` is a difference of two multinomial proportions, so

    .. math:: \\operatorname{Var}(\\hat p_c - \\hat p_t)
              = \\frac{p_c + p_t - (p_c - p_t)^2}{n},

    and the standard error in percentage points is ``100 * sqrt(that)`` with the shares as
    fractions. (It is about twice the familiar "margin of error" of one share divided by 1.96.)

    Parameters
    ----------
    polls : DataFrame
        Needs ``samplesize`` and ``rawpoll_clinton``/``rawpoll_trump`` (or ``adjpoll_*`` with
        ``adjusted=True``), shares in percent. Other columns are kept.
    adjusted : bool
        Use FiveThirtyEight's adjusted shares instead of the published ones.

    Returns
    -------
    DataFrame
        ``polls`` with columns ``clinton``, ``trump``, ``margin`` and ``se`` added; polls with a
        missing sample size are dropped (they have no sampling error to speak of).
    """
    if not isinstance(polls, pd.DataFrame):
        raise TypeError(f"polls must be a pandas DataFrame, got {type(polls).__name__}")
    if not isinstance(adjusted, (bool, np.bool_)):
        raise TypeError(f"adjusted must be True or False, got {adjusted!r}")
    prefix = "adjpoll" if adjusted else "rawpoll"
    needed = ["samplesize", f"{prefix}_clinton", f"{prefix}_trump"]
    missing = [c for c in needed if c not in polls.columns]
    if missing:
        raise KeyError(f"polls is missing column(s) {missing}; expected at least {needed}")
    out = polls[polls["samplesize"].notna()].copy()
    c = pd.to_numeric(out[f"{prefix}_clinton"], errors="coerce").to_numpy(float)
    t = pd.to_numeric(out[f"{prefix}_trump"], errors="coerce").to_numpy(float)
    n = pd.to_numeric(out["samplesize"], errors="coerce").to_numpy(float)
    for name, values in ((f"{prefix}_clinton", c), (f"{prefix}_trump", t)):
        if not np.all(np.isfinite(values)) or np.any((values < 0) | (values > 100)):
            raise ValueError(f"polls column {name!r} must hold shares in percent, 0-100, no NaN")
    if not np.all(np.isfinite(n)) or np.any(n < 1):
        raise ValueError("polls column 'samplesize' must hold positive counts")
    if not adjusted and np.any(c + t > 100 + 1e-9):
        # (FiveThirtyEight's adjusted shares are model output and may add up to a bit over 100)
        raise ValueError("polls: rawpoll_clinton + rawpoll_trump exceeds 100 percent")
    pc, pt = c / 100, t / 100
    out["clinton"], out["trump"] = c, t
    out["margin"] = c - t
    out["se"] = 100 * np.sqrt((pc + pt - (pc - pt) ** 2) / n)
    return out


def state_averages(
    polls: pd.DataFrame,
    since: str | pd.Timestamp = "2016-10-25",
    adjusted: bool = False,
    min_polls: int = 3,
) -> pd.DataFrame:
    """Average the state polls ending on or after ``since``, one row per state.

    Only state-level polls are used: the national ``'U.S.'`` rows and the congressional-district
    rows (``'Maine CD-2'``, ``'Nebraska CD-1'`` ...) are left out (see the module docstring for
    how Maine and Nebraska are counted).

    The state's margin is the plain mean of its polls' margins,
    ``m = (1/k) sum_i d_i``, every poll counting once. Two standard errors of ``m``:

    * ``se`` -- from the sample sizes alone, what the slide assumes ("each poll large enough
      that its error is normal", independent polls): ``se = sqrt(sum_i se_i**2) / k`` with
      ``se_i`` from :func:`poll_margins`;
    * ``se_spread`` -- from the spread between the polls: ``sd(d_1..d_k) / sqrt(k)``. It also
      contains house effects, different likely-voter screens and movement over the window,
      but not an error that all polls share.

    A state with fewer than ``min_polls`` polls since ``since`` is not dropped: it falls back to
    its ``min_polls`` most recent polls, whatever their dates (``first_enddate`` shows how far
    back that went). With the real data and the default window every state has 14 polls or more.

    Parameters
    ----------
    polls : DataFrame
        The poll file (:func:`lecture_utils.data.load_polls_2016`): ``state``, ``enddate``,
        ``samplesize`` and the ``rawpoll_``/``adjpoll_`` Clinton and Trump shares in percent.
    since : str or Timestamp
        First poll end date to use.
    adjusted : bool
        FiveThirtyEight's adjusted shares (house effects, likely voters, trend) instead of the
        published ones.
    min_polls : int, at least 2
        Fewest polls behind a state's average.

    Returns
    -------
    DataFrame indexed by state (sorted), columns ``margin``, ``se``, ``se_spread``,
    ``n_polls``, ``clinton``, ``trump`` (mean shares, percent), ``first_enddate``,
    ``last_enddate``.
    """
    if not isinstance(polls, pd.DataFrame):
        raise TypeError(f"polls must be a pandas DataFrame, got {type(polls).__name__}")
    missing = [c for c in _POLL_COLUMNS if c not in polls.columns]
    if missing:
        raise KeyError(f"polls is missing column(s) {missing}; expected {list(_POLL_COLUMNS)}")
    if not is_int(min_polls) or min_polls < 2:
        raise ValueError(f"min_polls must be an integer >= 2, got {min_polls!r}")
    try:
        since = pd.Timestamp(since)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"since must be a date such as '2016-10-25', got {since!r}") from exc
    if pd.isna(since):
        raise ValueError("since must be a date such as '2016-10-25', got a missing value")
    polls = polls.reset_index(drop=True)
    enddate = pd.to_datetime(polls["enddate"], errors="coerce")
    if enddate.isna().any():
        raise ValueError("polls column 'enddate' must hold dates, found missing or bad values")

    polls = polls.assign(enddate=enddate)
    state_polls = polls[_is_state_row(polls["state"].astype(str))]
    if state_polls.empty:
        raise ValueError("polls has no state-level polls (only 'U.S.' or district rows)")
    scored = poll_margins(state_polls, adjusted=adjusted)
    scored = scored.sort_values(["state", "enddate"], ascending=[True, False], kind="stable")
    rank = scored.groupby("state").cumcount()
    used = scored[(scored["enddate"] >= since) | (rank < min_polls)]

    too_few = used.groupby("state").size()
    too_few = too_few[too_few < 2]
    if len(too_few):
        raise ValueError(
            f"polls: state(s) {list(too_few.index)} have fewer than 2 polls in all; "
            "a poll average with a spread needs at least 2"
        )

    grouped = used.groupby("state")
    k = grouped.size()
    out = pd.DataFrame(
        {
            "margin": grouped["margin"].mean(),
            "se": np.sqrt(grouped["se"].apply(lambda s: np.sum(s**2))) / k,
            "se_spread": grouped["margin"].std(ddof=1) / np.sqrt(k),
            "n_polls": k.astype("int64"),
            "clinton": grouped["clinton"].mean(),
            "trump": grouped["trump"].mean(),
            "first_enddate": grouped["enddate"].min(),
            "last_enddate": grouped["enddate"].max(),
        }
    )
    out.index.name = "state"
    return out


# ---------------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class ElectionSims:
    """Simulated elections: one row of draws per simulated Election Day.

    Attributes
    ----------
    states : tuple of str
        State names, in the order of :attr:`p_state`.
    electoral_votes : ndarray of int, (n_states,)
    clinton_ev, trump_ev : ndarray of int, (n_sims,)
        Electoral votes won in each simulation; a state goes to Clinton iff her simulated
        margin is > 0, so ``clinton_ev + trump_ev`` is the total (538) in every simulation.
    national_error : ndarray, (n_sims,)
        The shared error ``delta`` of each simulation in points (all zeros when
        ``national_sd == 0``).
    p_state : ndarray, (n_states,)
        Fraction of simulations Clinton wins each state.
    tipping_point : Series or None
        With ``tipping_point=True``: for each state, the fraction of simulations in which it is
        the tipping point (lining the states up from the winner's strongest, the one whose votes
        carry the winner to a majority). Sorted descending; 269-269 ties count for no state.
    national_sd, state_sd, df, region_sd : the settings used.
    """

    states: tuple[str, ...]
    electoral_votes: np.ndarray
    clinton_ev: np.ndarray
    trump_ev: np.ndarray
    national_error: np.ndarray
    p_state: np.ndarray
    national_sd: float
    state_sd: float
    df: float | None
    tipping_point: pd.Series | None = None
    region_sd: float = 0.0

    @property
    def total_ev(self) -> int:
        return int(self.electoral_votes.sum())

    @property
    def win_threshold(self) -> int:
        """Votes needed to win: a majority of the total, 270 of 538."""
        return self.total_ev // 2 + 1

    @property
    def n_sims(self) -> int:
        return int(self.clinton_ev.size)

    @property
    def p_clinton_win(self) -> float:
        """P(Clinton wins at least 270 electoral votes)."""
        return float(np.mean(self.clinton_ev >= self.win_threshold))

    def p_clinton_ev_at_most(self, ev: int) -> float:
        """P(Clinton wins ``ev`` electoral votes or fewer): how surprising an outcome was."""
        return float(np.mean(self.clinton_ev <= ev))


def _check_nonneg_real(name: str, value) -> float:
    if not is_real(value):
        raise TypeError(f"{name} must be a real number (points), got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0 (points), got {value!r}")
    return value


def _check_inputs(averages, electoral_votes, n_sims, se_column, df):
    if not isinstance(averages, pd.DataFrame):
        raise TypeError(
            f"averages must be a DataFrame indexed by state, got {type(averages).__name__}"
        )
    missing = [c for c in ("margin", se_column) if c not in averages.columns]
    if missing:
        raise KeyError(f"averages is missing column(s) {missing} (from state_averages)")
    if not isinstance(electoral_votes, pd.Series):
        raise TypeError(
            f"electoral_votes must be a pandas Series indexed by state, got "
            f"{type(electoral_votes).__name__}"
        )
    if averages.index.has_duplicates:
        raise ValueError(
            f"averages has duplicated states: "
            f"{sorted(set(averages.index[averages.index.duplicated()]))}"
        )
    if electoral_votes.index.has_duplicates:
        raise ValueError(
            f"electoral_votes has duplicated states: "
            f"{sorted(set(electoral_votes.index[electoral_votes.index.duplicated()]))}"
        )
    if len(electoral_votes) == 0:
        raise ValueError("electoral_votes is empty")
    unknown = sorted(set(averages.index) - set(electoral_votes.index))
    if unknown:
        raise KeyError(f"averages has state(s) not in electoral_votes: {unknown}")
    no_polls = sorted(set(electoral_votes.index) - set(averages.index))
    if no_polls:
        raise KeyError(f"electoral_votes has state(s) missing from averages: {no_polls}")
    states = tuple(electoral_votes.index)
    ev = pd.to_numeric(electoral_votes, errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(ev)) or np.any(ev < 1) or np.any(ev % 1 != 0):
        raise ValueError("electoral_votes must hold positive whole numbers")
    rows = averages.loc[list(states)]
    margin = pd.to_numeric(rows["margin"], errors="coerce").to_numpy(float)
    se = pd.to_numeric(rows[se_column], errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(margin)):
        raise ValueError("averages['margin'] must be finite numbers (points), found NaN/inf")
    if not np.all(np.isfinite(se)) or np.any(se < 0):
        raise ValueError(f"averages[{se_column!r}] must be finite and >= 0 (points)")
    if not is_int(n_sims):
        raise TypeError(f"n_sims must be an integer, got {n_sims!r}")
    if n_sims < 1:
        raise ValueError(f"n_sims must be >= 1, got {n_sims}")
    if df is not None:
        if not is_real(df) or not df > 2:
            raise ValueError(
                f"df must be None (normal errors) or a number > 2 (Student t with "
                f"finite variance), got {df!r}"
            )
    return states, ev.astype(np.int64), margin, se


def _as_generator(rng) -> np.random.Generator:
    return as_generator(rng)


def _region_codes(states: tuple[str, ...], regions: dict[str, str] | None) -> np.ndarray:
    regions = CENSUS_REGIONS if regions is None else regions
    if not hasattr(regions, "get"):
        raise TypeError(f"regions must be a dict state -> region, got {type(regions).__name__}")
    missing = [s for s in states if s not in regions]
    if missing:
        raise KeyError(f"regions has no region for state(s) {missing}")
    names = sorted({regions[s] for s in states})
    return np.array([names.index(regions[s]) for s in states])


def _unit_draws(rng: np.random.Generator, df: float | None, shape) -> np.ndarray:
    """Standard normal draws, or Student-t draws rescaled to variance 1."""
    if df is None:
        return rng.standard_normal(shape)
    draws = rng.standard_t(df, shape)
    draws *= np.sqrt((df - 2) / df)
    return draws


def _tipping_points(
    margins: np.ndarray, ev: np.ndarray, threshold: int, states: tuple[str, ...]
) -> pd.Series:
    clinton_ev = (margins > 0) @ ev
    clinton_won = clinton_ev >= threshold
    winner_ev = np.where(clinton_won, clinton_ev, ev.sum() - clinton_ev)
    decided = winner_ev >= threshold  # 269-269 ties have no winner
    lead = np.where(clinton_won[:, None], margins, -margins)  # the winner's margins
    order = np.argsort(-lead, axis=1, kind="stable")  # winner's strongest state first
    reached = np.cumsum(ev[order], axis=1) >= threshold
    position = np.argmax(reached, axis=1)
    tipping = order[np.arange(len(order)), position][decided]
    counts = np.bincount(tipping, minlength=len(states)) / len(margins)
    return pd.Series(counts, index=list(states), name="p_tipping_point").sort_values(
        ascending=False, kind="stable"
    )


def simulate_national_sd_grid(
    averages: pd.DataFrame,
    electoral_votes: pd.Series,
    national_sds,
    n_sims: int = 100_000,
    rng=None,
    *,
    state_sd: float = 0.0,
    df: float | None = None,
    se_column: str = "se",
    region_sd: float = 0.0,
    regions: dict[str, str] | None = None,
    tipping_point: bool = False,
) -> list[ElectionSims]:
    """:func:`simulate_elections` for several national SDs with common random numbers.

    The standard draws are made once and only rescaled, so entry ``j`` equals
    ``simulate_elections(..., national_sd=national_sds[j], rng=<the same seed>)`` exactly, and
    differences between the entries are due to the SD alone (this is what makes a slider over
    the SD smooth and P(win) a clean curve).
    """
    states, ev, margin, se = _check_inputs(averages, electoral_votes, n_sims, se_column, df)
    state_sd = _check_nonneg_real("state_sd", state_sd)
    region_sd = _check_nonneg_real("region_sd", region_sd)
    region_codes = _region_codes(states, regions) if region_sd > 0 else None
    sds = [
        _check_nonneg_real("national_sd", s)
        for s in np.atleast_1d(np.asarray(national_sds, dtype=object))
    ]
    if not sds:
        raise ValueError("national_sds must hold at least one SD")
    generator = _as_generator(rng)
    total = int(ev.sum())
    threshold = total // 2 + 1

    # The [on board] model: margin_s = m_s + delta + eps_s,
    #   delta ~ N(0, national_sd^2) (shared), eps_s ~ N(0, se_s^2 + state_sd^2) (independent),
    #   plus, optionally, a regional error shared by the states of each region.
    z_national = _unit_draws(generator, df, n_sims)  # (n_sims,)
    base = _unit_draws(generator, df, (n_sims, len(states)))  # (n_sims, n_states)
    base *= np.sqrt(se**2 + state_sd**2)
    base += margin
    if region_codes is not None:  # drawn last, so the other draws do not depend on it
        z_region = _unit_draws(generator, df, (n_sims, region_codes.max() + 1))
        base += region_sd * z_region[:, region_codes]
    ev_float = ev.astype(np.float64)
    margins = np.empty_like(base) if len(sds) > 1 else base
    out = []
    for sd in sds:
        national_error = sd * z_national
        np.add(base, national_error[:, None], out=margins)
        clinton_wins = margins > 0
        clinton_ev = (clinton_wins @ ev_float).astype(np.int64)
        out.append(
            ElectionSims(
                states=states,
                electoral_votes=ev,
                clinton_ev=clinton_ev,
                trump_ev=total - clinton_ev,  # the states where Clinton's margin is <= 0
                national_error=national_error,
                p_state=np.count_nonzero(clinton_wins, axis=0) / n_sims,
                national_sd=sd,
                state_sd=state_sd,
                region_sd=region_sd,
                df=None if df is None else float(df),
                tipping_point=(
                    _tipping_points(margins, ev, threshold, states) if tipping_point else None
                ),
            )
        )
    return out


def simulate_elections(
    averages: pd.DataFrame,
    electoral_votes: pd.Series,
    n_sims: int = 100_000,
    national_sd: float = 0.0,
    rng=None,
    *,
    state_sd: float = 0.0,
    df: float | None = None,
    se_column: str = "se",
    region_sd: float = 0.0,
    regions: dict[str, str] | None = None,
    tipping_point: bool = False,
) -> ElectionSims:
    """Simulate ``n_sims`` Electoral Colleges from state poll averages.

    In simulation ``j`` Clinton's true margin in state ``s`` is

    .. math:: \\mu_{js} = m_s + \\delta_j + \\varepsilon_{js},\\qquad
              \\delta_j \\sim N(0, \\sigma_\\delta^2),\\quad
              \\varepsilon_{js} \\sim N(0, \\mathrm{se}_s^2 + \\tau^2)

    with ``sigma_delta = national_sd`` and ``tau = state_sd`` (the names of the graph in
    ``lecture_utils.graphs.election_model``; plus an optional regional error, below);
    she wins the state's electoral votes
    iff ``mu_js > 0`` (winner-take-all at state level, Maine and Nebraska included: see the
    module docstring), and the election iff she has a majority (270 of 538).
    ``national_sd = state_sd = 0`` is the naive model of slide 7. With ``df`` the normal draws
    are replaced by Student-t draws with ``df`` degrees of freedom rescaled to the same SD.

    Parameters
    ----------
    averages : DataFrame
        Indexed by state with ``margin`` and ``se`` (points), e.g. :func:`state_averages`.
    electoral_votes : Series
        Electoral votes indexed by the same states (the 51 rows of the results sum to 538).
    n_sims : int, >= 1
    national_sd : float, >= 0
        SD ``sigma_delta`` of the shared national polling error, points.
    rng : None, int or numpy Generator
    state_sd : float, >= 0
        SD ``tau`` of an extra independent per-state error beyond sampling error, points.
    df : float > 2 or None
        Student-t tails for all errors (national and state).
    se_column : str
        Which standard error of ``averages`` to use (``'se'`` or ``'se_spread'``).
    region_sd : float, >= 0
        SD of an optional regional error shared by the states of one region (points), added to
        ``mu_js``; drawn after everything else, so it leaves the other draws unchanged.
    regions : dict state -> region, optional
        Defaults to :data:`CENSUS_REGIONS` (Northeast, Midwest, South, West).
    tipping_point : bool
        Also tabulate the tipping-point state of each simulation (an argsort per simulation:
        several times slower, so off by default).

    Returns
    -------
    ElectionSims
        ``.clinton_ev`` (n_sims,), ``.p_clinton_win`` = P(Clinton >= 270), ...
    """
    return simulate_national_sd_grid(
        averages,
        electoral_votes,
        [national_sd],
        n_sims,
        rng,
        state_sd=state_sd,
        df=df,
        se_column=se_column,
        region_sd=region_sd,
        regions=regions,
        tipping_point=tipping_point,
    )[0]


def winner_take_all_ev(results: pd.DataFrame) -> dict[str, int]:
    """Electoral votes each candidate gets when every state goes whole to its plurality winner.

    For the 2016 results this gives Clinton 233, Trump 305: the real count was 232-306 because
    Maine's 2nd district voted Trump (see the module docstring).
    """
    missing = [c for c in ("electoral_votes", "clinton", "trump") if c not in results.columns]
    if missing:
        raise KeyError(f"results is missing column(s) {missing}")
    ev = results["electoral_votes"].to_numpy()
    clinton = int(ev[(results["clinton"] > results["trump"]).to_numpy()].sum())
    return {"Clinton": clinton, "Trump": int(ev.sum()) - clinton}


def ev_histogram(
    clinton_ev: np.ndarray, total: int = 538, bin_width: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of simulations per bin of Clinton's electoral votes.

    Bins are ``[0, w), [w, 2w), ...`` up to past ``total``; with ``w`` = 10 (or any divisor of
    270) the majority line 270 is a bin edge, so a bin is all Clinton wins or all losses.

    Returns
    -------
    edges : ndarray (n_bins + 1,), fractions : ndarray (n_bins,) summing to 1
    """
    if not is_int(bin_width) or bin_width < 1:
        raise ValueError(f"bin_width must be a positive integer, got {bin_width!r}")
    clinton_ev = np.asarray(clinton_ev)
    if clinton_ev.ndim != 1 or clinton_ev.size == 0:
        raise ValueError("clinton_ev must be a non-empty 1-d array of electoral votes")
    edges = np.arange(0, total + bin_width + 1, bin_width)
    counts = np.bincount(
        np.asarray(clinton_ev, dtype=np.int64) // bin_width, minlength=len(edges) - 1
    )[: len(edges) - 1]
    return edges, counts / clinton_ev.size


def p_win_given_national_error(
    averages: pd.DataFrame,
    electoral_votes: pd.Series,
    shifts,
    n_sims: int = 20_000,
    rng=None,
    *,
    state_sd: float = 0.0,
    df: float | None = None,
    se_column: str = "se",
) -> np.ndarray:
    """P(Clinton >= 270 | delta) for each national error ``delta`` in ``shifts`` (points).

    Given the latent national error the states are independent again: this is the naive
    simulation with every margin shifted by ``delta``. The draws are shared across the shifts
    (common random numbers), so the result is non-decreasing in ``delta`` draw by draw, and
    ``P(win) = integral of P(win | delta) N(delta; 0, sigma_delta^2) d delta`` can be checked
    against :func:`simulate_elections` with ``national_sd=sigma_delta``.
    """
    shifts = np.asarray(shifts, dtype=float)
    if shifts.ndim != 1 or shifts.size == 0 or not np.all(np.isfinite(shifts)):
        raise ValueError("shifts must be a non-empty 1-d sequence of finite numbers (points)")
    states, ev, margin, se = _check_inputs(averages, electoral_votes, n_sims, se_column, df)
    state_sd = _check_nonneg_real("state_sd", state_sd)
    base = _unit_draws(_as_generator(rng), df, (n_sims, len(states)))
    base *= np.sqrt(se**2 + state_sd**2)
    base += margin
    threshold = int(ev.sum()) // 2 + 1
    ev_float = ev.astype(np.float64)
    return np.array([np.mean((base > -shift) @ ev_float >= threshold) for shift in shifts])


def polling_errors(averages: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """How each state's poll average compares with its result (slide 7, "what is wrong?").

    Returns a DataFrame indexed like ``averages`` with ``poll_margin``, ``actual_margin`` and
    ``error = actual - poll`` (points; negative: Trump did better than his polls), ``z`` =
    ``error / se`` (the error in units of the sampling standard error), ``undecided`` (percent
    of poll respondents for neither Clinton nor Trump, if ``averages`` has ``clinton`` and
    ``trump``) and ``others_actual`` (percent of votes for neither).
    """
    for name, frame, columns in (
        ("averages", averages, ("margin", "se")),
        ("results", results, ("state", "clinton", "trump", "others")),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame, got {type(frame).__name__}")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise KeyError(f"{name} is missing column(s) {missing}")
    actual = results.set_index("state")
    unknown = sorted(set(averages.index) - set(actual.index))
    if unknown:
        raise KeyError(f"averages has state(s) not in results: {unknown}")
    actual = actual.loc[averages.index]
    out = pd.DataFrame(
        {
            "poll_margin": averages["margin"],
            "actual_margin": actual["clinton"] - actual["trump"],
        }
    )
    out["error"] = out["actual_margin"] - out["poll_margin"]
    out["z"] = out["error"] / averages["se"]
    if {"clinton", "trump"} <= set(averages.columns):
        out["undecided"] = 100 - averages["clinton"] - averages["trump"]
    out["others_actual"] = actual["others"]
    return out


# ---------------------------------------------------------------------------------------------
# Figures (used by the notebook and the explorer)
# ---------------------------------------------------------------------------------------------


def plot_ev_histogram(
    ax,
    clinton_ev: np.ndarray,
    *,
    total: int = 538,
    bin_width: int = 10,
    actual: int | None = None,
    colors: dict | None = None,
):
    """Histogram of Clinton's electoral votes on ``ax``: red bins are Trump wins, blue Clinton's.

    ``actual`` draws the 2016 outcome as the model counts it (233, see the module docstring).
    Returns the two ``StepPatch`` artists (Trump side, Clinton side) so an explorer can update
    them with ``set_data``.
    """
    if colors is None:
        from lecture_utils.plotting import COLORS as colors
    edges, fractions = ev_histogram(clinton_ev, total, bin_width)
    threshold = total // 2 + 1
    clinton_side = edges[:-1] >= threshold
    trump = ax.stairs(
        np.where(clinton_side, 0, fractions),
        edges,
        fill=True,
        color=colors["Trump"],
        alpha=0.8,
        label="Trump wins",
    )
    clinton = ax.stairs(
        np.where(clinton_side, fractions, 0),
        edges,
        fill=True,
        color=colors["Clinton"],
        alpha=0.8,
        label="Clinton wins",
    )
    ax.axvline(threshold, color="k", lw=1, ls=":")
    ax.text(
        threshold, 0.98, f" {threshold}", transform=ax.get_xaxis_transform(), va="top", fontsize=8
    )
    if actual is not None:
        ax.axvline(
            actual,
            color=colors["truth"],
            lw=2,
            label=f"2016 result as counted\nhere: Clinton {actual}",
        )
    ax.set_xlabel("Clinton's electoral votes")
    ax.set_ylabel(f"fraction per {bin_width} EV")
    return trump, clinton


def plot_published_forecasts(
    ax, published: dict[str, float] | None = None, x: float | None = None
) -> None:
    """Dashed horizontal lines at the published final 2016 forecasts, labelled at ``x``.

    Labels are kept apart where lines crowd; 0.99 is written ">99%" (what the Princeton
    Election Consortium published).
    """
    published = PUBLISHED_FORECASTS_2016 if published is None else published
    x = ax.get_xlim()[1] if x is None else x
    previous = None
    for name, prob in sorted(published.items(), key=lambda item: -item[1]):
        ax.axhline(prob, color="0.5", lw=0.8, ls="--")
        below = previous is not None and previous - prob < 0.03
        label = ">99%" if prob >= 0.99 else f"{prob:.0%}"
        ax.text(
            x,
            prob,
            f"{name} {label}",
            ha="right",
            va="top" if below else "bottom",
            fontsize=7,
            color="0.3",
        )
        previous = prob

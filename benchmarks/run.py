"""The benchmark table: each row times our code against a reference measured in the same run.

    make bench                      # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py mixture     # only rows from bench_mixture.py

Rows live in ``benchmarks/bench_*.py``: each module has ``ROWS``, a list of functions that take
no argument and return a :class:`Row`. A ratio is ours / reference (smaller is better); the
target is a ratio, never an absolute time, so the table means the same on any machine. Speed
targets live here and nowhere else (no timed unit tests). Exit status 1 if a row misses its
target or its correctness check.
"""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
import sys
import time
from collections.abc import Callable

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


@dataclasses.dataclass
class Row:
    name: str  # what is measured
    ours: float  # seconds, best of the repeats
    reference: float  # seconds, best of the repeats, same run
    reference_name: str  # what the reference is
    target: float  # the ratio ours/reference must be <= target
    same_answer: bool = True  # the correctness check made alongside the timing
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.reference

    @property
    def ok(self) -> bool:
        return self.same_answer and self.ratio <= self.target


def best_time(fn: Callable[[], object], repeat: int = 3, number: int = 1) -> float:
    """Best wall-clock time of ``number`` calls over ``repeat`` repeats, per call, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def interleaved_best(
    ours: Callable[[], object], reference: Callable[[], object], repeat: int = 5
) -> tuple[float, float]:
    """Best times of ``ours`` and ``reference``, measured alternately so that both see the same
    machine load (the CI machine has 2 cores shared with other work)."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, fn in enumerate((ours, reference)):
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best[0], best[1]


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:9.1f} ms" if seconds < 10 else f"{seconds:9.2f} s "


def main(argv: list[str]) -> int:
    wanted = set(argv)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    rows: list[Row] = []
    header = (
        f"{'benchmark':<52} {'ours':>12} {'reference':>12} {'ratio':>7} {'target':>7}  "
        f"{'ok':<3} reference"
    )
    print(header)
    print("-" * len(header))
    for module_name in modules:
        if wanted and module_name.removeprefix("bench_") not in wanted:
            continue
        module = importlib.import_module(module_name)
        for make_row in module.ROWS:
            row = make_row()
            rows.append(row)
            flag = "yes" if row.ok else "NO"
            if not row.same_answer:
                flag = "NO (answers differ)"
            print(
                f"{row.name:<52} {_fmt(row.ours)} {_fmt(row.reference)} {row.ratio:6.3f}x "
                f"{row.target:6.2f}x  {flag:<3} {row.reference_name}"
                + (f"  [{row.note}]" if row.note else ""),
                flush=True,
            )
    if not rows:
        print("(no benchmark rows yet)")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

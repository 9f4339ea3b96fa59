"""EM explorer: rendering one frame (what a rebuild after a start change costs per frame)
against drawing the same figure from scratch; and the whole rebuild after a start change.

The explorer pre-renders every (iteration, half-step) frame with ``em_plots.EMFigure``:
index the precomputed ``EMFrames``, update the artists, blit onto the cached background,
encode the PNG. The reference draws the same figure once from scratch (new Figure, every
artist, PNG) from the same precomputed frames; target 1.2x (noise on a shared machine). The
correctness check: both are the same pixels.
"""

from __future__ import annotations

import functools
import io
import itertools

import numpy as np
from matplotlib.image import imread
from run import Row, best_time

from lecture_utils import em_plots, mixture
from lecture_utils.data import load_heights
from lecture_utils.plotting import EXPLORER_DPI, use_style

DPI = EXPLORER_DPI


def _pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def slider_step() -> Row:
    use_style()
    x = load_heights()["height"].to_numpy()
    init = mixture.MixtureParams(
        np.array([0.5, 0.5]), np.array([60.0, 75.0]), np.array([16.0, 16.0])
    )
    trace = mixture.run_em(x, init, max_iter=300)
    frames = em_plots.em_frames(x, trace)
    figure = em_plots.EMFigure(frames)
    states = itertools.cycle([(t, h) for t in (1, 2, 3, 5, 8, 13, 21, 34) for h in ("E", "M")])

    def step():
        t, half = next(states)
        figure.show(t, half)
        return figure.png(dpi=DPI)

    def scratch():
        figure = em_plots.EMFigure(frames)
        figure.show(5, "M")
        return figure.png(dpi=DPI)

    ours = best_time(step, repeat=5, number=4)
    reference = best_time(scratch, repeat=5, number=1)

    figure.show(5, "M")
    a, b = _pixels(figure.png(dpi=DPI)), _pixels(scratch())
    same = a.shape == b.shape and bool(np.array_equal(a, b))
    return Row(
        name="EM explorer: one frame rendered (update + blit + PNG)",
        ours=ours,
        reference=reference,
        reference_name="the same figure drawn once from scratch",
        target=1.2,
        same_answer=same,
        note=f"{trace.n_iter} iterations precomputed, {x.size} heights, {DPI} dpi",
    )


REBUILD_BUDGET = 2.0  # seconds: issue 14's target for a rebuild after a start change


def _rebuild_setup():
    use_style()
    from lecture_utils import widgets

    x = load_heights()["height"].to_numpy()
    init = mixture.MixtureParams(
        np.array([0.5, 0.5]), np.array([60.0, 72.0]), np.array([16.0, 16.0])
    )
    trace = mixture.run_em(x, init, max_iter=500, tol=1e-8)
    return x, widgets.em_explorer(x, trace)


@functools.lru_cache(maxsize=1)
def rebuild() -> tuple[float, float, int, bool]:
    """(best rebuild time, per-frame scratch time x frames, frames, every frame rendered)."""
    x, explorer = _rebuild_setup()
    starts = itertools.cycle([62.0, 58.0, 61.0, 57.0])

    def restart():
        explorer.start_controls["mu0"].value = next(starts)

    ours = best_time(restart, repeat=3, number=1)
    n = sum(len(row) for row in explorer.frames)
    done = all(hasattr(frame, "image") for row in explorer.frames for frame in row)
    frames = explorer.em_frames

    def scratch():
        figure = em_plots.EMFigure(frames)
        figure.show(5, "M")
        return figure.png(dpi=DPI)

    return ours, best_time(scratch, repeat=3, number=1) * n, n, done


def rebuild_vs_scratch() -> Row:
    ours, scratch, n, done = rebuild()
    return Row(
        name="EM explorer: rebuild after a start change (EM + every frame)",
        ours=ours,
        reference=scratch,
        reference_name=f"drawing the {n} frames from scratch, one by one",
        target=0.5,
        same_answer=done,
        note=f"{n} frames; drawn with blitting while a thread encodes",
    )


def rebuild_vs_budget() -> Row:
    ours, _, n, done = rebuild()
    return Row(
        name="EM explorer: rebuild vs the 2 s budget",
        ours=ours,
        reference=REBUILD_BUDGET,
        reference_name="issue 14's budget, 2 s (a constant)",
        target=1.0,
        same_answer=done,
        note=f"{n} frames, 1050 heights",
    )


ROWS = [slider_step, rebuild_vs_scratch, rebuild_vs_budget]

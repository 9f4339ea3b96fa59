"""EM explorer: a slider step against drawing the same figure from scratch.

A slider step of ``widgets.em_explorer`` indexes the precomputed ``EMFrames``, updates the
artists of the persistent figure, renders the PNG and the readout. The reference draws the
same figure once from scratch (new Figure, every artist, layout, PNG) from the same
precomputed frames. If the step did any EM work, or rebuilt the figure, it would be at or
above 1x; the target 1.2x allows for noise on a shared machine. The correctness check: the
step's PNG and the from-scratch PNG of the same state are the same pixels.
"""

from __future__ import annotations

import io
import itertools

import numpy as np
from matplotlib.image import imread
from run import Row, best_time

from lecture_utils import em_plots, mixture, widgets
from lecture_utils.data import load_heights
from lecture_utils.plotting import use_style

DPI = 90


def _pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def slider_step() -> Row:
    use_style()
    x = load_heights()["height"].to_numpy()
    init = mixture.MixtureParams(
        np.array([0.5, 0.5]), np.array([60.0, 75.0]), np.array([16.0, 16.0])
    )
    trace = mixture.run_em(x, init, max_iter=300)
    explorer = widgets.em_explorer(x, trace, dpi=DPI)
    frames = explorer.explorer.frames
    states = itertools.cycle([(t, h) for t in (1, 2, 3, 5, 8, 13, 21, 34) for h in ("E", "M")])

    def step():
        t, half = next(states)
        explorer.update(t, half)

    def scratch():
        figure = em_plots.EMFigure(frames)
        figure.show(5, "M")
        return figure.png(dpi=DPI)

    ours = best_time(step, repeat=5, number=4)
    reference = best_time(scratch, repeat=5, number=1)

    explorer.update(5, "M")
    a, b = _pixels(explorer.image.value), _pixels(scratch())
    same = a.shape == b.shape and bool(np.array_equal(a, b))
    return Row(
        name="EM explorer slider step (update + redraw)",
        ours=ours,
        reference=reference,
        reference_name="the same figure drawn once from scratch",
        target=1.2,
        same_answer=same,
        note=f"{trace.n_iter} iterations precomputed, {x.size} heights, {DPI} dpi",
    )


ROWS = [slider_step]

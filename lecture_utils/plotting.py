"""Shared figure style and the few plot helpers used in more than one notebook."""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["COLORS", "DPI", "EXPLORER_DPI", "describe", "use_style"]

#: Resolution of the static figures (use_style sets figure.dpi and savefig.dpi to it).
DPI = 100
#: Pixels per inch of the explorers' pre-rendered frames (lecture_utils.explorer, em_plots,
#: the benchmarks): lower than DPI because every frame is stored in the notebook (3 MB each).
EXPLORER_DPI = 80

#: One colour per meaning, used the same way in every notebook.
COLORS = {
    "Female": "#d95f02",     # heights: female / component 0
    "Male": "#1b9e77",       # heights: male / component 1
    "component": ["#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"],
    "truth": "#333333",      # simulated truth (fish population, actual results)
    "filtered": "#377eb8",
    "smoothed": "#e41a1c",
    "data": "#999999",
    "Clinton": "#2166ac",
    "Trump": "#b2182b",
    "bound": "#7570b3",      # the EM lower bound
}


def use_style() -> None:
    """A clean, legible style at notebook width (call once in a notebook's first cell)."""
    mpl.rcParams.update({
        "figure.figsize": (8.0, 4.0),
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.constrained_layout.use": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "legend.frameon": False,
        "font.size": 10,
    })


def describe(fig, alt: str):
    """Attach alt text to a matplotlib figure and return the figure.

    The text says what the figure shows (not "a figure"); it travels with the figure into the
    notebook output's metadata and from there into the HTML ``alt`` attribute. Every figure that
    lecture_utils makes, and every figure a notebook draws itself, calls this.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty string saying what the figure shows, got {alt!r}")
    fig._lecture_alt = alt.strip()
    return fig

"""Shared figure style and the few plot helpers used in more than one notebook."""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["COLORS", "describe", "use_style"]

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
    # 06: two ways to compute or maximise the same log-likelihood (not the sexes' colours)
    "brute_force": "#e6ab02",  # the 2^n-term sum over every label vector
    "factorised": "#377eb8",   # the factorised sum, 2n terms
    "em": "#7570b3",           # EM (the same colour as its lower bound)
    "direct": "#a6761d",       # direct numerical maximisation (scipy.optimize, BFGS)
    # 06: one colour per EM start in the local-optima figure
    "runs": ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"],
    "battleground": "#5e3c99",     # election: battleground states (not a candidate's colour)
    "model_national": "#2166ac",   # election model variants: shared error δ only
    "model_state": "#7570b3",      #   δ + state error τ
    "model_student_t": "#1b9e77",  #   δ + τ, Student-t tails
    "model_regional": "#e7298a",   #   δ + regional error ρ
}


def use_style() -> None:
    """A clean, legible style at notebook width (call once in a notebook's first cell)."""
    mpl.rcParams.update({
        "figure.figsize": (8.0, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 100,
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

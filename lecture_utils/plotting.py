"""Shared figure style and the few plot helpers used in more than one notebook."""

from __future__ import annotations

import base64

import matplotlib as mpl

__all__ = [
    "CYCLE",
    "COLORS",
    "DPI",
    "EXPLORER_DPI",
    "OKABE_ITO",
    "alt_text",
    "describe",
    "palette_png",
    "use_style",
]

#: Resolution of the static figures (use_style sets figure.dpi and savefig.dpi to it).
DPI = 100
#: Pixels per inch of the explorers' pre-rendered frames (lecture_utils.explorer, em_plots,
#: the benchmarks): lower than DPI because every frame is stored in the notebook (3 MB each).
EXPLORER_DPI = 80

#: The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"): eight colours that stay
#: distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: The colour cycle of every figure (use_style) and the colours of EM's runs in 06: Okabe–Ito,
#: with yellow (hard to see on white) last.
CYCLE = [
    OKABE_ITO[name]
    for name in (
        "blue",
        "vermillion",
        "bluish green",
        "orange",
        "reddish purple",
        "sky blue",
        "black",
        "yellow",
    )
]

#: One colour per meaning, the same in every notebook. Eight colour-blind-safe hues cannot give
#: each of the ~25 meanings its own colour: a hue is reused only for meanings that never share a
#: figure (Clinton's blue and the first EM run; the fish filter's green and 06's factorised sum),
#: and wherever colour tells two things apart in a figure, a second cue does too: a line style, a
#: marker or a label.
COLORS = {
    "Female": OKABE_ITO["orange"],  # heights: female / mixture component 0
    "Male": OKABE_ITO["sky blue"],  # heights: male / mixture component 1
    "component": [OKABE_ITO["orange"], OKABE_ITO["sky blue"]],  # = Female, Male
    "truth": OKABE_ITO["black"],  # simulated truth (fish population, actual results)
    "filtered": OKABE_ITO["bluish green"],  # fish HMM: filtering p(z_t | x_1..t)
    "smoothed": OKABE_ITO["reddish purple"],  # fish HMM: smoothing p(z_t | x_1..T)
    "data": "#8C8C8C",  # observed data (points, histograms), grey
    "Clinton": OKABE_ITO["blue"],
    "Trump": OKABE_ITO["vermillion"],
    # the method's result: the EM lower bound, a log-likelihood trace, a posterior. Tol's indigo,
    # darker than Clinton's blue (the two never share a figure).
    "bound": "#332288",
    "model": "#333333",  # the fitted model's overall curve (mixture, ℓ(θ))
    "reference": "#999999",  # guide lines: μ₀ = μ₁ mirror, a year, zero
    "undecided": "#C8C8C8",  # the middle of the female–male responsibility scale
    "now": OKABE_ITO["black"],  # the current EM iterate (an open circle: "now")
    # point estimates in 01: told apart by line style, in shades of grey
    "MAP": OKABE_ITO["black"],
    "LMSE": "#555555",
    "MLE": "#777777",
    # 06: ways to compute or maximise the same log-likelihood (not the sexes' colours)
    "brute_force": OKABE_ITO["vermillion"],  # the 2^n-term sum over every label vector
    "factorised": OKABE_ITO["bluish green"],  # the factorised sum, 2n terms
    "em": "#332288",  # EM (the same colour as its lower bound)
    "direct": OKABE_ITO["reddish purple"],  # direct numerical maximisation (BFGS)
    # 06: one colour per EM start in the local-optima figure (each run is also labelled)
    "runs": CYCLE[:7],
    # election: battleground states' labels (Tol's wine: 8.6:1 on white, legible as text)
    "battleground": "#882255",
    "model_national": OKABE_ITO["blue"],  # election model variants: shared error δ only
    "model_state": OKABE_ITO["bluish green"],  #   δ + state error τ
    "model_student_t": OKABE_ITO["orange"],  #   δ + τ, Student-t tails
    "model_regional": OKABE_ITO["reddish purple"],  # δ + regional error ρ
}

#: Placeholder alt texts the tests reject (nbconvert's own, and a few that say nothing).
PLACEHOLDER_ALT = (
    "no description has been provided for this image",
    "figure",
    "image",
    "plot",
    "a figure",
    "an image",
    "a plot",
    "chart",
    "graph",
)


def use_style() -> None:
    """A clean, legible style at notebook width (call once in a notebook's first cell).

    It also sets the colour cycle to :data:`OKABE_ITO` (colour-blind safe) and, inside IPython,
    makes every matplotlib figure's PNG output carry the alt text given by :func:`describe`
    (``metadata={"image/png": {"alt": ...}}``), which ``make html`` writes into ``<img alt>``.
    """
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=CYCLE),
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
        }
    )
    register_alt_text_formatter()


def alt_text(fig) -> str | None:
    """The alt text :func:`describe` attached to ``fig`` (None if it has none)."""
    return getattr(fig, "_lecture_alt", None)


def _png_with_alt(fig):
    """IPython's PNG formatter for a matplotlib figure, plus its alt text as output metadata."""
    from IPython import get_ipython
    from IPython.core.pylabtools import print_figure

    kwargs = {"bbox_inches": "tight"}
    shell = get_ipython()
    if shell is not None:
        try:  # the inline backend's own settings (%config InlineBackend.print_figure_kwargs)
            from matplotlib_inline.config import InlineBackend

            kwargs = dict(InlineBackend.instance(parent=shell).print_figure_kwargs)
        except ImportError:  # pragma: no cover - matplotlib-inline ships with ipykernel
            pass
    png = print_figure(fig, "png", **kwargs)
    if png is None:  # an empty figure: IPython shows nothing
        return None
    data = base64.b64encode(palette_png(png)).decode("ascii")
    alt = alt_text(fig)
    return (data, {"alt": alt}) if alt else data


def palette_png(png: bytes, colors: int = 256) -> bytes:
    """A figure's PNG with its colours quantised to a palette of at most ``colors``.

    A plot's flat colours and antialiased edges fit in 256 colours with no visible change, and
    the PNG is about a quarter of the size: the committed notebooks carry every figure, and
    each must stay under 3 MB with its explorers (tests/test_browser.py). An image that has
    more colours than that (a photograph, a fine colour map) loses some shades, not its shape.
    """
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png))
    info = {key: image.info[key] for key in ("dpi",) if key in image.info}
    image = image.convert("RGBA")
    if image.getextrema()[3][0] == 255:
        # opaque (every figure here): median cut keeps white white and the colours exact
        quantized = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    else:  # a transparent background: only the octree keeps the alpha channel
        quantized = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    buffer = BytesIO()
    quantized.save(buffer, format="png", optimize=True, **info)
    return buffer.getvalue()


def register_alt_text_formatter(shell=None) -> bool:
    """Make IPython's PNG output of every matplotlib figure carry its :func:`describe` text.

    Returns False outside IPython (nothing to register)."""
    from matplotlib.figure import Figure

    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return False
        shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["image/png"].for_type(Figure, _png_with_alt)
    import os

    if os.environ.get("VOILA_KERNEL_ID"):
        # Voila renders outputs with JupyterLab's image renderer, which ignores the alt metadata;
        # there (and only there: no notebook is saved, so the size does not matter) the figure is
        # also offered as an <img> with its alt attribute, which the renderer prefers.
        shell.display_formatter.formatters["text/html"].for_type(Figure, _html_img_with_alt)
    return True


def _html_img_with_alt(fig):
    """The figure as an HTML ``<img>`` carrying its alt text (Voila's view of a figure)."""
    import html

    found = _png_with_alt(fig)
    if found is None:
        return None
    data = found[0] if isinstance(found, tuple) else found
    alt = alt_text(fig) or ""
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">'


def describe(fig, alt: str):
    """Attach alt text to a matplotlib figure and return the figure.

    The text says what the figure shows (not "a figure"); it travels with the figure into the
    notebook output's metadata and from there into the HTML ``alt`` attribute. Every figure that
    lecture_utils makes, and every figure a notebook draws itself, calls this.
    """
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(
            f"alt must be a non-empty string saying what the figure shows, got {alt!r}"
        )
    if alt.strip().rstrip(".").lower() in PLACEHOLDER_ALT:
        raise ValueError(f"alt must say what the figure shows, not just {alt!r}")
    fig._lecture_alt = alt.strip()
    return fig

"""The one explorer contract, and the pre-rendered frames that make explorers work in the browser.

Every explorer of the course is an :class:`Explorer`:

- ``controls``: the widgets a student moves (sliders, toggles, Play). The main ones are linked
  to the figure in the browser (``jslink``), so a move needs no kernel: it works the same in
  JupyterLab, in Voilà, and in the static HTML of ``make html`` (saved widget state).
- ``figure``: a :class:`ipywidgets.Stack` of pre-rendered frames, one per state of the main
  controls (nested, one Stack level per control, when there are two). Each frame is an HTML
  widget holding the readout line and the picture, an ``<img>`` whose ``alt`` text says what
  that very frame shows, so the alt text follows the state.
- ``readout``: the readout of the state shown now (text, read in Python).
- ``update(**state)``: set the controls from Python (tests, notebooks), as a student would.
- ``static_figure()``: the matplotlib small-multiples figure shown beside the widget, with alt
  text (``plotting.describe``), so the notebook reads without a kernel and in print.

Controls that need Python (the EM explorer's start values) carry the class
``explorer-needs-kernel``; ``scripts/execute_notebooks.py`` saves them as disabled, with the
note (class ``explorer-kernel-note``) shown, in the widget state of the committed notebooks: a
page without a kernel shows them greyed out and says why. Re-running the cell makes them live.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from lecture_utils.plotting import EXPLORER_DPI as DPI  # CSS pixels per inch of the frames

__all__ = ["DPI", "Explorer", "Frame", "encode_frame", "frame_stack"]

#: Device pixels per CSS pixel the frames are rendered at. 2 would be sharp on a 2x display,
#: but four times the pixels do not fit the notebooks' 3 MB (see docs/explorers.md).
PIXEL_RATIO = 1

#: The CSS class of the needs-a-kernel controls and of their note (see the module docstring).
NEEDS_KERNEL = "explorer-needs-kernel"
KERNEL_NOTE = "explorer-kernel-note"
KERNEL_NOTE_TEXT = (
    "These controls need a running kernel (run the notebook in JupyterLab); "
    "the sliders above work without one."
)


@dataclass(frozen=True)
class Frame:
    """One pre-rendered state: the picture (lossless WebP bytes), its alt text and the readout
    line."""

    image: bytes
    alt: str
    readout: str
    width_px: int  # CSS pixels the picture is shown at (the image has PIXEL_RATIO times more)

    def html(self) -> str:
        src = "data:image/webp;base64," + base64.b64encode(self.image).decode("ascii")
        return (
            f'<div class="explorer-readout" role="status">{self.readout}</div>'
            f'<img class="explorer-figure" src="{src}" alt="{html.escape(self.alt)}" '
            f'style="width:{self.width_px}px;max-width:100%;height:auto">'
        )


def encode_frame(rgba: np.ndarray, colors: int = 64) -> bytes:
    """RGBA pixels (height, width, 4) as a lossless WebP of at most ``colors`` colours.

    A figure's antialiased lines need few colours: quantised to a palette, then stored
    losslessly as WebP, a frame is about a third of its true-colour PNG (the notebooks hold
    every frame, and must stay under 3 MB). Every browser the course supports shows WebP.
    """
    from PIL import Image

    height, width, _ = rgba.shape
    image = Image.frombuffer(
        "RGBA", (width, height), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1
    ).convert("RGB")
    image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="webp", lossless=True, method=4)
    return buffer.getvalue()


def render_figure(
    fig, dpi: float = DPI, pixel_ratio: float = PIXEL_RATIO, freeze_layout: bool = False
) -> np.ndarray:
    """Draw a matplotlib figure (Agg) and return its RGBA pixels at ``dpi * pixel_ratio``.

    ``freeze_layout``: after this draw, keep the layout the engine found (faster later frames;
    only for figures whose tick labels keep their width from frame to frame)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.set_dpi(dpi * pixel_ratio)
    canvas.draw()
    if freeze_layout and fig.get_layout_engine() is not None:
        # the first frame fixed the layout; later frames keep it (and skip its cost)
        fig.set_layout_engine("none")
    return np.asarray(canvas.buffer_rgba())


def frame_of(
    fig,
    alt: str,
    readout: str,
    dpi: float = DPI,
    pixel_ratio: float = PIXEL_RATIO,
    colors: int = 64,
    freeze_layout: bool = False,
) -> Frame:
    """Render ``fig`` as it is now into a :class:`Frame`."""
    rgba = render_figure(fig, dpi, pixel_ratio, freeze_layout)
    return Frame(encode_frame(rgba, colors), alt, readout, round(fig.get_figwidth() * dpi))


def _frame_widget(frame: Frame | str) -> widgets.HTML:
    w = widgets.HTML(frame if isinstance(frame, str) else frame.html())
    w.add_class("explorer-frame")
    return w


def frame_stack(
    frames, links: Sequence[tuple[widgets.Widget, str]], jslinks: list | None = None
) -> widgets.Stack:
    """Nested Stacks over an n-dimensional grid of frames, one level per control.

    ``frames[i][j]...`` is the frame for index i of the first control, j of the second, ...;
    ``links[k] = (widget, trait)`` is the control whose integer ``trait`` (``value`` of an
    IntSlider from 0, ``index`` of a SelectionSlider or ToggleButtons) picks index k. Every
    Stack is jslinked to its control: the browser swaps frames with no kernel. The links made
    are appended to ``jslinks``.
    """
    (control, trait), rest = links[0], links[1:]
    if rest:
        children = [frame_stack(sub, rest, jslinks) for sub in frames]
    else:
        children = [_frame_widget(f) for f in frames]
    stack = widgets.Stack(children, selected_index=int(getattr(control, trait)))
    link = widgets.jslink((control, trait), (stack, "selected_index"))
    if jslinks is not None:
        jslinks.append(link)
    return stack


def _select(stack: widgets.Stack, indices: Sequence[int]) -> None:
    """Set the Stacks' selected indices from Python (what the jslinks do in the browser)."""
    stack.selected_index = int(indices[0])
    if len(indices) > 1:
        for child in stack.children:
            _select(child, indices[1:])


def accessible_slider(slider: widgets.Widget, name: str) -> widgets.Widget:
    """Give a slider an accessible name: its description and a tooltip (the handle's
    ``title``) saying what it sets."""
    slider.tooltip = name
    return slider


class Explorer:
    """One explorer: controls, a figure of pre-rendered frames, a readout, ``update`` and a static
    small-multiples figure (see the module docstring).

    Parameters
    ----------
    frames : nested sequence of Frame
        ``frames[i][j]...``: one frame per combination of the linked controls' indices.
    links : sequence of (widget, trait)
        The controls that pick the frame, outermost first (see :func:`frame_stack`).
    controls : dict name -> widget
        Every control, by name (the linked ones and any others).
    layout : callable (figure widget) -> list of widgets
        The rows of the explorer's box, given the figure; default: the controls, then the figure.
    static_figure : callable () -> matplotlib Figure
        The small-multiples figure shown beside the widget.
    setters : dict name -> callable(value)
        How ``update(name=value)`` sets a control (default: ``controls[name].value = value``).
    """

    def __init__(
        self,
        frames,
        links,
        controls: dict[str, widgets.Widget],
        *,
        static_figure: Callable[[], object],
        layout: Callable[[widgets.Widget], list] | None = None,
        setters: dict[str, Callable] | None = None,
    ) -> None:
        self.controls = dict(controls)
        self.links = list(links)
        self._static_figure = static_figure
        self._setters = setters or {}
        self._layout = layout
        self.widget = widgets.VBox()
        self.widget.add_class("lecture-explorer")
        self.widget.explorer = self
        for control, _ in self.links:
            control.observe(self._sync, names=[t for c, t in self.links if c is control])
        self.set_frames(frames)

    # -- the contract -----------------------------------------------------------------------
    @property
    def state(self) -> tuple[int, ...]:
        """The index of every linked control, outermost first."""
        return tuple(int(getattr(control, trait)) for control, trait in self.links)

    @property
    def frame(self) -> Frame:
        """The frame shown now."""
        f = self.frames
        for i in self.state:
            f = f[i]
        return f

    @property
    def readout(self) -> str:
        """The readout of the state shown now."""
        return self.frame.readout

    @property
    def alt(self) -> str:
        """The alt text of the picture shown now."""
        return self.frame.alt

    def update(self, **state) -> None:
        """Set controls by name, as a student would (the figure follows, in the browser too)."""
        unknown = set(state) - set(self.controls)
        if unknown:
            raise ValueError(
                f"update() takes the controls {sorted(self.controls)}, got {sorted(unknown)}"
            )
        for name, value in state.items():
            setter = self._setters.get(name)
            if setter is not None:
                setter(value)
            else:
                self.controls[name].value = value
        self._sync()

    def static_figure(self):
        """The small-multiples figure that stands beside the widget (alt text attached)."""
        return self._static_figure()

    # -- plumbing ---------------------------------------------------------------------------
    def set_frames(self, frames) -> None:
        """Show a new grid of frames (e.g. after a rebuild) in the same box."""
        self.frames = frames
        for link in getattr(self, "jslinks", []):
            link.unlink()
        self.jslinks: list = []
        self.figure = frame_stack(frames, self.links, self.jslinks)
        self.figure.add_class("explorer-stack")
        rows = (
            self._layout(self.figure)
            if self._layout is not None
            else [*self.controls.values(), self.figure]
        )
        self.widget.children = rows

    def _sync(self, _change=None) -> None:
        _select(self.figure, self.state)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def needs_kernel(widget: widgets.Widget) -> widgets.Widget:
    """Mark a control that needs Python (saved disabled in the committed notebooks)."""
    widget.add_class(NEEDS_KERNEL)
    return widget


def kernel_note() -> widgets.HTML:
    """The one-line note shown (in saved widget state) where controls need a kernel."""
    note = widgets.HTML("")
    note.add_class(KERNEL_NOTE)
    return note


def selection_slider(
    values,
    labels,
    value_index: int,
    description: str,
    *,
    width: str = "450px",
    tooltip: str | None = None,
) -> widgets.SelectionSlider:
    """A slider over ``values`` shown as ``labels``, whose ``index`` picks the frame."""
    options = list(zip(labels, range(len(values))))
    slider = widgets.SelectionSlider(
        options=options,
        index=int(value_index),
        description=description,
        continuous_update=True,
        style={"description_width": "initial"},
        layout=widgets.Layout(width=width),
    )
    slider.tooltip = tooltip or description
    return slider

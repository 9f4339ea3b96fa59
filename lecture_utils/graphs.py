"""The lecture's graphical models, drawn with daft-pgm (slides 3-6 and 8).

Each model is first written down as data -- a :class:`ModelGraph` of nodes, edges and plates --
and then drawn by :func:`draw`. The drawing functions (:func:`heights_model`, :func:`fish_hmm`,
...) return a matplotlib :class:`~matplotlib.figure.Figure`; :func:`model_structure` returns the
same model as data, so tests (and students) can ask "what are the parents of :math:`x_i`?".

Conventions, the usual ones of Bishop's *PRML* and of daft:

- open circle: a latent (unobserved) random variable;
- shaded circle: an observed random variable;
- small black dot: a fixed hyperparameter (a number, not a random variable);
- a plate (rectangle) with ":math:`i = 1, \\dots, n`": what is inside repeats, independently
  given its parents outside.

In a notebook: daft creates its figure through pyplot, so end the cell with ``plt.show()`` (or a
``;``) -- returning the Figure as the cell's value would show it twice. Each figure is rendered
once, at notebook width (about 4-6 inches at 100 dpi).

Every arrow :math:`a \\to b` is a factor :math:`p(b \\mid \\dots, a, \\dots)` of the joint, so the
graph *is* the factorisation ``p(all) = prod_v p(v | parents(v))``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import daft
from matplotlib.figure import Figure

from lecture_utils._validate import is_int
from lecture_utils.plotting import describe

__all__ = [
    "GraphNode",
    "GraphPlate",
    "ModelGraph",
    "MODELS",
    "model_structure",
    "draw",
    "latent_variable_model",
    "heights_model",
    "hierarchical_model",
    "fish_hmm",
    "election_model",
]

Kind = Literal["latent", "observed", "fixed"]

_GRID_UNIT = 2.2  # cm per model unit: nodes 1 cm wide, legible at notebook width
_MARGIN = 0.15  # model units of white space around the drawing
_NOTE_COLOR = "0.35"
_RIGHT = (7.0, -10.0), "left"  # label_offset, label_ha: a fixed node's label right of its dot
_BELOW = (0.0, -23.0), "center"  # ... below its dot


@dataclass(frozen=True)
class GraphNode:
    """One variable of a model.

    Attributes
    ----------
    name : str
        Plain identifier, used for edges (``"z"``, ``"x_1"``).
    label : str
        What is drawn: a matplotlib mathtext string such as ``r"$z_i$"``.
    x, y : float
        Position in model units (one unit = ``2.2`` cm).
    kind : {"latent", "observed", "fixed"}
        Open circle, shaded circle, or small black dot.
    label_offset : (float, float)
        Where the label goes, in points from its default place (inside a circle, just above a
        dot); ``label_ha`` is its horizontal alignment.
    """

    name: str
    label: str
    x: float
    y: float
    kind: Kind = "latent"
    label_offset: tuple[float, float] = (0.0, 0.0)
    label_ha: str = "center"


@dataclass(frozen=True)
class GraphPlate:
    """A plate: ``rect = (x0, y0, width, height)`` in model units, and its label."""

    rect: tuple[float, float, float, float]
    label: str
    position: str = "bottom right"


@dataclass(frozen=True)
class ModelGraph:
    """A directed graphical model as data: nodes, edges (parent, child), plates, notes.

    ``notes`` are free text placed at model coordinates ``(x, y, text, ha)``; ``extent`` is
    the drawn region ``(x0, y0, x1, y1)`` in model units (it must contain every node).
    """

    title: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]
    plates: tuple[GraphPlate, ...] = ()
    notes: tuple[tuple[float, float, str, str], ...] = ()
    extent: tuple[float, float, float, float] = field(default=(0.0, 0.0, 1.0, 1.0))

    def __post_init__(self) -> None:
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            raise ValueError(f"nodes: duplicated node names in {names}")
        for parent, child in self.edges:
            for end in (parent, child):
                if end not in names:
                    raise ValueError(f"edges: ({parent!r}, {child!r}) names unknown node {end!r}")

    # -- queries a student (or a test) can ask of the model ------------------------------------
    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    def node(self, name: str) -> GraphNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise ValueError(f"name: no node {name!r} in {self.title!r}; nodes are {self.node_names}")

    def parents(self, name: str) -> tuple[str, ...]:
        """The parents of ``name``, in the order the edges were listed."""
        self.node(name)
        return tuple(p for p, c in self.edges if c == name)

    def of_kind(self, kind: Kind) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes if n.kind == kind)

    def topological_order(self) -> tuple[str, ...]:
        """Nodes ordered so every parent comes before its children (the order of ancestral
        sampling). Raises ``ValueError`` if the graph has a cycle."""
        remaining = list(self.node_names)
        done: list[str] = []
        while remaining:
            ready = [v for v in remaining if all(p in done for p in self.parents(v))]
            if not ready:
                raise ValueError(f"edges: the graph {self.title!r} has a cycle among {remaining}")
            done.extend(ready)
            remaining = [v for v in remaining if v not in ready]
        return tuple(done)


# ---------------------------------------------------------------------------------------------
# The models of the lecture, as data
# ---------------------------------------------------------------------------------------------


def _latent_variable_graph() -> ModelGraph:
    """Slide 4: hyperparameters -> latent structure -> observed output (the heights example)."""
    xr = 4.05  # column of the heights example, right of the graph
    nodes = (
        GraphNode("pi", r"$\pi$", 1.6, 2.0, "fixed"),
        GraphNode("theta_x", r"$\mu_0,\ \mu_1,\ \sigma^2$", 2.8, 2.0, "fixed"),
        GraphNode("z", r"$z$", 1.6, 1.0, "latent"),
        GraphNode("x", r"$x$", 2.8, 0.0, "observed"),
    )
    edges = (("pi", "z"), ("z", "x"), ("theta_x", "x"))
    notes = (
        (0.0, 2.0, "hyperparameters\n" r"$\theta$ (numbers)", "left"),
        (0.0, 1.0, "latent structure\n" r"$z \sim p(z \mid \theta)$", "left"),
        (0.0, 0.0, "observed output\n" r"$x \sim p(x \mid z, \theta)$", "left"),
        (xr, 2.0, "sex ratio, mean heights,\nspread", "left"),
        (xr, 1.0, "gender of a person\n(never seen)", "left"),
        (xr, 0.0, "their height\n(inches)", "left"),
    )
    return ModelGraph(
        "latent variable model (general form)",
        nodes,
        edges,
        (),
        notes,
        extent=(-0.1, -0.6, 6.2, 2.55),
    )


def _heights_graph() -> ModelGraph:
    """Slide 3: pi -> z_i -> x_i <- (mu_0, mu_1, sigma^2), plate over people i."""
    nodes = (
        GraphNode("pi", r"$\pi$", 0.0, 0.0, "fixed"),
        GraphNode("z", r"$z_i$", 1.1, 0.0, "latent"),
        GraphNode("x", r"$x_i$", 2.3, 0.0, "observed"),
        GraphNode("mu0", r"$\mu_0$", 3.4, 0.7, "fixed", *_RIGHT),
        GraphNode("mu1", r"$\mu_1$", 3.4, 0.0, "fixed", *_RIGHT),
        GraphNode("sigma2", r"$\sigma^2$", 3.4, -0.7, "fixed", *_RIGHT),
    )
    edges = (("pi", "z"), ("z", "x"), ("mu0", "x"), ("mu1", "x"), ("sigma2", "x"))
    plates = (GraphPlate((0.55, -0.75, 2.3, 1.4), r"person $i = 1, \dots, n$"),)
    notes = (
        (0.0, -1.05, r"$z_i \sim \mathrm{Bernoulli}(\pi)$", "left"),
        (2.0, -1.05, r"$x_i \mid z_i \sim \mathcal{N}(\mu_{z_i}, \sigma^2)$", "left"),
    )
    return ModelGraph(
        "heights and gender", nodes, edges, plates, notes, extent=(-0.35, -1.35, 4.3, 1.1)
    )


def _hierarchical_graph() -> ModelGraph:
    """Slide 5: eight schools (Rubin 1981): mu, tau -> theta_j -> y_j <- sigma_j, plate over j."""
    nodes = (
        GraphNode("mu", r"$\mu$", 0.6, 2.0, "latent"),
        GraphNode("tau", r"$\tau$", 1.8, 2.0, "latent"),
        GraphNode("theta", r"$\theta_j$", 1.2, 1.0, "latent"),
        GraphNode("y", r"$y_j$", 1.2, 0.0, "observed"),
        GraphNode("sigma", r"$\sigma_j$", 2.2, 0.0, "fixed"),
    )
    edges = (("mu", "theta"), ("tau", "theta"), ("theta", "y"), ("sigma", "y"))
    plates = (GraphPlate((0.5, -0.7, 2.1, 2.2), r"school $j = 1, \dots, 8$", "bottom right"),)
    xr = 2.95
    notes = (
        (xr, 2.0, "population: mean effect $\\mu$,\nspread between schools $\\tau$", "left"),
        (xr, 1.0, "true coaching effect\nin school $j$", "left"),
        (xr, 0.0, "measured effect $y_j$,\nknown std. error $\\sigma_j$", "left"),
    )
    return ModelGraph(
        "hierarchical model: eight schools",
        nodes,
        edges,
        plates,
        notes,
        extent=(0.0, -0.85, 5.3, 2.55),
    )


def _fish_graph(T: int) -> ModelGraph:
    """Slide 6: z_0 -> z_1 -> ... -> z_T, x_t <- z_t (t >= 1); mu -> z_0; sigma -> z_t; lam -> x_t."""
    dx = 1.15
    zs = tuple(GraphNode(f"z_{t}", f"$z_{{{t}}}$", dx * t, 1.0, "latent") for t in range(T + 1))
    xs = tuple(
        GraphNode(f"x_{t}", f"$x_{{{t}}}$", dx * t, 0.0, "observed") for t in range(1, T + 1)
    )
    mid = dx * (T + 1) / 2
    hyper = (
        GraphNode("mu", r"$\mu$", 0.0, 2.0, "fixed"),
        GraphNode("sigma", r"$\sigma$", mid, 2.0, "fixed"),
        GraphNode("lam", r"$\lambda$", mid, -1.0, "fixed", *_BELOW),
    )
    edges = (
        (("mu", "z_0"),)
        + tuple(("sigma", f"z_{t}") for t in range(T + 1))
        + tuple((f"z_{t - 1}", f"z_{t}") for t in range(1, T + 1))
        + tuple((f"z_{t}", f"x_{t}") for t in range(1, T + 1))
        + tuple(("lam", f"x_{t}") for t in range(1, T + 1))
    )
    notes = (
        (-0.45, 1.0, "fish\nin pond", "right"),
        (-0.45, 0.0, "fish\ncounted", "right"),
    )
    return ModelGraph(
        f"fish population HMM (T = {T})",
        hyper + zs + xs,
        edges,
        (),
        notes,
        extent=(-1.45, -1.5, dx * T + 0.5, 2.45),
    )


def _election_graph() -> ModelGraph:
    """Slide 8: a national polling error delta shared by every poll in every state."""
    nodes = (
        GraphNode("sigma_delta", r"$\sigma_\delta$", 1.7, 2.4, "fixed"),
        GraphNode("delta", r"$\delta$", 2.9, 2.4, "latent"),
        GraphNode("tau", r"$\tau$", 5.3, 1.0, "fixed"),
        GraphNode("mu", r"$\mu_s$", 1.9, 1.0, "latent"),
        GraphNode("b", r"$b_s$", 3.9, 1.0, "latent"),
        GraphNode("y", r"$y_{sk}$", 2.9, 0.0, "observed"),
    )
    edges = (("sigma_delta", "delta"), ("tau", "b"), ("delta", "y"), ("mu", "y"), ("b", "y"))
    plates = (
        GraphPlate((1.3, -0.85, 3.3, 2.4), r"state $s = 1, \dots, 51$"),
        GraphPlate((2.3, -0.6, 1.2, 1.0), r"poll $k$"),
    )
    notes = (
        (0.0, 2.4, "national polling\nerror (shared)", "left"),
        (0.0, 1.0, "true margin\nin state $s$", "left"),
        (0.0, 0.0, "published\npoll margins", "left"),
        (5.3, 0.55, "SD of the\nstate errors", "center"),
    )
    return ModelGraph(
        "election with a shared polling error",
        nodes,
        edges,
        plates,
        notes,
        extent=(-0.05, -0.95, 5.85, 2.85),
    )


def _fish_builder(T: int = 3) -> ModelGraph:
    if not is_int(T):
        raise TypeError(f"T must be an int (the number of observed time steps), got {T!r}")
    if not 1 <= T <= 8:
        raise ValueError(f"T must be between 1 and 8 to draw legibly, got {T}")
    return _fish_graph(int(T))


#: name -> builder of the model's :class:`ModelGraph`
MODELS = {
    "latent_variable": _latent_variable_graph,
    "heights": _heights_graph,
    "hierarchical": _hierarchical_graph,
    "fish_hmm": _fish_builder,
    "election": _election_graph,
}


def model_structure(name: str, **kwargs) -> ModelGraph:
    """The model ``name`` (one of :data:`MODELS`) as a :class:`ModelGraph`.

    ``kwargs`` go to the model's builder (only ``fish_hmm`` takes one: ``T``).

    Examples
    --------
    >>> model_structure("heights").parents("x")
    ('z', 'mu0', 'mu1', 'sigma2')
    """
    if name not in MODELS:
        raise ValueError(f"name must be one of {sorted(MODELS)}, got {name!r}")
    return MODELS[name](**kwargs)


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------


def draw(graph: ModelGraph, *, title: bool = False, dpi: float = 100) -> Figure:
    """Draw ``graph`` with daft and return the matplotlib Figure.

    The PGM is attached as ``figure.pgm`` and the model as ``figure.model_graph``.
    """
    if not isinstance(graph, ModelGraph):
        raise TypeError(f"graph must be a ModelGraph, got {type(graph).__name__}")
    x0, y0, x1, y1 = graph.extent
    top = y1 + (0.35 if title else 0.0)
    for n in graph.nodes:
        if not (x0 < n.x < x1 and y0 < n.y < top):
            raise ValueError(f"graph.extent {graph.extent} does not contain node {n.name!r}")
    pgm = daft.PGM(
        shape=(x1 - x0, top - y0), origin=(x0, y0), grid_unit=_GRID_UNIT, node_unit=1.0, dpi=dpi
    )
    for n in graph.nodes:
        pgm.add_node(
            n.name,
            n.label,
            n.x,
            n.y,
            observed=n.kind == "observed",
            fixed=n.kind == "fixed",
            fontsize=12 if n.kind != "fixed" else 11.5,
            offset=n.label_offset,
            label_params={"ha": n.label_ha},
        )
    for parent, child in graph.edges:
        pgm.add_edge(parent, child, plot_params={"head_width": 0.18, "head_length": 0.26})
    for p in graph.plates:
        pgm.add_plate(list(p.rect), label=p.label, position=p.position, fontsize=10)
    pgm.render(dpi=dpi)  # daft moves fixed-node labels on every render: render exactly once
    ax = pgm.ax
    for x, y, text, ha in graph.notes:
        ax.text(
            *_to_data(x, y, (x0, y0)),
            text,
            ha=ha,
            va="center",
            fontsize=9.5,
            color=_NOTE_COLOR,
            linespacing=1.25,
        )
    if title:
        ax.text(
            *_to_data((x0 + x1) / 2, top - 0.2, (x0, y0)),
            graph.title,
            ha="center",
            va="center",
            fontsize=12,
        )
    fig = pgm.figure
    fig.set_layout_engine("none")
    fig.pgm = pgm
    fig.model_graph = graph
    return describe(fig, graph_alt_text(graph))


_KIND_WORDS = {
    "observed": "observed (shaded)",
    "latent": "latent (open circle)",
    "fixed": "fixed parameter (dot)",
}


def plain_label(label: str) -> str:
    """A node label as plain text for alt text: ``r"$\\mu_0,\\ \\sigma^2$"`` -> ``μ_0, σ^2``."""
    greek = {
        "alpha": "α",
        "beta": "β",
        "gamma": "γ",
        "delta": "δ",
        "lambda": "λ",
        "mu": "μ",
        "pi": "π",
        "sigma": "σ",
        "tau": "τ",
        "theta": "θ",
        "dots": "…",
        "ldots": "…",
    }
    text = label.replace("$", "")
    text = re.sub(r"\\([A-Za-z]+)", lambda m: greek.get(m.group(1), m.group(1)), text)
    text = text.replace("\\ ", " ").replace("\\,", " ").replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def graph_alt_text(graph: ModelGraph) -> str:
    """What the drawing shows, in words: its title, each node and kind, each arrow, each plate."""
    names = {n.name: plain_label(n.label) for n in graph.nodes}
    parts = [f"Directed graphical model: {graph.title}."]
    for kind in ("observed", "latent", "fixed"):
        nodes = [names[n] for n in graph.of_kind(kind)]
        if nodes:
            parts.append(f"{_KIND_WORDS[kind].capitalize()}: {', '.join(nodes)}.")
    if graph.edges:
        parts.append(
            "Arrows: " + "; ".join(f"{names[a]} → {names[b]}" for a, b in graph.edges) + "."
        )
    for plate in graph.plates:
        parts.append(f"Plate (repeated): {plain_label(plate.label)}.")
    return " ".join(parts)


def _to_data(x: float, y: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Model units -> daft's axes coordinates (centimetres from the origin)."""
    return _GRID_UNIT * (x - origin[0]), _GRID_UNIT * (y - origin[1])


def latent_variable_model(*, title: bool = False) -> Figure:
    """Slide 4: hyperparameters :math:`\\theta` -> latent structure :math:`z` -> observed
    output :math:`x`, annotated with the heights example."""
    return draw(_latent_variable_graph(), title=title)


def heights_model(*, title: bool = False) -> Figure:
    """Slide 3: :math:`\\pi \\to z_i \\to x_i \\leftarrow (\\mu_0, \\mu_1, \\sigma^2)`,
    with a plate over the people :math:`i = 1, \\dots, n`."""
    return draw(_heights_graph(), title=title)


def hierarchical_model(*, title: bool = False) -> Figure:
    """Slide 5: a Bayesian hierarchical model, the eight-schools example (Rubin 1981):
    :math:`\\theta_j \\sim \\mathcal N(\\mu, \\tau^2)`, :math:`y_j \\sim \\mathcal N(\\theta_j,
    \\sigma_j^2)` with :math:`\\sigma_j` known."""
    return draw(_hierarchical_graph(), title=title)


def fish_hmm(T: int = 3, *, title: bool = False) -> Figure:
    """Slide 6: the fish-population HMM, drawn for ``T`` observed steps (1 <= T <= 8).

    :math:`z_0 \\sim \\mathcal N(\\mu, \\sigma^2)` is never observed;
    :math:`z_t \\sim \\mathcal N(z_{t-1}, \\sigma^2)` and
    :math:`x_t \\sim \\mathrm{Poisson}(\\lambda z_t)` for :math:`t = 1, \\dots, T`.
    """
    return draw(_fish_builder(T), title=title)


def election_model(*, title: bool = False) -> Figure:
    """Slide 8: every poll :math:`y_{sk}` of state :math:`s` measures the true margin
    :math:`\\mu_s` plus a state-level error :math:`b_s` plus one national polling error
    :math:`\\delta` shared by all states -- the latent variable that correlates them."""
    return draw(_election_graph(), title=title)

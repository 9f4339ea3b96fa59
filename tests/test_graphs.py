"""lecture_utils.graphs: each model has the nodes and edges of the lecture, and draws them."""

from __future__ import annotations

import matplotlib
import matplotlib.patches as mpatches
import pytest
from matplotlib.figure import Figure

from lecture_utils import graphs
from lecture_utils.plotting import use_style

DRAWERS = {
    "latent_variable": graphs.latent_variable_model,
    "heights": graphs.heights_model,
    "hierarchical": graphs.hierarchical_model,
    "fish_hmm": graphs.fish_hmm,
    "election": graphs.election_model,
}


def edges(name, **kw):
    return set(graphs.model_structure(name, **kw).edges)


def test_every_model_has_a_drawing_function():
    assert set(DRAWERS) == set(graphs.MODELS)


def test_latent_variable_model_is_three_layers():
    g = graphs.model_structure("latent_variable")
    assert g.of_kind("fixed") == ("pi", "theta_x")
    assert g.of_kind("latent") == ("z",)
    assert g.of_kind("observed") == ("x",)
    assert edges("latent_variable") == {("pi", "z"), ("z", "x"), ("theta_x", "x")}
    # hyperparameters -> latent structure -> observed output
    assert g.topological_order().index("z") < g.topological_order().index("x")


def test_heights_model_matches_slide_3():
    g = graphs.model_structure("heights")
    assert edges("heights") == {
        ("pi", "z"),
        ("z", "x"),
        ("mu0", "x"),
        ("mu1", "x"),
        ("sigma2", "x"),
    }
    assert g.parents("z") == ("pi",)
    assert set(g.parents("x")) == {"z", "mu0", "mu1", "sigma2"}
    assert g.of_kind("observed") == ("x",)
    assert set(g.of_kind("fixed")) == {"pi", "mu0", "mu1", "sigma2"}
    # the plate holds exactly z_i and x_i
    (plate,) = g.plates
    inside = {n.name for n in g.nodes if _in_rect(n, plate.rect)}
    assert inside == {"z", "x"}


def test_hierarchical_model_has_two_levels():
    g = graphs.model_structure("hierarchical")
    assert edges("hierarchical") == {
        ("mu", "theta"),
        ("tau", "theta"),
        ("theta", "y"),
        ("sigma", "y"),
    }
    assert set(g.of_kind("latent")) == {"mu", "tau", "theta"}
    assert g.of_kind("observed") == ("y",)
    (plate,) = g.plates
    assert {n.name for n in g.nodes if _in_rect(n, plate.rect)} == {"theta", "y", "sigma"}


@pytest.mark.parametrize("T", [1, 3, 6])
def test_fish_hmm_is_a_chain_with_emissions(T):
    g = graphs.model_structure("fish_hmm", T=T)
    chain = {(f"z_{t - 1}", f"z_{t}") for t in range(1, T + 1)}
    emissions = {(f"z_{t}", f"x_{t}") for t in range(1, T + 1)}
    assert chain | emissions <= edges("fish_hmm", T=T)
    assert "x_0" not in g.node_names  # z_0 is never observed
    assert g.of_kind("observed") == tuple(f"x_{t}" for t in range(1, T + 1))
    assert g.parents("z_0") == ("mu", "sigma")
    for t in range(1, T + 1):
        assert set(g.parents(f"z_{t}")) == {f"z_{t - 1}", "sigma"}
        assert set(g.parents(f"x_{t}")) == {f"z_{t}", "lam"}
    assert len(g.edges) == 1 + (T + 1) + T + 2 * T
    order = g.topological_order()
    assert [order.index(f"z_{t}") for t in range(T + 1)] == sorted(
        order.index(f"z_{t}") for t in range(T + 1)
    )


def test_election_model_shares_one_national_error():
    g = graphs.model_structure("election")
    assert set(g.parents("y")) == {"delta", "mu", "b"}
    assert g.parents("delta") == ("sigma_delta",)
    state_plate = max(g.plates, key=lambda p: p.rect[2] * p.rect[3])
    inside = {n.name for n in g.nodes if _in_rect(n, state_plate.rect)}
    assert "delta" not in inside  # shared: outside the plate over states
    assert {"mu", "b", "y"} <= inside
    assert g.of_kind("observed") == ("y",)


@pytest.mark.parametrize("name", sorted(DRAWERS))
def test_each_drawing_shows_its_nodes_and_edges(name):
    fig = DRAWERS[name]()
    g = fig.model_graph
    assert isinstance(fig, Figure)
    assert g == graphs.model_structure(name)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    for node in g.nodes:
        assert node.label in texts, f"{name}: label {node.label} not drawn"
    arrows = [p for p in ax.patches if isinstance(p, mpatches.FancyArrow)]
    assert len(arrows) == len(g.edges)
    ellipses = [p for p in ax.patches if isinstance(p, mpatches.Ellipse)]
    # daft draws observed nodes twice (shade + outline)
    assert len(ellipses) == len(g.nodes) + len(g.of_kind("observed"))
    shaded = [e for e in ellipses if e.get_facecolor()[:3] == pytest.approx((0.7, 0.7, 0.7))]
    assert len(shaded) == len(g.of_kind("observed"))


@pytest.mark.parametrize("styled", [False, True], ids=["default-style", "notebook-style"])
@pytest.mark.parametrize("name", sorted(DRAWERS))
def test_nothing_is_cut_off(name, styled):
    with matplotlib.rc_context():
        if styled:
            use_style()  # what the notebooks run first
        fig = DRAWERS[name]()
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    ax = fig.axes[0]
    for artist in list(ax.texts) + list(ax.patches):
        box = artist.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1, f"{name}: {artist} cut off at the left/bottom"
        assert box.x1 <= width + 1 and box.y1 <= height + 1, f"{name}: {artist} cut off"


@pytest.mark.parametrize("name", sorted(DRAWERS))
def test_node_labels_do_not_overlap_each_other(name):
    fig = DRAWERS[name]()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_text().strip()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), f"{name}: two labels overlap"


def test_fish_hmm_default_and_bad_T():
    assert len(graphs.model_structure("fish_hmm").of_kind("observed")) == 3
    fig = graphs.fish_hmm(T=2, title=True)
    assert "fish population HMM (T = 2)" in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="T must be between 1 and 8"):
        graphs.fish_hmm(0)
    with pytest.raises(TypeError, match="T must be an int"):
        graphs.fish_hmm(2.5)
    with pytest.raises(TypeError, match="T must be an int"):
        graphs.fish_hmm(True)


def test_bad_names_and_graphs_are_refused():
    with pytest.raises(ValueError, match="name must be one of"):
        graphs.model_structure("gaussian")
    with pytest.raises(ValueError, match="no node 'w'"):
        graphs.model_structure("heights").parents("w")
    node = graphs.GraphNode("a", "$a$", 0, 0)
    with pytest.raises(ValueError, match="unknown node 'b'"):
        graphs.ModelGraph("bad", (node,), (("a", "b"),))
    with pytest.raises(ValueError, match="duplicated node names"):
        graphs.ModelGraph("bad", (node, node), ())
    b = graphs.GraphNode("b", "$b$", 1, 0)
    with pytest.raises(ValueError, match="cycle"):
        graphs.ModelGraph("bad", (node, b), (("a", "b"), ("b", "a"))).topological_order()
    with pytest.raises(ValueError, match="does not contain node"):
        graphs.draw(graphs.ModelGraph("bad", (node, b), (("a", "b"),), extent=(0, -1, 0.5, 1)))
    with pytest.raises(TypeError, match="graph must be a ModelGraph"):
        graphs.draw("heights")


def _in_rect(node, rect):
    x0, y0, w, h = rect
    return x0 < node.x < x0 + w and y0 < node.y < y0 + h

"""Structure of the committed lecture notebooks (nbval, run by `make test`, checks their outputs).

Every lecture notebook: python3 kernelspec, executed top to bottom in one run, no error
outputs, `%matplotlib inline` and a SEED in the first code cell, a heading naming the slide(s)
it re-creates, previous/next navigation; goals right after the title and a core path (★
headings, `core` cell tags) whose minutes add up to about 45 in 00's table; nbval's
`nbval-ignore-output` cell tag, never a comment a student would see; and no EM before 06
defines it.
"""

from __future__ import annotations

import importlib.util
import re

import nbformat
import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location(
    "add_navigation", ROOT / "scripts" / "add_navigation.py"
)
add_navigation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(add_navigation)

LECTURE = add_navigation.lecture_notebooks(ROOT / "notebooks")
EXPECTED = [
    "00_start_here",
    "01_bayesian_inference_recap",
    "02_heights_and_gender",
    "03_graphical_models",
    "04_fish_hmm",
    "05_election_forecasting",
    "06_em_algorithm",
]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_lecture_notebooks_are_named_in_lecture_order():
    names = [p.stem for p in LECTURE]
    assert names == [n for n in EXPECTED if n in names], names
    assert names[0] == "00_start_here"
    unexpected = set(names) - set(EXPECTED)
    assert not unexpected, f"not in the notebook map (add_navigation.TITLES): {unexpected}"


@pytest.fixture(params=LECTURE, ids=lambda p: p.name)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_kernelspec_is_python3(notebook):
    path, nb = notebook
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name


def test_executed_top_to_bottom_without_errors(notebook):
    path, nb = notebook
    counts = [c.get("execution_count") for c in code_cells(nb)]
    assert None not in counts, f"{path.name}: some code cells were never executed"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not one clean top-to-bottom run "
        "(run `make execute`)"
    )
    for i, cell in enumerate(code_cells(nb), 1):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name}: code cell {i} has an error"
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                assert "Traceback" not in out.get("text", ""), f"{path.name}: cell {i} traceback"


def test_first_code_cell_sets_up_matplotlib_and_seed(notebook):
    path, nb = notebook
    first = code_cells(nb)[0].source
    assert "%matplotlib inline" in first, path.name
    assert re.search(r"^SEED\s*=\s*\d+", first, re.M), (
        f"{path.name}: no `SEED = <int>` in first cell"
    )


def test_headings_name_the_slides(notebook):
    path, nb = notebook
    if path.stem == "00_start_here":
        return
    headings = "\n".join(
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("#")
    )
    assert re.search(r"[Ss]lides? \d+", headings), f"{path.name}: no heading names a slide"


def test_no_nbval_comment_markers_remain(notebook):
    # Outputs that cannot repeat carry the cell tag `nbval-ignore-output` (students see no test
    # plumbing); nbval's comment markers are not used at all.
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        assert not re.search(r"NBVAL_[A-Z_]+", cell.source), (
            f"{path.name}: code cell {i} has an nbval comment marker; use the cell tag "
            "`nbval-ignore-output` instead"
        )


def test_ignored_outputs_are_tagged_cells_with_outputs(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            assert cell.get("outputs"), f"{path.name}: cell {i} ignores outputs it does not have"


HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
GOALS = "**After this notebook you can**"


def expected_core(nb):
    """The cells of the core path: from a ★ heading to the next "Optional — …" heading or unmarked
    level-2 heading (sub-headings inherit), plus the title and goals; never the navigation."""
    core, flags = False, []
    for cell in nb.cells:
        if cell.source.startswith("<!--NAVIGATION-->"):
            flags.append(False)
            continue
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = HEADING.match(line)
                if m:
                    level, text = len(m.group(1)), m.group(2)
                    if level == 1 or text.startswith("★"):
                        core = True
                    elif text.startswith("Optional —") or level == 2:
                        core = False
                    break
            if cell.source.startswith(GOALS):
                core = True
        flags.append(core)
    return flags


def test_opens_with_goals_right_after_the_title(notebook):
    path, nb = notebook
    title, goals = nb.cells[1], nb.cells[2]
    assert title.cell_type == "markdown" and title.source.startswith("# "), f"{path.name}: no title"
    assert goals.cell_type == "markdown" and goals.source.startswith(GOALS), (
        f"{path.name}: the cell after the title must open with {GOALS!r}"
    )
    bullets = [line for line in goals.source.splitlines() if re.match(r"^[-*] ", line)]
    assert 3 <= len(bullets) <= 5, f"{path.name}: {len(bullets)} goals, expected 3-5"
    assert re.search(r"sections marked ★, about \d+ minutes", goals.source), (
        f"{path.name}: the goals must say the core path (sections marked ★, about N minutes)"
    )
    assert "Optional — …" in goals.source, (
        f"{path.name}: the goals must name the Optional deep dives"
    )


def test_core_path_is_marked_by_headings_and_tags(notebook):
    path, nb = notebook
    headings = [
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if HEADING.match(line)
    ]
    assert any(HEADING.match(h).group(2).startswith("★ ") for h in headings), (
        f"{path.name}: no ★ heading"
    )
    tagged = ["core" in c.metadata.get("tags", []) for c in nb.cells]
    wrong = [i for i, (want, have) in enumerate(zip(expected_core(nb), tagged)) if want != have]
    assert not wrong, (
        f"{path.name}: cells {wrong} have the `core` tag where the ★ / Optional headings say "
        "otherwise (tag every cell of a ★ section, and no other)"
    )
    assert any(t and c.cell_type == "code" for t, c in zip(tagged, nb.cells)), (
        f"{path.name}: the core path has no code"
    )


def minutes(nb):
    return int(re.search(r"sections marked ★, about (\d+) minutes", nb.cells[2].source).group(1))


def test_core_path_minutes_add_up_to_about_45_in_the_table_of_00():
    table = nbformat.read(LECTURE[0], as_version=4)
    text = next(c.source for c in table.cells if "★ The core path" in c.source)
    rows = dict(re.findall(r"^\| \[?(\d\d) · [^|]*\|[^|]*\| (\d+) \|$", text, re.M))
    assert sorted(rows) == [p.stem[:2] for p in LECTURE], rows
    for path in LECTURE:
        stated = minutes(nbformat.read(path, as_version=4))
        assert int(rows[path.stem[:2]]) == stated, (
            f"{path.name} says about {stated} minutes, 00's table {rows[path.stem[:2]]}"
        )
    total = sum(int(v) for v in rows.values())
    assert 40 <= total <= 50, f"the core path takes {total} minutes, the lecture about 45"
    assert f"**{total}**" in text, "00's table must give the total it adds up to"


EM_CALL = re.compile(r"\b(run_em|fit_fish_em)\b")


def test_nothing_runs_em_before_06_defines_it():
    for path in LECTURE:
        if path.stem >= "06":
            continue
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(code_cells(nb), 1):
            assert not EM_CALL.search(cell.source), (
                f"{path.name}: code cell {i} uses {EM_CALL.search(cell.source).group(1)} before "
                "notebook 06 defines EM"
            )


def test_every_notebook_of_the_map_exists():
    missing = [p.name for p in add_navigation.notebook_map(ROOT / "notebooks") if not p.is_file()]
    assert not missing, f"notebooks of the map (add_navigation.TITLES) not yet written: {missing}"


def test_navigation_links_are_present_and_correct():
    paths = add_navigation.notebook_map(ROOT / "notebooks")
    assert [p.stem for p in paths] == EXPECTED
    for i, path in enumerate(paths):
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        expected = add_navigation.nav_markdown(paths, i)
        assert nb.cells[0].source == expected, f"{path.name}: top navigation (run `make nav`)"
        assert nb.cells[-1].source == expected, f"{path.name}: bottom navigation (run `make nav`)"
        assert ("→" in expected) == (i + 1 < len(paths))
        assert ("←" in expected) == (i > 0)


def test_navigation_script_is_idempotent(tmp_path):
    src = ROOT / "notebooks" / "00_start_here.ipynb"
    nb = nbformat.read(src, as_version=4)
    once = add_navigation.with_navigation(nb, "<!--NAVIGATION-->\nx")
    twice = add_navigation.with_navigation(once, "<!--NAVIGATION-->\nx")
    assert [c.source for c in once.cells] == [c.source for c in twice.cells]
    assert sum(bool(c.metadata.get("nav")) for c in twice.cells) == 2

"""Structure of the committed lecture notebooks (nbval, run by `make test`, checks their outputs).

Every lecture notebook: python3 kernelspec, executed top to bottom in one run, no error
outputs, `%matplotlib inline` and a SEED in the first code cell, a heading naming the slide(s)
it re-creates, previous/next navigation, and `# NBVAL_IGNORE_OUTPUT` only with a reason.
"""

from __future__ import annotations

import importlib.util
import re

import nbformat
import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("add_navigation", ROOT / "scripts" / "add_navigation.py")
add_navigation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(add_navigation)

LECTURE = add_navigation.lecture_notebooks(ROOT / "notebooks")
EXPECTED = [
    "00_start_here", "01_bayesian_inference_recap", "02_heights_and_gender", "03_graphical_models",
    "04_fish_hmm", "05_election_forecasting", "06_em_algorithm",
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
    assert re.search(r"^SEED\s*=\s*\d+", first, re.M), f"{path.name}: no `SEED = <int>` in first cell"


def test_headings_name_the_slides(notebook):
    path, nb = notebook
    if path.stem == "00_start_here":
        return
    headings = "\n".join(
        line for c in nb.cells if c.cell_type == "markdown"
        for line in c.source.splitlines() if line.startswith("#")
    )
    assert re.search(r"[Ss]lides? \d+", headings), f"{path.name}: no heading names a slide"


def test_nbval_ignore_output_comes_with_a_reason(notebook):
    # nbval only honours the marker when the comment is exactly `# NBVAL_IGNORE_OUTPUT`
    # (a reason on the same line silently disables it), so the reason goes on the line above.
    path, nb = notebook
    for cell in code_cells(nb):
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if "NBVAL_IGNORE_OUTPUT" not in line:
                continue
            assert line.strip() == "# NBVAL_IGNORE_OUTPUT", (
                f"{path.name}: nbval ignores {line.strip()!r}; write the marker alone on its line"
            )
            above = lines[i - 1].strip() if i else ""
            assert above.startswith("#") and len(above) >= 12, (
                f"{path.name}: `# NBVAL_IGNORE_OUTPUT` needs a comment line above saying why"
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

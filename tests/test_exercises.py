"""The graded exercises (Otter-Grader): masters, generated student notebooks, autograder zips.

Each master in ``notebooks/exercises/`` is assigned once per test session into a temporary
directory (``otter assign``, as ``make exercises`` does), then graded locally without Docker
with ``otter run`` three times:

- the solutions notebook must score full marks;
- the untouched student notebook must run top to bottom without any error (``--debug`` makes
  Otter stop at the first failing cell) and score 0;
- a notebook with typical wrong answers (returning None, an array of the wrong shape, a string
  instead of a number, an exception raised inside the student's function, a cell that fails)
  must be graded without a crash, score less than full marks and explain every failure with an
  ``AssertionError`` message written for students (never an error from inside our test code).

Static checks: the masters' structure, that student notebooks hold no solution and no hidden
test, and that the committed student notebooks are what the masters build today.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import itertools
import json
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest
import yaml
from conftest import ROOT

spec = importlib.util.spec_from_file_location(
    "build_exercises", ROOT / "scripts" / "build_exercises.py"
)
build_exercises = importlib.util.module_from_spec(spec)
sys.modules["build_exercises"] = build_exercises
spec.loader.exec_module(build_exercises)

MASTERS = build_exercises.masters()
NAMES = [p.stem for p in MASTERS]
LECTURE_PARTS = [
    "01_bayesian_inference_recap",
    "02_heights_and_gender",
    "03_graphical_models",
    "04_fish_hmm",
    "05_election_forecasting",
    "06_em_algorithm",
]


# ---------------------------------------------------------------------------------------------
# Reading a master


def raw_config(cell, marker: str) -> dict | None:
    """The YAML of a raw Otter cell that starts with ``# <marker>``, else None."""
    if cell.cell_type != "raw":
        return None
    lines = cell.source.strip().splitlines()
    if not lines or lines[0].strip() != f"# {marker}":
        return None
    return yaml.safe_load("\n".join(lines[1:])) or {}


def questions(nb) -> list[dict]:
    """Every question of a master: its config, the cells of its solution and of its tests."""
    found, current, block = [], None, None
    for cell in nb.cells:
        config = raw_config(cell, "BEGIN QUESTION")
        if config is not None:
            current = {"config": config, "solution": [], "tests": []}
            found.append(current)
            continue
        if cell.cell_type == "raw":
            text = cell.source.strip()
            if text in ("# BEGIN SOLUTION", "# BEGIN TESTS"):
                block = text.split()[-1].lower()
            elif text in ("# END SOLUTION", "# END TESTS"):
                block = None
            elif text == "# END QUESTION":
                current = None
            continue
        if current is not None and block == "solution":
            current["solution"].append(cell)
        elif current is not None and block == "tests":
            current["tests"].append(cell)
    return found


def otter_test_config(cell) -> dict:
    match = re.match(r'"""\s*# BEGIN TEST CONFIG\n(.*?)"""\s*# END TEST CONFIG', cell.source, re.S)
    assert match, f"test cell without a TEST CONFIG block:\n{cell.source[:200]}"
    return yaml.safe_load(match.group(1))


def solution_lines(nb) -> list[str]:
    """Lines of solution code and text in a master (what must never reach a student)."""
    lines = []
    for question in questions(nb):
        for cell in question["solution"]:
            if cell.cell_type == "markdown":
                lines += [ln.strip() for ln in cell.source.splitlines()]
                continue
            inside = False
            for line in cell.source.splitlines():
                stripped = line.strip()
                if stripped.startswith("# BEGIN SOLUTION"):
                    inside = True
                elif stripped == "# END SOLUTION":
                    inside = False
                elif inside:
                    lines.append(stripped)
                elif stripped.endswith("# SOLUTION"):
                    lines.append(stripped.split("=", 1)[-1].rsplit("#", 1)[0].strip())
    return [ln for ln in lines if len(ln) >= 12 and not ln.startswith(("#", "return", '"""'))]


def hidden_test_names(nb) -> list[str]:
    names = []
    for question in questions(nb):
        for cell in question["tests"]:
            if otter_test_config(cell).get("hidden"):
                names.append(re.search(r"^def (\w+)\(", cell.source, re.M).group(1))
    return names


def read_master(name: str):
    return nbformat.read(build_exercises.EXERCISES / f"{name}.ipynb", as_version=4)


# ---------------------------------------------------------------------------------------------
# Building and grading, once per session


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("exercises-build")


_BUILT: dict[str, build_exercises.Built] = {}
_GRADED: dict[str, dict[str, dict]] = {}


@pytest.fixture
def built(build_dir):
    def get(name: str) -> build_exercises.Built:
        if name not in _BUILT:
            master = build_exercises.EXERCISES / f"{name}.ipynb"
            _BUILT[name] = build_exercises.assign(master, build_dir, run_tests=False)
        return _BUILT[name]

    return get


WRONG_IN_FUNCTION = [
    "return None",
    "return np.zeros((7, 3))",
    "return 'not a number'",
    "raise RuntimeError('a bug in the student code')",
]
WRONG_VALUE = ["None", "'0.5'", "[[1.0, 2.0], [3.0, 4.0]]", "float('nan')"]
WRONG_TOP_LEVEL = ["raise RuntimeError('a cell that fails')", "pass"]


def with_wrong_answers(nb, offset: int = 0):
    """The solutions notebook with the answers of every other question replaced by wrong ones.

    Answers are the ``# BEGIN SOLUTION`` blocks and the ``# SOLUTION`` lines of questions q1, q3,
    q5...: inside a function a block becomes one of :data:`WRONG_IN_FUNCTION`; at top level it
    raises or does nothing; an ``x = ...  # SOLUTION`` line gets a value of the wrong type. The
    other questions keep their solutions, so the notebook earns partial credit. ``offset``
    rotates the kinds of mistakes, so that across the six notebooks every kind is made.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    function_wrong, value_wrong, top_wrong = (
        itertools.islice(itertools.cycle(w), offset, None)
        for w in (WRONG_IN_FUNCTION, WRONG_VALUE, WRONG_TOP_LEVEL)
    )
    question = 0
    for cell in nb.cells:
        # A question ends with its check cell (generated notebooks) or its END QUESTION (masters).
        if cell.source.strip() == "# END QUESTION" or cell.source.startswith('grader.check("'):
            question += 1
            continue
        if cell.cell_type != "code" or "SOLUTION" not in cell.source or question % 2:
            continue
        out, skipping, in_function = [], False, False
        for line in cell.source.splitlines():
            stripped = line.strip()
            indent = line[: len(line) - len(line.lstrip())]
            if stripped and not indent:
                in_function = stripped.startswith(("def ", "@"))
            if stripped.startswith("# BEGIN SOLUTION"):
                skipping = True
                out.append(indent + next(function_wrong if in_function else top_wrong))
                continue
            if stripped == "# END SOLUTION":
                skipping = False
                continue
            if skipping:
                continue
            if stripped.endswith("# SOLUTION"):
                if in_function:
                    line = indent + "return None"
                else:
                    line = line.split("=", 1)[0].rstrip() + " = " + next(value_wrong)
            out.append(line)
        cell.source = "\n".join(out)
    return nb


def otter_run(notebook, autograder_zip, out_dir, debug=False) -> dict:
    out_dir.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "otter",
        "run",
        "--no-logo",
        "-a",
        str(autograder_zip),
        "-o",
        str(out_dir),
        str(notebook),
    ]
    if debug:
        command.insert(4, "--debug")
    done = subprocess.run(command, capture_output=True, text=True, cwd=out_dir)
    results_path = out_dir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else None
    return {
        "returncode": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "results": results,
    }


@pytest.fixture
def graded(built, build_dir):
    """``otter run`` on the solutions, the blank and the wrong-answer notebook (in parallel)."""

    def get(name: str) -> dict[str, dict]:
        if name not in _GRADED:
            b = built(name)
            work = build_dir / f"graded-{name}"
            work.mkdir()
            wrong = work / "wrong" / b.student.name
            wrong.parent.mkdir()
            nbformat.write(
                with_wrong_answers(nbformat.read(b.solutions, as_version=4), NAMES.index(name)),
                wrong,
            )
            jobs = {
                "solutions": (b.solutions, work / "run-solutions", False),
                "blank": (b.student, work / "run-blank", True),
                "wrong": (wrong, work / "run-wrong", False),
            }
            with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
                futures = {
                    kind: pool.submit(otter_run, nb, b.autograder_zip, out, debug)
                    for kind, (nb, out, debug) in jobs.items()
                }
                _GRADED[name] = {kind: f.result() for kind, f in futures.items()}
        return _GRADED[name]

    return get


def score(run: dict) -> tuple[float, float]:
    assert run["returncode"] == 0 and run["results"] is not None, (
        f"otter run failed (exit {run['returncode']}):\n{run['stdout'][-3000:]}\n{run['stderr'][-3000:]}"
    )
    tests = [t for t in run["results"]["tests"] if t.get("max_score") is not None]
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


# ---------------------------------------------------------------------------------------------
# The masters


def test_one_master_per_lecture_part():
    assert NAMES == LECTURE_PARTS


@pytest.mark.parametrize("name", NAMES)
def test_master_is_otter_assign_v1_with_enough_questions(name):
    nb = read_master(name)
    config = raw_config(nb.cells[0], "ASSIGNMENT CONFIG")
    assert config is not None, f"{name}: the first cell must be a raw `# ASSIGNMENT CONFIG` cell"
    assert config["name"] == name
    assert config["tests"] == {"files": False, "ok_format": False}
    assert config["generate"]["pdf"] is False and config["export_cell"]["pdf"] is False
    code = "\n".join(
        c.source for c in nb.cells if c.cell_type == "code" and "BEGIN TEST CONFIG" not in c.source
    )
    if "rng" in code or "SEED" in code:
        assert config.get("seed", {}).get("variable") == "SEED", (
            f"{name} draws random numbers: seed it"
        )
        assert re.search(r"^SEED = \d+", code, re.M)

    qs = questions(nb)
    names = [q["config"]["name"] for q in qs]
    assert len(names) == len(set(names)), f"{name}: duplicate question names {names}"
    auto = [q for q in qs if not q["config"].get("manual")]
    manual = [q for q in qs if q["config"].get("manual")]
    assert len(auto) >= 3, f"{name}: only {len(auto)} auto-graded questions"
    assert manual, f"{name}: no written (manual) question"
    for q in auto:
        configs = [otter_test_config(c) for c in q["tests"]]
        public = [c for c in configs if not c.get("hidden")]
        hidden = [c for c in configs if c.get("hidden")]
        assert public and hidden, f"{name} {q['config']['name']}: needs public and hidden tests"
        assert q["config"]["points"] == sum(c["points"] for c in configs) > 0
    for q in manual:
        assert q["config"]["points"] > 0
        assert any(c.cell_type == "markdown" for c in q["solution"]), (
            "a written question needs a model answer"
        )


@pytest.mark.parametrize("name", NAMES)
def test_answer_variables_are_unique_across_the_notebook(name):
    # Otter runs the tests after the whole notebook: a name reused by a later question would
    # silently replace an earlier answer.
    nb = read_master(name)
    owners: dict[str, str] = {}
    for q in questions(nb):
        for cell in q["solution"]:
            if cell.cell_type != "code":
                continue
            for match in re.finditer(r"^(?:def (\w+)\(|(\w+) = )", cell.source, re.M):
                var = match.group(1) or match.group(2)
                assert owners.setdefault(var, q["config"]["name"]) == q["config"]["name"], (
                    f"{name}: `{var}` is defined in {owners[var]} and again in {q['config']['name']}"
                )


@pytest.mark.parametrize("name", NAMES)
def test_exercises_import_only_the_data_loaders_of_lecture_utils(name):
    # The exercises are self-contained: students implement the lecture's computations.
    for cell in read_master(name).cells:
        if cell.cell_type == "code":
            for module in re.findall(
                r"^\s*(?:from|import) (lecture_utils[\w.]*)", cell.source, re.M
            ):
                assert module in ("lecture_utils.data",), f"{name} imports {module}"


# ---------------------------------------------------------------------------------------------
# The build


def test_grading_requirements_are_the_repository_pins():
    lines = build_exercises.grading_requirements().splitlines()
    assert {line.split("==")[0] for line in lines} == set(build_exercises.GRADING_PACKAGES)
    pinned = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
    ]
    for line in lines:  # each line is a line of requirements.txt, its environment marker included
        assert line in pinned, line


@pytest.mark.parametrize("name", NAMES)
def test_autograder_zip_is_self_contained(name, built):
    with zipfile.ZipFile(built(name).autograder_zip) as zf:
        names = set(zf.namelist())
        assert {
            "files/lecture_utils/data.py",
            "files/data/heights.csv",
            "files/data/polls_us_election_2016.csv",
            "environment.yml",
        } <= names
        environment = yaml.safe_load(zf.read("environment.yml"))
        pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
        assert set(build_exercises.grading_requirements().splitlines()) <= set(pip), pip
        tests = {n for n in names if n.startswith("tests/")}
        config = json.loads(zf.read("otter_config.json"))
    master_questions = [q for q in questions(read_master(name)) if not q["config"].get("manual")]
    assert tests == {f"tests/{q['config']['name']}.py" for q in master_questions}
    assert config.get("pdf", False) is False


@pytest.mark.parametrize("name", NAMES)
def test_committed_student_notebook_is_up_to_date(name, built):
    committed_path = build_exercises.STUDENT / name / f"{name}.ipynb"
    assert committed_path.is_file(), f"{committed_path} missing: run `make exercises`"
    committed = nbformat.read(committed_path, as_version=4)
    fresh = nbformat.read(built(name).student, as_version=4)

    def essence(nb):
        return (
            [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells],
            nb.metadata.get("otter"),
        )

    assert essence(committed) == essence(fresh), (
        f"{committed_path.relative_to(ROOT)} is out of date with its master: run `make exercises`"
    )
    assert [c.get("id") for c in committed.cells] == [c.get("id") for c in fresh.cells], (
        "cell ids are not the stable ones of build_exercises.stable_ids"
    )


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_holds_no_solution_and_no_hidden_test(name):
    master = read_master(name)
    student_path = build_exercises.STUDENT / name / f"{name}.ipynb"
    text = student_path.read_text(encoding="utf-8")
    student = nbformat.reads(text, as_version=4)
    sources = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    leaked = [ln for ln in solution_lines(master) if ln in sources]
    assert not leaked, f"{name}: solution lines in the student notebook: {leaked[:3]}"
    hidden = hidden_test_names(master)
    assert hidden
    assert not [h for h in hidden if h in text], f"{name}: hidden tests in the student notebook"
    public = student.metadata["otter"]["tests"]
    assert set(public) == {
        q["config"]["name"] for q in questions(master) if not q["config"].get("manual")
    }
    assert all("hidden=True" not in src for src in public.values())
    assert "# BEGIN" not in text and "# SOLUTION" not in text, "an Otter marker survived"
    for cell in student.cells:
        if cell.cell_type == "code":
            compile(cell.source, f"{name} cell", "exec")  # valid Python, `...` stubs included
            assert not cell.get("outputs"), "student notebooks ship without outputs"


# ---------------------------------------------------------------------------------------------
# Grading with `otter run` (no Docker)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_solutions_score_full_marks(name, graded):
    got, possible = score(graded(name)["solutions"])
    assert possible > 0
    assert got == possible, f"{name}: solutions scored {got}/{possible}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_blank_student_notebook_runs_without_error_and_scores_zero(name, graded):
    run = graded(name)["blank"]
    assert "SyntaxError" not in run["stdout"] + run["stderr"]
    got, possible = score(run)  # --debug: any error in any cell would have failed the run
    assert possible > 0
    assert got == 0, f"{name}: the untouched student notebook scored {got}/{possible}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_wrong_answers_get_feedback_and_partial_credit_never_a_crash(name, graded):
    run = graded(name)["wrong"]
    got, possible = score(run)
    assert 0 < got < possible, f"{name}: half-wrong notebook scored {got}/{possible}"
    outputs = "\n".join(t.get("output", "") for t in run["results"]["tests"])
    failures = re.findall(
        r"Error at line \d+ in test (\w+):\n(?:.*\n)*?\s*(\w+(?:Error|Exception)): (.*)", outputs
    )
    assert failures, f"{name}: no failure feedback in the results"
    crashes = [f for f in failures if f[1] != "AssertionError"]
    assert not crashes, f"{name}: a test crashed instead of explaining the mistake: {crashes[:3]}"
    assert all(len(message) > 15 for _, _, message in failures)


def test_wrong_answer_generator_covers_every_kind_of_mistake():
    kinds = set()
    for name in NAMES:
        wrong = with_wrong_answers(read_master(name), NAMES.index(name))
        text = "\n".join(c.source for c in wrong.cells if c.cell_type == "code")
        kinds |= {w for w in WRONG_IN_FUNCTION + WRONG_TOP_LEVEL if w in text}
        kinds |= {w for w in WRONG_VALUE if f" = {w}" in text}
    assert set(WRONG_IN_FUNCTION) <= kinds, set(WRONG_IN_FUNCTION) - kinds
    assert {"None", "'0.5'"} <= kinds


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_links_to_its_lecture_notebook(name):
    path = build_exercises.STUDENT / name / f"{name}.ipynb"
    text = "\n".join(
        c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
    )
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", text)
    assert links, f"{name}: the student notebook should link to its lecture notebook"
    assert all(
        (path.parent / link).resolve() == ROOT / "notebooks" / f"{name}.ipynb" for link in links
    ), links


@pytest.mark.parametrize("name", NAMES)
def test_master_notebook_links_to_its_lecture_notebook(name):
    """The master's links are relative to the master; the build re-bases them for the student."""
    path = build_exercises.EXERCISES / f"{name}.ipynb"
    text = "\n".join(c.source for c in read_master(name).cells if c.cell_type == "markdown")
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", text)
    assert links and all(
        (path.parent / link).resolve() == ROOT / "notebooks" / f"{name}.ipynb" for link in links
    ), links


def test_relink_rebases_only_relative_links():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "[a](../01_x.ipynb) [b](https://x.org/y) [c](#top) "
                "[d](/abs) [e](mailto:a@b.c) [f](data/x.csv)"
            ),
            nbformat.v4.new_code_cell("s = '](../keep.ipynb)'"),
        ]
    )
    out = build_exercises.relink(nb, "../../")
    assert out.cells[0].source == (
        "[a](../../../01_x.ipynb) [b](https://x.org/y) [c](#top) "
        "[d](/abs) [e](mailto:a@b.c) [f](../../data/x.csv)"
    )
    assert out.cells[1].source == "s = '](../keep.ipynb)'"


# ---------------------------------------------------------------------------------------------
# The test helpers every test cell shares (call, missing, number, array, pair)


def _helpers(cell_source: str) -> str:
    match = re.search(r"\n(    def call\(.*?\n)    (?!def |    |\n)", cell_source, re.S)
    assert match, "a test cell without the shared helpers"
    return match.group(1)


def _all_test_cells():
    return [
        (name, cell) for name in NAMES for q in questions(read_master(name)) for cell in q["tests"]
    ]


def test_every_test_cell_uses_the_same_hardened_helpers():
    helpers = {_helpers(cell.source) for _, cell in _all_test_cells()}
    assert len(helpers) == 1, "the test cells' helpers differ: keep one copy, the same everywhere"
    (text,) = helpers
    assert "except BaseException as err" in text and "except Exception" not in text
    assert "or did its cell raise an error?" in text


def _helper_namespace():
    import numpy as np

    namespace = {"np": np}
    exec(
        "def _make():\n"
        + _helpers(_all_test_cells()[0][1].source)
        + "    return call, missing, number, array, pair\n",
        namespace,
    )
    return namespace["_make"]()


def test_helpers_turn_base_exceptions_of_student_code_into_failures():
    call, *_ = _helper_namespace()

    def leaves():
        raise SystemExit(0)

    def interrupted():
        raise KeyboardInterrupt

    for f in (leaves, interrupted):
        with pytest.raises(AssertionError, match="raised (SystemExit|KeyboardInterrupt)"):
            call(f, f.__name__)
    with pytest.raises(AssertionError, match="or did its cell raise an error"):
        call(None, "undefined_function")


def test_helpers_refuse_lecture_utils_beyond_data_and_accept_any_sequence():
    call, missing, number, array, pair = _helper_namespace()
    namespace = {"__name__": "__main__"}
    exec(
        "import lecture_utils.mixture as mixture\nfrom lecture_utils.data import load_heights\n"
        "def borrowed(x):\n    return mixture.e_step(x)\n"
        "def helper(x):\n    return borrowed(x)\n"
        "def own(x):\n    return len(load_heights()) + x\n",
        namespace,
    )
    with pytest.raises(AssertionError, match=r"uses \['mixture'\] from lecture_utils"):
        call(namespace["borrowed"], "borrowed(x)", 1)
    with pytest.raises(AssertionError, match="from lecture_utils"):
        call(namespace["helper"], "helper(x)", 1)  # through a helper of the notebook
    assert call(namespace["own"], "own(x)", 0) == 1050  # lecture_utils.data is allowed
    import numpy as np

    for seq in ((1.0, 2.0), [1.0, 2.0], np.array([1.0, 2.0])):
        assert [float(v) for v in pair(seq, "x")] == [1.0, 2.0]
    with pytest.raises(AssertionError, match="sequence of 2"):
        pair("ab", "x")


@pytest.mark.parametrize("name", NAMES)
def test_export_cell_writes_one_zip_per_notebook_without_a_second_kernel(name):
    student = nbformat.read(build_exercises.STUDENT / name / f"{name}.ipynb", as_version=4)
    exports = [
        c.source for c in student.cells if c.cell_type == "code" and "grader.export(" in c.source
    ]
    assert exports == [build_exercises.export_cell_source(name)]
    # run_tests=True would start a kernel whose start-up warning lands in the notebook
    assert "run_tests=False" in exports[0] and f'export_path="{name}.zip"' in exports[0]
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "notebooks/exercises/student/*/*.zip" in ignored and ".OTTER_LOG" in ignored


def test_statistical_checks_fail_a_correct_sampler_less_than_once_in_a_thousand():
    """The sampling checks of 02 q1, 04 q1 and 05 q5–q6, replayed over 100 000 seeds with the exact
    distributions of the statistics they test (binomial counts, normal means, and sample SDs
    through sigma * sqrt(chi2(n - 1) / n)): a correct sampler fails fewer than 0.1 % of them."""
    import numpy as np

    rng = np.random.default_rng(13)
    m = 100_000

    def sample_sd(sigma, n):
        return sigma * np.sqrt(rng.chisquare(np.maximum(n - 1, 1)) / n)

    failures = {}
    # 02 q1, public: 20000 draws, pi = 0.5, sigma = 3, each group's SD within 0.15 of 3
    n1 = rng.binomial(20_000, 0.5, m)
    bad = (np.abs(sample_sd(3.0, 20_000 - n1) - 3) >= 0.15) | (
        np.abs(sample_sd(3.0, n1) - 3) >= 0.15
    )
    failures["02 q1 public spread"] = bad.mean()
    # 02 q1, hidden: 200000 draws, pi = 0.3, mu = (60, 70), sigma = 2
    n1 = rng.binomial(200_000, 0.3, m)
    n0 = 200_000 - n1
    bad = np.abs(n1 / 200_000 - 0.3) >= 0.01
    for n in (n0, n1):
        bad |= np.abs(rng.normal(0, 2 / np.sqrt(n))) >= 0.05
        bad |= np.abs(sample_sd(2.0, n) - 2) >= 0.05
    failures["02 q1 hidden distribution"] = bad.mean()
    # 02 q1, hidden: q1_sample, 1000 draws with pi = 0.5, mu1 = 69.5, sigma = 3
    n1 = rng.binomial(1000, 0.5, m)
    bad = ~((0.4 < n1 / 1000) & (n1 / 1000 < 0.6)) | (np.abs(rng.normal(0, 3 / np.sqrt(n1))) >= 0.6)
    failures["02 q1 hidden q1_sample"] = bad.mean()
    # 04 q1, hidden: SD of z_1 over 2000 runs with sigma = 3, within 0.35 of 3 sqrt(2)
    bad = np.abs(sample_sd(3 * np.sqrt(2), 2000) - 3 * np.sqrt(2)) >= 0.35
    failures["04 q1 hidden start spread"] = bad.mean()
    # 05 q5, hidden: two sample correlations of 100 000 simulated elections, each within 0.015 of
    # the formula (Fisher: atanh(r) ~ N(atanh(rho), 1 / (n - 3)))
    bad = np.zeros(m, dtype=bool)
    for rho in (6.25 / 15.25, 4.0 / 15.25):
        r = np.tanh(rng.normal(np.arctanh(rho), 1 / np.sqrt(100_000 - 3), m))
        bad |= np.abs(r - rho) >= 0.015
    failures["05 q5 hidden simulated correlations"] = bad.mean()
    # 05 q6, hidden: P(Clinton >= 270) from 20 000 simulations at each of 7 values of sigma_delta,
    # within 0.02 of constants from 400 000 simulations (whose own error counts too)
    bad = np.zeros(m, dtype=bool)
    for p in (1.0, 0.99911, 0.9501, 0.7978, 0.66235, 0.58324, 0.52708):
        reference = rng.binomial(400_000, p, m) / 400_000
        bad |= np.abs(rng.binomial(20_000, p, m) / 20_000 - reference) >= 0.02
    failures["05 q6 hidden P(win) by sigma_delta"] = bad.mean()
    assert all(rate < 1e-3 for rate in failures.values()), failures

"""No submission can stop the grader or give itself marks (issue 13).

The built autograder zips are graded the way Gradescope grades them: in a clean virtual
environment holding only what the zip's ``environment.yml`` installs (its ``pip:`` list, made
with ``python -m venv`` + ``pip install`` — conda's part, ``python`` and ``jupyter_server``, is
the interpreter and a dependency pip pulls in anyway), with ``otter run`` started from the
unpacked zip, so that the plugin is imported from the zip's own ``lecture_utils/otter_guard.py``
as on Gradescope (``/autograder/source`` is on ``sys.path`` there), never from this repository.

Per exercise two submissions are graded, in parallel, with one shared zip:

- the solutions notebook: full marks;
- a hostile notebook: the solutions, with the first question's function calling
  ``sys.exit`` (and its cell ``os._exit``), the last auto-graded function looping forever, and
  top-level cells that raise SystemExit and KeyboardInterrupt, call ``os._exit(0)``, loop
  forever, print 10 million characters, ``del grader``, and, at the end, rewrite every file of
  ``tests/`` into one that passes, overwrite the data, and replace ``np.allclose``,
  ``np.isclose`` and ``abs``. It must lose exactly the two broken questions and those that use
  their answers, and grading must end in bounded time with results.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest
import yaml

from conftest import ROOT
from test_exercises import NAMES, build_exercises, questions, read_master

# The hostile notebook is graded for the exercises where its result has been checked against the
# prediction. 01's hostile grading still ends in "Autograder Failed" (cause not yet found), and
# 05's and 06's were not yet compared: docs/grading.md, "Known gaps".
HOSTILE = [n for n in NAMES if n[:2] in ("02", "03", "04")]

pytestmark = pytest.mark.slow

TOP_LEVEL_ATTACKS = [
    "import sys\nsys.exit(3)",
    "raise KeyboardInterrupt('the student pressed stop')",
    "import os\nos._exit(0)",
    "while True:\n    pass",
    "print('x' * 10_000_000)",
    "del grader",
]
TAMPER = '''\
import builtins, glob
import numpy as np
for path in glob.glob("tests/*.py"):
    with open(path, "w") as fh:
        fh.write("from otter.test_files import test_case\\nOK_FORMAT = False\\nname = 'q'\\n"
                 "points = 100\\n@test_case(points=100)\\ndef test_free():\\n    pass\\n")
for path in glob.glob("data/*.csv"):
    with open(path, "w") as fh:
        fh.write("nonsense\\n1\\n")
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: np.True_
builtins.abs = lambda x: 0
'''


def guard_limits(name: str) -> dict:
    config = yaml.safe_load("\n".join(read_master(name).cells[0].source.splitlines()[1:]))
    (plugin,) = config["plugins"]
    return plugin["lecture_utils.otter_guard.GuardPlugin"]


def function_questions(name: str) -> list[tuple[str, str, set[str]]]:
    """(question, first function it defines, names it defines) for the auto-graded questions."""
    out = []
    for q in questions(read_master(name)):
        if q["config"].get("manual"):
            continue
        code = "\n".join(c.source for c in q["solution"] if c.cell_type == "code")
        defined = set(re.findall(r"^(?:def (\w+)\(|(\w+) = )", code, re.M))
        defined = {a or b for a, b in defined}
        functions = re.findall(r"^def (\w+)\(", code, re.M)
        out.append((q["config"]["name"], functions[0] if functions else None, defined))
    return out


def affected(name: str, broken: set[str]) -> set[str]:
    """The broken questions and every question whose solution or tests use their names."""
    qs = {q["config"]["name"]: q for q in questions(read_master(name)) if not q["config"].get("manual")}
    names = {n for qn, _, defined in function_questions(name) if qn in broken for n in defined}
    lost = set(broken)
    for qn, q in qs.items():
        text = "\n".join(c.source for c in q["solution"] + q["tests"])
        if any(re.search(rf"\b{re.escape(n)}\b", text) for n in names):
            lost.add(qn)
    return lost


def hostile(solutions: nbformat.NotebookNode, name: str) -> tuple[nbformat.NotebookNode, set[str]]:
    nb = nbformat.from_dict(json.loads(json.dumps(solutions)))
    fq = [(q, f) for q, f, _ in function_questions(name) if f]
    (q_exit, f_exit), (q_loop, f_loop) = fq[0], fq[-1]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for f, body in ((f_exit, "import os, sys\n    if len(sys.argv) >= 0:\n        sys.exit('no')"),
                        (f_loop, "while True:\n        pass")):
            m = re.search(rf"^def {f}\([^\n]*\):\n(    \"\"\"[^\n]*\"\"\"\n)?", cell.source, re.M)
            if m:
                cell.source = cell.source[:m.end()] + "    " + body + "\n" + cell.source[m.end():]
        if f"def {f_exit}(" in cell.source:
            cell.source += "\nos._exit(0)\n"
    first_code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"][1]
    for j, attack in enumerate(TOP_LEVEL_ATTACKS):
        nb.cells.insert(first_code + 1 + j, nbformat.v4.new_code_cell(attack))
    nb.cells.append(nbformat.v4.new_code_cell(TAMPER))
    return nb, affected(name, {q_exit, q_loop})


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def clean_python(tmp_path_factory):
    """A venv with only the pip list of a zip's environment.yml (the same for every exercise)."""
    pips = set()
    for name in NAMES:
        with zipfile.ZipFile(zips()[name]) as zf:
            env = yaml.safe_load(zf.read("environment.yml"))
        pips.add(tuple(next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))))
    assert len(pips) == 1, f"the exercises' environments differ: {pips}"
    venv = tmp_path_factory.mktemp("clean-grading-env")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           *pips.pop(), "jupyter_server"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    probe = subprocess.run([str(python), "-c", "import lecture_utils"], capture_output=True, text=True,
                           cwd=tmp_path_factory.mktemp("probe"))
    assert probe.returncode != 0, "the clean environment must not have lecture_utils installed"
    return python


_ZIPS: dict[str, pathlib.Path] = {}


def zips() -> dict[str, pathlib.Path]:
    """One build of every exercise per session, shared with tests/test_exercises.py."""
    import test_exercises
    if not _ZIPS:
        import tempfile
        missing = [n for n in NAMES if n not in test_exercises._BUILT]
        if missing:
            tmp = pathlib.Path(tempfile.mkdtemp(prefix="hardening-build-"))
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                built = list(pool.map(lambda n: build_exercises.assign(
                    build_exercises.EXERCISES / f"{n}.ipynb", tmp, run_tests=False), missing))
            for b in built:
                test_exercises._BUILT[b.name] = b
        for name in NAMES:
            b = test_exercises._BUILT[name]
            _ZIPS[name] = b.autograder_zip
            _ZIPS[name + ":solutions"] = b.solutions
    return _ZIPS


def otter_run_clean(python: pathlib.Path, autograder_zip: pathlib.Path, notebook: nbformat.NotebookNode,
                    work: pathlib.Path, name: str) -> dict:
    work.mkdir(parents=True)
    source = work / "source"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(source)
    submission = work / f"{name}.ipynb"
    nbformat.write(notebook, submission)
    out = work / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{python.parent}:{env.get('PATH', '')}"
    start = time.monotonic()
    done = subprocess.run([str(python), "-m", "otter", "run", "--no-logo", "-a", str(autograder_zip),
                           "-o", str(out), str(submission)],
                          capture_output=True, text=True, cwd=source, env=env, timeout=900)
    seconds = time.monotonic() - start
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").is_file() else None
    return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
            "results": results, "seconds": seconds}


_GRADED: dict[str, dict] = {}


@pytest.fixture(scope="session")
def graded_clean(clean_python, tmp_path_factory):
    """Solutions and hostile notebook of every exercise, graded in the clean environment."""
    if not _GRADED:
        root = tmp_path_factory.mktemp("hardening-runs")
        jobs = {}
        for name in NAMES:
            solutions = nbformat.read(zips()[name + ":solutions"], as_version=4)
            jobs[(name, "solutions")] = (solutions, None)
            if name in HOSTILE:
                jobs[(name, "hostile")] = hostile(solutions, name)
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            futures = {key: pool.submit(otter_run_clean, clean_python, zips()[key[0]], nb,
                                        root / f"{key[0]}-{key[1]}", key[0])
                       for key, (nb, _) in jobs.items()}
            for key, future in futures.items():
                _GRADED[key] = {**future.result(), "lost": jobs[key][1]}
    return _GRADED


def per_question(run: dict) -> dict[str, tuple[float, float]]:
    assert run["returncode"] == 0 and run["results"] is not None, (
        f"otter run failed (exit {run['returncode']}):\n{run['stdout'][-3000:]}\n{run['stderr'][-3000:]}")
    return {t["name"]: (t["score"], t["max_score"]) for t in run["results"]["tests"]
            if t.get("max_score") is not None}


@pytest.mark.parametrize("name", NAMES)
def test_solutions_get_full_marks_in_the_clean_environment(name, graded_clean):
    scores = per_question(graded_clean[(name, "solutions")])
    assert scores and all(got == possible for got, possible in scores.values()), scores


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_submission_loses_exactly_the_questions_it_breaks(name, graded_clean):
    run = graded_clean[(name, "hostile")]
    scores = per_question(run)
    lost = {q for q, (got, possible) in scores.items() if got < possible}
    assert lost == run["lost"], (f"{name}: expected to lose {sorted(run['lost'])}, lost {sorted(lost)}: "
                                 f"{scores}")
    assert all(scores[q][0] == 0 for q in lost), scores
    outputs = "\n".join(t.get("output", "") for t in run["results"]["tests"])
    assert "raised SystemExit" in outputs and "time limit" in outputs


@pytest.mark.parametrize("name", NAMES)
def test_written_answers_reach_results_json_with_their_points(name, graded_clean):
    output = graded_clean[(name, "solutions")]["results"].get("output", "")
    for q in questions(read_master(name)):
        if q["config"].get("manual"):
            assert f"--- {q['config']['name']} ({q['config']['points']} points) ---" in output, output[:500]
    # Known gap (docs/grading.md): in the clean environment the solutions' written answers come
    # through as "(not answered)"; each question and its points do reach results.json.


@pytest.mark.parametrize("name", HOSTILE)
def test_grading_ends_within_the_time_limits(name, graded_clean):
    limits = guard_limits(name)
    n_tests = sum(1 for q in questions(read_master(name)) for _ in q["tests"])
    run = graded_clean[(name, "hostile")]
    # every cell and every test is bounded; 240 s covers kernel start and the honest cells
    bound = 2 * limits["cell_seconds"] + n_tests * limits["test_seconds"] + 240
    assert run["seconds"] < bound, f"{name}: grading took {run['seconds']:.0f} s (bound {bound} s)"


def test_the_plugin_is_imported_from_the_zip_not_from_this_repository(clean_python):
    with zipfile.ZipFile(zips()[NAMES[0]]) as zf:
        shipped = zf.read("lecture_utils/otter_guard.py").decode()
    assert shipped == (ROOT / "lecture_utils" / "otter_guard.py").read_text(encoding="utf-8")
    for name in NAMES:
        config = json.loads(zipfile.ZipFile(zips()[name]).read("otter_config.json"))
        settings = dict(config["plugins"][0]["lecture_utils.otter_guard.GuardPlugin"])
        written = settings.pop("written")
        assert settings == guard_limits(name)
        assert written == [[q["config"]["name"], q["config"]["points"]]
                           for q in questions(read_master(name)) if q["config"].get("manual")]
    # the clean environment really is clean: the plugin cannot come from this repository
    probe = subprocess.run([str(clean_python), "-c", "import lecture_utils.otter_guard"],
                           capture_output=True, text=True, cwd="/")
    assert probe.returncode != 0


# ---------------------------------------------------------------------------------------------
# The student repository (make student-repo)


def _student_repo_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("student_repo", ROOT / "scripts" / "student_repo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def student_repo(tmp_path_factory):
    dest = tmp_path_factory.mktemp("student-repo") / "lvm-student"
    done = subprocess.run(["make", "--no-print-directory", "student-repo", f"DEST={dest}",
                           f"VENV={pathlib.Path(sys.executable).parent.parent}"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return dest


def test_student_repo_holds_no_master_hidden_test_or_solution(student_repo):
    files = [p for p in student_repo.rglob("*") if p.is_file()]
    rel = {p.relative_to(student_repo).as_posix() for p in files}
    assert {"README.md", "Makefile", "requirements.txt", "pyproject.toml", "lecture_utils/data.py",
            "data/heights.csv", "notebooks/00_start_here.ipynb"} <= rel
    for name in NAMES:
        assert f"notebooks/exercises/student/{name}/{name}.ipynb" in rel
        assert f"notebooks/exercises/{name}.ipynb" not in rel, "a master reached the student repository"
        assert f"notebooks/{name}.ipynb" in rel
    assert not [r for r in rel if r.endswith((".zip", "-solutions.ipynb")) or "otter_guard" in r]
    def read(paths):
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in paths
                         if p.suffix in (".ipynb", ".py", ".md", ".txt", ".toml", ""))
    # Exercise notebooks and the files written for students: no solution line at all. The lecture
    # notebooks and lecture_utils are course material that shares generic lines with the
    # solutions (`x = np.asarray(x, dtype=float)`): there no whole solution block may appear.
    # (in the exercise notebooks, code cells: the prompts may name the call to make, as the masters do)
    exercise_text = read([p for p in files if p.parent == student_repo]) + "\n".join(
        c.source for p in files if "exercises" in p.parts and p.suffix == ".ipynb"
        for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
    course_text = read([p for p in files if "exercises" not in p.parts and p.parent != student_repo])
    text = exercise_text + course_text
    from test_exercises import hidden_test_names, solution_lines
    for name in NAMES:
        master = read_master(name)
        leaked = [ln for ln in solution_lines(master) if ln in exercise_text]
        assert not leaked, f"{name}: solution lines in the student exercises: {leaked[:3]}"
        for q in questions(master):
            for cell in q["solution"]:
                block = re.search(r"# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION", cell.source, re.S)
                if block and block.group(1).count("\n") >= 2:
                    lines = [ln.strip() for ln in block.group(1).splitlines() if ln.strip()]
                    squeezed = re.sub(r"\s+", " ", course_text)
                    assert " ".join(lines) not in squeezed, f"{name}: a solution block in the course material"
        hidden = [h for h in hidden_test_names(master) if h in text]
        assert not hidden, f"{name}: hidden tests in the student repository: {hidden}"
    assert "BEGIN SOLUTION" not in text and "BEGIN TESTS" not in text


def test_student_repo_refuses_a_folder_inside_this_repository():
    module = _student_repo_module()
    with pytest.raises(ValueError, match="inside the instructors' repository"):
        module.write(ROOT / "student-copy")
    assert not (ROOT / "student-copy").exists()


def test_student_repo_sets_up_and_runs_a_public_check(student_repo):
    # The Makefile's set-up (make setup: what `make lab` does before starting JupyterLab), with
    # pip's shared cache; then one public check of exercise 02 with a correct answer.
    done = subprocess.run(["make", "--no-print-directory", "setup", f"PYTHON={sys.executable}"],
                          cwd=student_repo, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    python = student_repo / ".venv" / "bin" / "python"
    master = read_master("02_heights_and_gender")
    q1 = next(q for q in questions(master) if q["config"]["name"] == "q1")
    solution = "\n".join(c.source for c in q1["solution"] if c.cell_type == "code")
    script = (
        "import otter, numpy as np\n"
        "grader = otter.Notebook('02_heights_and_gender.ipynb')\n"
        "from lecture_utils.data import load_heights\n"
        "SEED = 1\n" + solution + "\n"
        "result = grader.check('q1', global_env=globals())\n"
        "assert result.passed_all, result\n"
        "print('public check passed')\n"
    )
    work = student_repo / "notebooks" / "exercises" / "student" / "02_heights_and_gender"
    done = subprocess.run([str(python), "-c", script], cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "public check passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert str(student_repo) in python.as_posix()  # the student repository's own venv


def test_otter_assign_by_hand_on_a_master_stops_with_one_line_pointing_to_make_exercises(tmp_path):
    done = subprocess.run([sys.executable, "-m", "otter", "assign", f"{NAMES[1]}.ipynb",
                           str(tmp_path / "out"), "--no-run-tests"],
                          cwd=build_exercises.EXERCISES, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and "make exercises" in lines[0], lines[-5:]
    assert not list((tmp_path / "out").rglob("*.zip"))


# ---------------------------------------------------------------------------------------------
# The plugin's own pieces (fast)


def test_guard_settings_are_checked():
    from lecture_utils import otter_guard
    assert otter_guard.GuardPlugin("x.ipynb", {}, {})._limits() == otter_guard.DEFAULTS
    for bad in ({"cell_seconds": 0}, {"test_seconds": "10"}, {"output_chars": True}, {"cell_second": 5}):
        with pytest.raises(ValueError, match="otter_guard"):
            otter_guard.GuardPlugin("x.ipynb", {}, bad)._limits()


def test_written_answers_are_collected_in_order_with_their_points():
    from lecture_utils import otter_guard
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("prompt"),
        nbformat.v4.new_markdown_cell("My answer: the SDs are close.", metadata={"tags": ["otter_answer_cell"]}),
        nbformat.v4.new_markdown_cell("_Type your answer here, replacing this text._",
                                      metadata={"tags": ["otter_answer_cell"]}),
    ])
    text = otter_guard.written_answers(nb, [["q5", 2], ["q6", 3]])
    assert "--- q5 (2 points) ---\nMy answer: the SDs are close." in text
    assert "--- q6 (3 points) ---\n(not answered)" in text
    assert otter_guard.written_answers(nb, []) == ""


def test_guard_cells_are_valid_python_and_the_digest_sees_every_change(tmp_path):
    import ast
    from lecture_utils import otter_guard
    ast.parse(otter_guard.GUARD_CELL.replace("__LIMITS__", repr(otter_guard.DEFAULTS)))
    ast.parse(otter_guard.RESTORE_CELL.replace("__OTTER_STATE__", "s").replace("__FILES__", "{}")
              .replace("__LIMITS__", "{}"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "tests" / "q1.py").write_text("x = 1\n")
    (tmp_path / "data" / "heights.csv").write_text("sex,height\n")
    before = otter_guard.digest(otter_guard._protected_files(tmp_path))
    (tmp_path / "data" / "heights.csv").write_text("sex,height\nMale,70\n")
    assert otter_guard.digest(otter_guard._protected_files(tmp_path)) != before

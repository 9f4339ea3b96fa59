"""No submission can stop the grader or give itself marks (issue 13).

The built autograder zips are graded the way Gradescope grades them: in a clean virtual
environment holding only what the zip's ``environment.yml`` installs (its ``pip:`` list, made
with ``python -m venv`` + ``pip install`` — conda's part, ``python`` and ``jupyter_server``, is
the interpreter and a dependency pip pulls in anyway), with ``otter run`` started from the
unpacked zip, so that the plugin is imported from the zip's own ``lecture_utils/otter_guard.py``
as on Gradescope (``/autograder/source`` is on ``sys.path`` there), never from this repository.

Per exercise these submissions are graded, in parallel, with one shared zip:

- the solutions notebook: full marks;
- a hostile notebook: the solutions, with the first question's function calling
  ``sys.exit`` (and its cell ``os._exit``), the last auto-graded function looping forever, and
  top-level cells that raise SystemExit and KeyboardInterrupt, call ``os._exit(0)``, loop
  forever, print 10 million characters, ``del grader``, and, at the end, rewrite every file of
  ``tests/`` into one that passes, overwrite the data, and replace ``np.allclose``,
  ``np.isclose``, ``abs`` and ``isinstance``. It must lose exactly the two broken questions and
  those that use their answers, and grading must end in bounded time with results;
- for 01–06, realistic submissions (:data:`REALISTIC`): correct answers written another
  way (loops, lists, float32, scipy instead of the formulas, other uses of ``rng``), which get
  full marks, and notebooks of typical mistakes, one per question (variance passed as the scale,
  no log space, ``sys.exit`` for bad input, an off-by-one in the log-likelihoods...), which lose
  exactly those questions, each with a message that shows the failing line of the test.
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

# Every exercise. (01's hostile grading used to end in "Autograder Failed": a SystemExit that
# escaped a test's own code reached Otter, whose message builder then crashed on the traceback.)
HOSTILE = list(NAMES)

pytestmark = pytest.mark.slow

TOP_LEVEL_ATTACKS = [
    "import sys\nsys.exit(3)",
    "raise KeyboardInterrupt('the student pressed stop')",
    "import os\nos._exit(0)",
    "while True:\n    pass",
    "print('x' * 10_000_000)",
    "del grader",
]
TAMPER = """\
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
builtins.isinstance = lambda obj, cls: True  # left in place, the kernel never answers again
"""


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


def global_uses(source: str) -> set[str]:
    """Global names that code reads: at top level, or inside a function without being a
    parameter or a local of it."""
    import ast

    used: set[str] = set()

    def visit(node, local: set[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            inner = local | {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
            inner |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
            inner |= {
                n.id
                for n in ast.walk(node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            for child in node.body if isinstance(node.body, list) else [node.body]:
                visit(child, inner)
            for default in a.defaults + [d for d in a.kw_defaults if d is not None]:
                visit(default, local)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            used.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, local)

    visit(ast.parse(source), set())
    return used


def parameters_of_tests(source: str) -> set[str]:
    """The notebook names a test cell receives: the parameters of its test functions."""
    return set().union(
        *(set(re.findall(r"\w+", m)) for m in re.findall(r"^def test_\w+\(([^)]*)\)", source, re.M))
    )


def affected(name: str, broken: set[str]) -> set[str]:
    """The broken questions, every question whose tests receive a name they define, and every
    question whose solution reads such a name (whose own names are then lost too)."""
    qs = {
        q["config"]["name"]: q
        for q in questions(read_master(name))
        if not q["config"].get("manual")
    }
    defined = {qn: names for qn, _, names in function_questions(name)}
    code = {
        qn: "\n".join(c.source for c in q["solution"] if c.cell_type == "code")
        for qn, q in qs.items()
    }
    tests = {qn: "\n".join(c.source for c in q["tests"]) for qn, q in qs.items()}
    lost = set(broken)
    names = set().union(*(defined[qn] for qn in broken))
    changed = True
    while changed:
        changed = False
        for qn in qs:
            if qn not in lost and global_uses(code[qn]) & names:
                lost.add(qn)
                names |= defined[qn]
                changed = True
    return lost | {qn for qn in qs if parameters_of_tests(tests[qn]) & names}


def hostile(solutions: nbformat.NotebookNode, name: str) -> tuple[nbformat.NotebookNode, set[str]]:
    nb = nbformat.from_dict(json.loads(json.dumps(solutions)))
    fq = [(q, f) for q, f, _ in function_questions(name) if f]
    (q_exit, f_exit), (q_loop, f_loop) = fq[0], fq[-1]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for f, body in (
            (f_exit, "import os, sys\n    if len(sys.argv) >= 0:\n        sys.exit('no')"),
            (f_loop, "while True:\n        pass"),
        ):
            m = re.search(rf"^def {f}\([^\n]*\):\n(    \"\"\"[^\n]*\"\"\"\n)?", cell.source, re.M)
            if m:
                cell.source = cell.source[: m.end()] + "    " + body + "\n" + cell.source[m.end() :]
        if f"def {f_exit}(" in cell.source:
            cell.source += "\nos._exit(0)\n"
    first_code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"][1]
    for j, attack in enumerate(TOP_LEVEL_ATTACKS):
        nb.cells.insert(first_code + 1 + j, nbformat.v4.new_code_cell(attack))
    nb.cells.append(nbformat.v4.new_code_cell(TAMPER))
    return nb, affected(name, {q_exit, q_loop})


# ---------------------------------------------------------------------------------------------
# Realistic submissions: each replaces whole cells of the solutions notebook. A key is a text
# that occurs in exactly one code cell (that cell's source is replaced); "+after:<key>" inserts a
# new cell after it; "+end" adds a cell before `grader.check_all()`.

REALISTIC: dict[str, list[tuple[str, dict[str, str], set[str]]]] = {
    "01_bayesian_inference_recap": [
        (
            "alternative: lists, scipy.optimize, float32, ppf array, loops, predictions as text",
            {
                "def beta_posterior(": (
                    "def beta_posterior(a, b, k, n):\n"
                    "    if k < 0 or k > n:\n"
                    "        raise ValueError('k out of range')\n"
                    "    return [a + k, b + (n - k)]\n"
                ),
                "def beta_map_lmse(": (
                    "def beta_map_lmse(a, b):\n"
                    "    from scipy import optimize\n"
                    "    d = stats.beta(a, b)\n"
                    "    mode = optimize.minimize_scalar(lambda p: -d.logpdf(p), bounds=(1e-9, 1 - 1e-9),\n"
                    "                                    method='bounded', options={'xatol': 1e-10}).x\n"
                    "    return np.float32(mode), np.float32(d.mean())\n"
                ),
                "q3_first = heights.head(20)": (
                    "q3_first = heights.head(20)\n"
                    "q3_k = np.int64((q3_first['sex'] == 'Male').sum())\n"
                    "q3_mle = q3_k / 20\n"
                    "post = stats.beta(2 + q3_k, 2 + 20 - q3_k)\n"
                    "q3_map = (1 + q3_k) / 22\n"
                    "q3_lmse = post.mean()\n"
                    "q3_interval = post.ppf([0.025, 0.975])\n"
                ),
                "def normal_posterior(": (
                    "def normal_posterior(m0, s0, sigma, x):\n"
                    "    prec, num = 1 / s0 ** 2, m0 / s0 ** 2\n"
                    "    for xi in x:\n"
                    "        prec += 1 / sigma ** 2\n"
                    "        num += xi / sigma ** 2\n"
                    "    return num / prec, (1 / prec) ** 0.5\n\n"
                    "q4_women = list(heights[heights.sex == 'Female'].height[:10])\n"
                    "q4_mean, q4_sd = normal_posterior(65, 3, 3, q4_women)\n"
                ),
                "def variance_posterior(": (
                    "def variance_posterior(alpha, beta, mu, x):\n"
                    "    ss = 0.0\n"
                    "    for xi in x:\n"
                    "        ss += (xi - mu) ** 2\n"
                    "    return [alpha + len(x) / 2, beta + ss / 2]\n\n"
                    "q6_women = list(heights[heights.sex == 'Female'].height[:20])\n"
                    "a_n, b_n = variance_posterior(3, 20, 65, q6_women)\n"
                    "q6_mean = stats.invgamma(a_n, scale=b_n).mean()\n"
                ),
                "q7_sd_factor = 2": "q7_sd_factor = '2'\nq7_one_more = ' Down'\n",
            },
            set(),
        ),
        (
            "mistakes: sys.exit for a bad k, the variance for the SD, alpha + n, a prediction the wrong way",
            {
                "def beta_posterior(": (
                    "def beta_posterior(a, b, k, n):\n"
                    "    if not 0 <= k <= n:\n"
                    "        import sys\n"
                    "        sys.exit('k must be between 0 and n')\n"
                    "    return float(a + k), float(b + n - k)\n"
                ),
                "def normal_posterior(": (
                    "def normal_posterior(m0, s0, sigma, x):\n"
                    "    x = np.asarray(x, dtype=float)\n"
                    "    precision = 1 / s0**2 + x.size / sigma**2\n"
                    "    return float((m0 / s0**2 + x.sum() / sigma**2) / precision), float(1 / precision)\n\n"
                    "q4_women = heights.loc[heights['sex'] == 'Female', 'height'].head(10).to_numpy()\n"
                    "q4_mean, q4_sd = normal_posterior(65, 3, 3, q4_women)\n"
                ),
                "def variance_posterior(": (
                    "def variance_posterior(alpha, beta, mu, x):\n"
                    "    x = np.asarray(x, dtype=float)\n"
                    "    return alpha + x.size, beta + np.sum((x - mu) ** 2) / 2\n\n"
                    "q6_women = heights.loc[heights['sex'] == 'Female', 'height'].head(20).to_numpy()\n"
                    "a_n, b_n = variance_posterior(3, 20, 65, q6_women)\n"
                    "q6_mean = b_n / (a_n - 1)\n"
                ),
                "q7_sd_factor = 2": "q7_sd_factor = 2\nq7_one_more = 'up'\n",
            },
            {"q1", "q4", "q6", "q7"},
        ),
    ],
    "02_heights_and_gender": [
        (
            "alternative: loops, lists, math, rng one draw at a time, a quadratic formula by hand",
            {
                "def sample_heights(": (
                    "import math\n"
                    "def sample_heights(n, theta, rng):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    xs, zs = [], []\n"
                    "    for i in range(n):\n"
                    "        z = 1 if rng.random() < pi else 0\n"
                    "        zs.append(z)\n"
                    "        xs.append(rng.normal(mu1 if z else mu0, math.sqrt(var)))\n"
                    "    return np.array(xs), np.array(zs)\n\n"
                    "q1_sample = sample_heights(1000, [64.0, 69.5, 9.0, 0.5], np.random.default_rng(SEED))\n"
                ),
                "def mle_from_labels(": (
                    "def mle_from_labels(x, z):\n"
                    "    s, c = [0.0, 0.0], [0, 0]\n"
                    "    for xi, zi in zip(x, z):\n"
                    "        s[int(zi)] += xi\n"
                    "        c[int(zi)] += 1\n"
                    "    mu = [s[0] / c[0], s[1] / c[1]]\n"
                    "    ss = sum((xi - mu[int(zi)]) ** 2 for xi, zi in zip(x, z))\n"
                    "    return [mu[0], mu[1], ss / len(x), c[1] / len(x)]\n\n"
                    "q2_theta = mle_from_labels(list(x_all), list(z_all))\n"
                ),
                "def posterior_male(": (
                    "def posterior_male(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    out = []\n"
                    "    for xi in x:\n"
                    "        t = math.log(pi / (1 - pi)) + ((xi - mu0) ** 2 - (xi - mu1) ** 2) / (2 * var)\n"
                    "        out.append(1 / (1 + math.exp(-t)) if t > -700 else 0.0)\n"
                    "    return out\n"
                ),
                "q4_accuracy =": (
                    "p = posterior_male(x_all, q2_theta)\n"
                    "q4_accuracy = sum(int((pi_ > 0.5) == (zi == 1)) for pi_, zi in zip(p, z_all)) / len(p)\n"
                    "q4_p70 = posterior_male([70.0], q2_theta)[0]\n"
                ),
                "def mle_per_sex(": (
                    "def mle_per_sex(x, z):\n"
                    "    df = pd.DataFrame({'x': x, 'z': z})\n"
                    "    g = df.groupby('z')['x']\n"
                    "    m, v = g.mean(), g.var(ddof=0)\n"
                    "    return m[0], m[1], v[0], v[1], df['z'].mean()\n\n"
                    "def fifty_fifty_heights(theta):\n"
                    "    mu0, mu1, v0, v1, pi = theta\n"
                    "    a = 0.5 / v0 - 0.5 / v1\n"
                    "    b = mu1 / v1 - mu0 / v0\n"
                    "    c = math.log(pi / (1 - pi)) - 0.5 * math.log(v1 / v0) - mu1 ** 2 / (2 * v1) + mu0 ** 2 / (2 * v0)\n"
                    "    if a == 0:\n"
                    "        return [-c / b]\n"
                    "    d = b * b - 4 * a * c\n"
                    "    if d < 0:\n"
                    "        return []\n"
                    "    return sorted([(-b - math.sqrt(d)) / (2 * a), (-b + math.sqrt(d)) / (2 * a)])\n\n"
                    "q6_theta = mle_per_sex(x_all, z_all)\n"
                    "q6_points = fifty_fifty_heights(q6_theta)\n"
                ),
                "q7_more_men =": (
                    "q7_more_men = 'Down'\nq7_wider = 'down '\nq7_wider_balanced = 'Unchanged'\n"
                ),
            },
            set(),
        ),
        (
            "alternative: scipy.stats with random_state=rng, float32, logsumexp, bool z, polynomial roots",
            {
                "def sample_heights(": (
                    "def sample_heights(n, theta, rng):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    z = stats.bernoulli.rvs(pi, size=n, random_state=rng).astype(bool)\n"
                    "    x = stats.norm.rvs(loc=np.where(z, mu1, mu0), scale=np.sqrt(var), random_state=rng)\n"
                    "    return x.astype(np.float32), z\n\n"
                    "q1_sample = sample_heights(1000, np.array([64.0, 69.5, 9.0, 0.5]), np.random.default_rng(SEED))\n"
                ),
                "def mle_from_labels(": (
                    "def mle_from_labels(x, z):\n"
                    "    x = np.asarray(x, dtype=np.float32); z = np.asarray(z).astype(bool)\n"
                    "    mu0, mu1 = x[~z].mean(), x[z].mean()\n"
                    "    resid = np.concatenate([x[~z] - mu0, x[z] - mu1])\n"
                    "    return np.array([mu0, mu1, np.mean(resid ** 2), z.mean(dtype=np.float32)])\n\n"
                    "q2_theta = mle_from_labels(x_all, z_all)\n"
                ),
                "def posterior_male(": (
                    "def posterior_male(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    x = np.asarray(x, dtype=np.float32)\n"
                    "    sd = np.sqrt(var)\n"
                    "    lj = np.stack([np.log(1 - pi) + stats.norm.logpdf(x, mu0, sd),\n"
                    "                   np.log(pi) + stats.norm.logpdf(x, mu1, sd)])\n"
                    "    return np.exp(lj[1] - special.logsumexp(lj, axis=0)).astype(np.float32)\n"
                ),
                "def mle_per_sex(": (
                    "def mle_per_sex(x, z):\n"
                    "    x = np.asarray(x, dtype=np.float32); z = np.asarray(z).astype(bool)\n"
                    "    return x[~z].mean(), x[z].mean(), x[~z].var(), x[z].var(), z.mean()\n\n"
                    "def fifty_fifty_heights(theta):\n"
                    "    mu0, mu1, v0, v1, pi = (float(t) for t in theta)\n"
                    "    c = np.log(pi / (1 - pi)) - 0.5 * np.log(v1 / v0) - mu1**2 / (2 * v1) + mu0**2 / (2 * v0)\n"
                    "    r = np.polynomial.Polynomial([c, mu1 / v1 - mu0 / v0, 0.5 / v0 - 0.5 / v1]).roots()\n"
                    "    return np.sort(r[np.abs(np.imag(r)) < 1e-9].real)\n\n"
                    "q6_theta = mle_per_sex(x_all, z_all)\n"
                    "q6_points = fifty_fifty_heights(q6_theta)\n"
                ),
            },
            set(),
        ),
        (
            "mistakes: the variance as the scale, no log space, a formula that divides by zero, a prediction the wrong way",
            {
                "def sample_heights(": (
                    "def sample_heights(n, theta, rng):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    z = (rng.random(n) < pi).astype(int)\n"
                    "    return rng.normal(np.where(z == 1, mu1, mu0), var), z\n\n"
                    "q1_sample = sample_heights(1000, (64.0, 69.5, 9.0, 0.5), np.random.default_rng(SEED))\n"
                ),
                "def posterior_male(": (
                    "def posterior_male(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    p1 = pi * stats.norm.pdf(x, mu1, np.sqrt(var))\n"
                    "    p0 = (1 - pi) * stats.norm.pdf(x, mu0, np.sqrt(var))\n"
                    "    return p1 / (p1 + p0)\n"
                ),
                "def mle_per_sex(": (
                    "def mle_per_sex(x, z):\n"
                    "    x, z = np.asarray(x, dtype=float), np.asarray(z)\n"
                    "    return x[z == 0].mean(), x[z == 1].mean(), x[z == 0].var(), x[z == 1].var(), z.mean()\n\n"
                    "def fifty_fifty_heights(theta):\n"
                    "    mu0, mu1, v0, v1, pi = theta\n"
                    "    a = 0.5 / v0 - 0.5 / v1\n"
                    "    b = mu1 / v1 - mu0 / v0\n"
                    "    c = np.log(pi / (1 - pi)) - 0.5 * np.log(v1 / v0) - mu1**2 / (2 * v1) + mu0**2 / (2 * v0)\n"
                    "    d = np.sqrt(b * b - 4 * a * c)\n"
                    "    return np.sort([(-b - d) / (2 * a), (-b + d) / (2 * a)])\n\n"
                    "q6_theta = mle_per_sex(x_all, z_all)\n"
                    "q6_points = fifty_fifty_heights(q6_theta)\n"
                ),
                "q7_more_men =": (
                    "q7_more_men = 'up'\nq7_wider = 'down'\nq7_wider_balanced = 'unchanged'\n"
                ),
            },
            {"q1", "q3", "q6", "q7"},
        ),
        (
            "hostile: a loop that ignores the kernel's alarm; isinstance replaced",
            {
                "+after:def sample_heights(": (
                    "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"
                ),
                "+end": "import builtins\nbuiltins.isinstance = lambda obj, cls: True\nprint('patched')\n",
            },
            set(),
        ),
    ],
    "03_graphical_models": [
        (
            "alternative: loops and math, lists, one draw at a time, numpy booleans",
            {
                "def log_joint_heights(": (
                    "import math\n"
                    "def log_joint_heights(x, z, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    total = 0.0\n"
                    "    for xi, zi in zip(x, z):\n"
                    "        mu, w = (mu1, pi) if zi == 1 else (mu0, 1 - pi)\n"
                    "        total += math.log(w) - 0.5 * math.log(2 * math.pi * var) - (xi - mu) ** 2 / (2 * var)\n"
                    "    return total\n\n"
                    "q1_log_joint = log_joint_heights(list(x_all), list(z_all), [64, 69.5, 12.25, 0.5])\n"
                ),
                "def sample_schools(": (
                    "def sample_schools(mu, tau, sigma, n_schools, n_students, rng):\n"
                    "    theta = np.array([rng.normal(mu, tau) for _ in range(n_schools)])\n"
                    "    y = np.array([[rng.normal(t, sigma) for _ in range(n_students)] for t in theta])\n"
                    "    return theta, y\n"
                ),
                "def count_free_parameters(": (
                    "def count_free_parameters(T, K):\n"
                    "    full = 1\n"
                    "    for _ in range(T):\n"
                    "        full *= K\n"
                    "    return dict(full=full - 1, chain=K - 1 + (T - 1) * (K * K - K))\n"
                ),
                "def poisson_mixture_loglik(": (
                    "def poisson_mixture_loglik(x, weights, rates):\n"
                    "    total = 0.0\n"
                    "    for xi in x:\n"
                    "        terms = [math.log(w) + xi * math.log(lam) - lam - math.lgamma(xi + 1)\n"
                    "                 for w, lam in zip(weights, rates)]\n"
                    "        m = max(terms)\n"
                    "        total += m + math.log(sum(math.exp(t - m) for t in terms))\n"
                    "    return total\n"
                ),
                "q6_independent =": (
                    "q6_independent = dict(a=np.True_, b=False, c=np.bool_(False), d=True, e=False, f=True)\n"
                ),
            },
            set(),
        ),
        (
            "mistakes: the variance as the SD, no log space, explaining away missed",
            {
                "def log_joint_heights(": (
                    "def log_joint_heights(x, z, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    x, z = np.asarray(x, dtype=float), np.asarray(z)\n"
                    "    return float(np.sum(np.where(z == 1, np.log(pi), np.log(1 - pi))\n"
                    "                        + stats.norm.logpdf(x, np.where(z == 1, mu1, mu0), var)))\n\n"
                    "q1_log_joint = log_joint_heights(x_all, z_all, (64.0, 69.5, 12.25, 0.5))\n"
                ),
                "def poisson_mixture_loglik(": (
                    "def poisson_mixture_loglik(x, weights, rates):\n"
                    "    p = np.asarray(weights) * stats.poisson.pmf(np.asarray(x)[:, None], np.asarray(rates))\n"
                    "    return float(np.sum(np.log(p.sum(axis=1))))\n"
                ),
                "q6_independent =": (
                    "q6_independent = {'a': True, 'b': False, 'c': True, 'd': True, 'e': False, 'f': True}\n"
                ),
            },
            {"q1", "q5", "q6"},
        ),
    ],
    "04_fish_hmm": [
        (
            "alternative: smoothing in probability space without forward_filter, lists, loops, 'A'",
            {
                "def smooth(": (
                    "def smooth(x, start_prob, trans_mat, rates):\n"
                    "    A = np.asarray(trans_mat, dtype=float)\n"
                    "    B = np.exp(stats.poisson.logpmf(np.asarray(x)[:, None], np.asarray(rates, dtype=float)[None, :]))\n"
                    "    T, K = B.shape\n"
                    "    alpha = np.zeros((T, K))\n"
                    "    a = np.asarray(start_prob) * B[0]\n"
                    "    alpha[0] = a / a.sum()\n"
                    "    for t in range(1, T):\n"
                    "        a = (alpha[t - 1] @ A) * B[t]\n"
                    "        alpha[t] = a / a.sum()\n"
                    "    beta, out = np.ones(K), np.zeros((T, K))\n"
                    "    out[-1] = alpha[-1]\n"
                    "    for t in range(T - 2, -1, -1):\n"
                    "        beta = A @ (B[t + 1] * beta)\n"
                    "        beta = beta / beta.sum()\n"
                    "        g = alpha[t] * beta\n"
                    "        out[t] = g / g.sum()\n"
                    "    return out.tolist()\n"
                ),
                "q6_prediction = ": 'q6_prediction = "A"\n',
                "q6_filtered_sd = ": (
                    "f = np.asarray(forward_filter(fish_counts, fish_start, fish_trans, fish_rates)[0])\n"
                    "s = np.asarray(smooth(fish_counts, fish_start, fish_trans, fish_rates))\n"
                    "q6_filtered_sd = [np.sqrt(np.average((fish_grid - row @ fish_grid) ** 2, weights=row)) for row in f]\n"
                    "q6_smoothed_sd = [np.sqrt(np.average((fish_grid - row @ fish_grid) ** 2, weights=row)) for row in s]\n"
                ),
                "def lambda_m_step(": (
                    "def lambda_m_step(x, effort, smoothed, grid):\n"
                    "    num = sum(float(v) for v in x)\n"
                    "    den = 0.0\n"
                    "    for e, row in zip(effort, smoothed):\n"
                    "        den += e * sum(p * s for p, s in zip(row, grid))\n"
                    "    return num / den\n"
                ),
            },
            set(),
        ),
        (
            "mistakes: smoothing that underflows on long series, the effort ignored, a wrong "
            "prediction",
            {
                "def smooth(": (
                    "def smooth(x, start_prob, trans_mat, rates):\n"
                    "    A = np.asarray(trans_mat, dtype=float)\n"
                    "    B = stats.poisson.pmf(np.asarray(x)[:, None], np.asarray(rates, dtype=float)[None, :])\n"
                    "    filtered, _ = forward_filter(x, start_prob, trans_mat, rates)\n"
                    "    beta = np.ones_like(filtered)\n"
                    "    for t in range(len(x) - 2, -1, -1):\n"
                    "        beta[t] = A @ (B[t + 1] * beta[t + 1])  # never rescaled\n"
                    "    g = filtered * beta\n"
                    "    return g / g.sum(axis=1, keepdims=True)\n"
                ),
                "q6_prediction = ": 'q6_prediction = "d"\n',
                "def lambda_m_step(": (
                    "def lambda_m_step(x, effort, smoothed, grid):\n"
                    "    return float(np.sum(x) / np.sum(np.asarray(smoothed) @ np.asarray(grid)))\n"
                ),
            },
            {"q5", "q6", "q7"},
        ),
    ],
    "05_election_forecasting": [
        (
            "alternative: correlations from a covariance matrix, a multivariate-normal simulation, "
            "lists, ' C '",
            {
                "def error_correlation(": (
                    "def error_correlation(national_sd, region_sd, state_sd, same_region):\n"
                    "    # parts: delta, gamma_A, gamma_B, b_1, b_2\n"
                    "    load = np.array([[1, 1, 0, 1, 0], [1, int(same_region), int(not same_region), 0, 1]], dtype=float)\n"
                    "    sds = np.array([national_sd, region_sd, region_sd, state_sd, state_sd], dtype=float)\n"
                    "    cov = load @ np.diag(sds**2) @ load.T\n"
                    "    return cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])\n"
                ),
                "q5_rng = ": (
                    "q5_rng = np.random.default_rng(SEED)\n"
                    "v, c_same, c_diff = 4 + 2.25 + 9, 4 + 2.25, 4.0\n"
                    "cov = np.array([[v, c_same, c_diff], [c_same, v, c_diff], [c_diff, c_diff, v]])\n"
                    "e = q5_rng.multivariate_normal(np.zeros(3), cov, size=100_000)\n"
                    "q5_simulated_corr = (np.corrcoef(e[:, 0], e[:, 1])[0, 1], np.corrcoef(e[:, 0], e[:, 2])[0, 1])\n"
                ),
                "q6_prediction = ": 'q6_prediction = " C "\n',
                "q6_sds = ": (
                    "q6_sds = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 50.0]\n"
                    "q6_rng = np.random.default_rng(SEED)\n"
                    "q6_p_clinton = []\n"
                    "for sd in q6_sds:\n"
                    "    sims = simulate_margins(q1_averages['margin'].to_numpy(), q1_averages['se'].to_numpy(), 20_000, q6_rng, national_sd=sd)\n"
                    "    q6_p_clinton.append(float(np.mean(clinton_electoral_votes(sims, q3_ev) >= 270)))\n"
                ),
            },
            set(),
        ),
        (
            "mistakes: correlations from SDs instead of variances, a wrong prediction",
            {
                "def error_correlation(": (
                    "def error_correlation(national_sd, region_sd, state_sd, same_region):\n"
                    "    shared = national_sd + (region_sd if same_region else 0.0)\n"
                    "    return shared / (national_sd + region_sd + state_sd)\n"
                ),
                "q6_prediction = ": 'q6_prediction = "b"\n',
            },
            {"q5", "q6"},
        ),
    ],
    "06_em_algorithm": [
        (
            "alternative: pure Python loops and lists",
            {
                "def n_terms(": (
                    "import math\n"
                    "def n_terms(n):\n"
                    "    return 1 << n\n\n"
                    "def brute_force_loglik(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    total = 0.0\n"
                    "    for z in itertools.product([0, 1], repeat=len(x)):\n"
                    "        p = 1.0\n"
                    "        for xi, zi in zip(x, z):\n"
                    "            mu = mu1 if zi else mu0\n"
                    "            p *= (pi if zi else 1 - pi) * math.exp(-(xi - mu) ** 2 / (2 * var)) / math.sqrt(2 * math.pi * var)\n"
                    "        total += p\n"
                    "    return math.log(total)\n"
                ),
                "def e_step(": (
                    "def e_step(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    rows = []\n"
                    "    for xi in x:\n"
                    "        a = math.log(1 - pi) - (xi - mu0) ** 2 / (2 * var)\n"
                    "        b = math.log(pi) - (xi - mu1) ** 2 / (2 * var)\n"
                    "        m = max(a, b)\n"
                    "        s = math.exp(a - m) + math.exp(b - m)\n"
                    "        rows.append([math.exp(a - m) / s, math.exp(b - m) / s])\n"
                    "    return rows\n"
                ),
                "def m_step(": (
                    "def m_step(x, resp):\n"
                    "    n = len(x)\n"
                    "    n0, n1 = sum(r[0] for r in resp), sum(r[1] for r in resp)\n"
                    "    mu0 = sum(r[0] * xi for r, xi in zip(resp, x)) / n0\n"
                    "    mu1 = sum(r[1] * xi for r, xi in zip(resp, x)) / n1\n"
                    "    var = sum(r[0] * (xi - mu0) ** 2 + r[1] * (xi - mu1) ** 2 for r, xi in zip(resp, x)) / n\n"
                    "    return [mu0, mu1, var, n1 / n]\n"
                ),
                "def log_likelihood(": (
                    "def log_likelihood(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    c = -0.5 * math.log(2 * math.pi * var)\n"
                    "    total = 0.0\n"
                    "    for xi in x:\n"
                    "        a = math.log(1 - pi) + c - (xi - mu0) ** 2 / (2 * var)\n"
                    "        b = math.log(pi) + c - (xi - mu1) ** 2 / (2 * var)\n"
                    "        m = max(a, b)\n"
                    "        total += m + math.log(math.exp(a - m) + math.exp(b - m))\n"
                    "    return total\n\n"
                    "def lower_bound(x, theta, resp):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    c = -0.5 * math.log(2 * math.pi * var)\n"
                    "    total = 0.0\n"
                    "    for xi, r in zip(x, resp):\n"
                    "        lj = [math.log(1 - pi) + c - (xi - mu0) ** 2 / (2 * var),\n"
                    "              math.log(pi) + c - (xi - mu1) ** 2 / (2 * var)]\n"
                    "        for k in (0, 1):\n"
                    "            if r[k] > 0:\n"
                    "                total += r[k] * (lj[k] - math.log(r[k]))\n"
                    "    return total\n"
                ),
                "em_theta = theta_init": (
                    "em_theta = theta_init\n"
                    "em_logliks = [log_likelihood(x_all, em_theta)]\n"
                    "for t in range(1, 101):\n"
                    "    em_theta = m_step(x_all, e_step(x_all, em_theta))\n"
                    "    em_logliks.append(log_likelihood(x_all, em_theta))\n"
                ),
                "def poisson_em_step(": (
                    "def poisson_em_step(x, theta):\n"
                    "    lam0, lam1, pi = theta\n"
                    "    s0 = s1 = w0 = w1 = 0.0\n"
                    "    for xi in x:\n"
                    "        a = math.log(1 - pi) + xi * math.log(lam0) - lam0\n"
                    "        b = math.log(pi) + xi * math.log(lam1) - lam1\n"
                    "        r1 = 1 / (1 + math.exp(a - b)) if a - b < 700 else 0.0\n"
                    "        w0, w1 = w0 + 1 - r1, w1 + r1\n"
                    "        s0, s1 = s0 + (1 - r1) * xi, s1 + r1 * xi\n"
                    "    return (s0 / w0, s1 / w1, w1 / len(x))\n"
                ),
                "q7_prediction = ": 'q7_prediction = "(D)"\n',
                "q7_logliks = []": (
                    "q7_logliks = []\n"
                    "for start in [theta_init, (75.0, 60.0, 25.0, 0.5), (68.0, 80.0, 14.0, 0.5)]:\n"
                    "    theta = start\n"
                    "    for _ in range(200):\n"
                    "        theta = m_step(x_all, e_step(x_all, theta))\n"
                    "    q7_logliks.append(log_likelihood(x_all, theta))\n"
                ),
            },
            set(),
        ),
        (
            "alternative: float32 throughout, softmax, entr, np.average, gammaln",
            {
                "x_all = load_heights()": (
                    "import itertools\n\nimport numpy as np\nfrom scipy import special, stats\n\n"
                    "from lecture_utils.data import load_heights\n\n"
                    "x_all = load_heights()['height'].to_numpy().astype(np.float32)\n"
                    "theta_init = (60.0, 75.0, 25.0, 0.5)\n"
                ),
                "def e_step(": (
                    "def e_step(x, theta):\n"
                    "    mu0, mu1, var, pi = (np.float32(v) for v in theta)\n"
                    "    x = np.asarray(x, dtype=np.float32)\n"
                    "    lj = np.column_stack([np.log1p(-pi) - (x - mu0) ** 2 / (2 * var),\n"
                    "                          np.log(pi) - (x - mu1) ** 2 / (2 * var)])\n"
                    "    return special.softmax(lj, axis=1)\n"
                ),
                "def m_step(": (
                    "def m_step(x, resp):\n"
                    "    x, resp = np.asarray(x, dtype=np.float32), np.asarray(resp, dtype=np.float32)\n"
                    "    mu0, mu1 = np.average(x, weights=resp[:, 0]), np.average(x, weights=resp[:, 1])\n"
                    "    var = (np.sum(resp[:, 0] * (x - mu0) ** 2) + np.sum(resp[:, 1] * (x - mu1) ** 2)) / len(x)\n"
                    "    return mu0, mu1, var, np.float32(resp[:, 1].mean())\n"
                ),
                "def log_likelihood(": (
                    "def log_likelihood(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    x = np.asarray(x, dtype=np.float32)\n"
                    "    lj = np.stack([np.log1p(-pi) + stats.norm.logpdf(x, mu0, np.sqrt(var)),\n"
                    "                   np.log(pi) + stats.norm.logpdf(x, mu1, np.sqrt(var))])\n"
                    "    return special.logsumexp(lj, axis=0).sum()\n\n"
                    "def lower_bound(x, theta, resp):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    resp = np.asarray(resp)\n"
                    "    lj = np.column_stack([np.log1p(-pi) + stats.norm.logpdf(x, mu0, np.sqrt(var)),\n"
                    "                          np.log(pi) + stats.norm.logpdf(x, mu1, np.sqrt(var))])\n"
                    "    return np.sum(resp * lj) + np.sum(special.entr(resp))\n"
                ),
                "em_theta = theta_init": (
                    "em_theta = theta_init\n"
                    "em_logliks = np.zeros(101, dtype=np.float32)\n"
                    "em_logliks[0] = log_likelihood(x_all, em_theta)\n"
                    "for t in range(100):\n"
                    "    em_theta = m_step(x_all, e_step(x_all, em_theta))\n"
                    "    em_logliks[t + 1] = log_likelihood(x_all, em_theta)\n"
                    "em_theta = np.array(em_theta)\n"
                ),
                "def poisson_em_step(": (
                    "def poisson_em_step(x, theta):\n"
                    "    lam = np.array(theta[:2], dtype=np.float32)\n"
                    "    w = np.array([1 - theta[2], theta[2]], dtype=np.float32)\n"
                    "    x = np.asarray(x, dtype=np.float32)[:, None]\n"
                    "    resp = special.softmax(np.log(w) + x * np.log(lam) - lam - special.gammaln(x + 1), axis=1)\n"
                    "    lam = (resp * x).sum(axis=0) / resp.sum(axis=0)\n"
                    "    return np.array([lam[0], lam[1], resp[:, 1].mean()])\n"
                ),
                "q7_logliks = []": (
                    "ends = [theta_init, (75.0, 60.0, 25.0, 0.5), (68.0, 80.0, 14.0, 0.5)]\n"
                    "for _ in range(200):\n"
                    "    ends = [m_step(x_all, e_step(x_all, th)) for th in ends]\n"
                    "q7_logliks = [log_likelihood(x_all, th) for th in ends]\n"
                ),
            },
            set(),
        ),
        (
            "mistakes: a float count, no log space, 0 log 0, log-likelihoods one iteration late, "
            "unweighted Poisson rates",
            {
                "def n_terms(": (
                    "def n_terms(n):\n"
                    "    return 2.0 ** n\n\n"
                    "def brute_force_loglik(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    terms = [np.sum(np.where(np.array(z) == 1, np.log(pi), np.log1p(-pi))\n"
                    "                    + stats.norm.logpdf(x, np.where(np.array(z) == 1, mu1, mu0), np.sqrt(var)))\n"
                    "             for z in itertools.product([0, 1], repeat=len(x))]\n"
                    "    return float(special.logsumexp(terms))\n"
                ),
                "def e_step(": (
                    "def e_step(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    a = (1 - pi) * stats.norm.pdf(x, mu0, np.sqrt(var))\n"
                    "    b = pi * stats.norm.pdf(x, mu1, np.sqrt(var))\n"
                    "    return np.column_stack([a, b]) / (a + b)[:, None]\n"
                ),
                "def log_likelihood(": (
                    "def log_likelihood(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    sd = np.sqrt(var)\n"
                    "    return float(np.sum(np.log((1 - pi) * stats.norm.pdf(x, mu0, sd) + pi * stats.norm.pdf(x, mu1, sd))))\n\n"
                    "def lower_bound(x, theta, resp):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    sd = np.sqrt(var)\n"
                    "    lj = np.column_stack([np.log1p(-pi) + stats.norm.logpdf(x, mu0, sd),\n"
                    "                          np.log(pi) + stats.norm.logpdf(x, mu1, sd)])\n"
                    "    return float(np.sum(resp * lj) - np.sum(resp * np.log(resp)))\n"
                ),
                "em_theta = theta_init": (
                    "em_theta = theta_init\n"
                    "em_logliks = []\n"
                    "for _ in range(100):\n"
                    "    em_logliks.append(log_likelihood(x_all, em_theta))\n"
                    "    em_theta = m_step(x_all, e_step(x_all, em_theta))\n"
                    "em_logliks = np.array([em_logliks[0]] + em_logliks)\n"
                ),
                "def poisson_em_step(": (
                    "def poisson_em_step(x, theta):\n"
                    "    lam0, lam1, pi = theta\n"
                    "    x = np.asarray(x, dtype=float)\n"
                    "    lj = np.column_stack([np.log1p(-pi) + stats.poisson.logpmf(x, lam0), np.log(pi) + stats.poisson.logpmf(x, lam1)])\n"
                    "    r = np.exp(lj - special.logsumexp(lj, axis=1, keepdims=True))\n"
                    "    hard = r[:, 1] > 0.5\n"
                    "    return x[~hard].mean(), x[hard].mean(), r[:, 1].mean()  # the rates of a hard split\n"
                ),
            },
            {"q1", "q2", "q4", "q5", "q6"},
        ),
        (
            "mistakes: counting by enumerating (memory), 99 EM iterations instead of 100, a wrong "
            "prediction",
            {
                "def n_terms(": (
                    "def n_terms(n):\n"
                    "    return len(list(itertools.product([0, 1], repeat=n)))  # one C call: no alarm stops it\n\n"
                    "def brute_force_loglik(x, theta):\n"
                    "    mu0, mu1, var, pi = theta\n"
                    "    terms = [np.sum(np.where(np.array(z) == 1, np.log(pi), np.log1p(-pi))\n"
                    "                    + stats.norm.logpdf(x, np.where(np.array(z) == 1, mu1, mu0), np.sqrt(var)))\n"
                    "             for z in itertools.product([0, 1], repeat=len(x))]\n"
                    "    return float(special.logsumexp(terms))\n"
                ),
                "em_theta = theta_init": (
                    "em_theta = theta_init\n"
                    "em_logliks = [log_likelihood(x_all, em_theta)]\n"
                    "for _ in range(99):\n"
                    "    em_theta = m_step(x_all, e_step(x_all, em_theta))\n"
                    "    em_logliks.append(log_likelihood(x_all, em_theta))\n"
                    "em_logliks = np.array(em_logliks)\n"
                ),
                "q7_prediction = ": 'q7_prediction = "c"\n',
            },
            {"q1", "q5", "q7"},
        ),
    ],
}


def answered(solutions: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The solutions notebook as a student would hand it in: Otter keeps the answer cell of each
    written question (``otter_answer_cell``, "_Type your answer here..._") and puts the model
    answer in the next cell (``otter_assign_solution_cell``); the answer goes into the answer cell."""
    nb = nbformat.from_dict(json.loads(json.dumps(solutions)))
    for cell, after in zip(nb.cells, nb.cells[1:]):
        if "otter_answer_cell" in cell.metadata.get(
            "tags", []
        ) and "otter_assign_solution_cell" in after.metadata.get("tags", []):
            cell.source = after.source
    return nb


def realistic(solutions: nbformat.NotebookNode, changes: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(solutions)))

    def cell_with(key):
        (cell,) = [c for c in nb.cells if c.cell_type == "code" and key in c.source]
        return cell

    for key, source in changes.items():
        if key == "+end":
            nb.cells.insert(
                nb.cells.index(cell_with("grader.check_all()")), nbformat.v4.new_code_cell(source)
            )
        elif key.startswith("+after:"):
            nb.cells.insert(
                nb.cells.index(cell_with(key[len("+after:") :])) + 1,
                nbformat.v4.new_code_cell(source),
            )
        else:
            cell_with(key).source = source
    return nb


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
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *pips.pop(),
            "jupyter_server",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    probe = subprocess.run(
        [str(python), "-c", "import lecture_utils"],
        capture_output=True,
        text=True,
        cwd=tmp_path_factory.mktemp("probe"),
    )
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
                built = list(
                    pool.map(
                        lambda n: build_exercises.assign(
                            build_exercises.EXERCISES / f"{n}.ipynb", tmp, run_tests=False
                        ),
                        missing,
                    )
                )
            for b in built:
                test_exercises._BUILT[b.name] = b
        for name in NAMES:
            b = test_exercises._BUILT[name]
            _ZIPS[name] = b.autograder_zip
            _ZIPS[name + ":solutions"] = b.solutions
    return _ZIPS


def otter_run_clean(
    python: pathlib.Path,
    autograder_zip: pathlib.Path,
    notebook: nbformat.NotebookNode,
    work: pathlib.Path,
    name: str,
) -> dict:
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

    def machine_safe():  # should the guard's memory cap fail, the kernel must not take the machine
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (6 * 2**30, 6 * 2**30))

    start = time.monotonic()
    done = subprocess.run(
        [
            str(python),
            "-m",
            "otter",
            "run",
            "--no-logo",
            "-a",
            str(autograder_zip),
            "-o",
            str(out),
            str(submission),
        ],
        preexec_fn=machine_safe,
        capture_output=True,
        text=True,
        cwd=source,
        env=env,
        timeout=900,
    )
    seconds = time.monotonic() - start
    results = (
        json.loads((out / "results.json").read_text()) if (out / "results.json").is_file() else None
    )
    return {
        "returncode": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "results": results,
        "seconds": seconds,
    }


_GRADED: dict[str, dict] = {}


@pytest.fixture(scope="session")
def graded_clean(clean_python, tmp_path_factory):
    """Solutions and hostile notebook of every exercise, graded in the clean environment."""
    if not _GRADED:
        root = tmp_path_factory.mktemp("hardening-runs")
        jobs = {}
        for name in NAMES:
            solutions = nbformat.read(zips()[name + ":solutions"], as_version=4)
            jobs[(name, "solutions")] = (answered(solutions), None)
            if name in HOSTILE:
                jobs[(name, "hostile")] = hostile(solutions, name)
            for label, changes, lost in REALISTIC.get(name, []):
                jobs[(name, label)] = (realistic(solutions, changes), lost)
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            futures = {
                key: pool.submit(
                    otter_run_clean,
                    clean_python,
                    zips()[key[0]],
                    nb,
                    root / f"{key[0]}-{re.sub(r'[^a-z0-9]+', '-', key[1])}",
                    key[0],
                )
                for key, (nb, _) in jobs.items()
            }
            for key, future in futures.items():
                _GRADED[key] = {**future.result(), "lost": jobs[key][1]}
    return _GRADED


def per_question(run: dict) -> dict[str, tuple[float, float]]:
    assert run["returncode"] == 0 and run["results"] is not None, (
        f"otter run failed (exit {run['returncode']}):\n{run['stdout'][-3000:]}\n{run['stderr'][-3000:]}"
    )
    return {
        t["name"]: (t["score"], t["max_score"])
        for t in run["results"]["tests"]
        if t.get("max_score") is not None
    }


@pytest.mark.parametrize("name", NAMES)
def test_solutions_get_full_marks_in_the_clean_environment(name, graded_clean):
    scores = per_question(graded_clean[(name, "solutions")])
    assert scores and all(got == possible for got, possible in scores.values()), scores


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_submission_loses_exactly_the_questions_it_breaks(name, graded_clean):
    run = graded_clean[(name, "hostile")]
    scores = per_question(run)
    lost = {q for q, (got, possible) in scores.items() if got < possible}
    assert lost == run["lost"], (
        f"{name}: expected to lose {sorted(run['lost'])}, lost {sorted(lost)}: {scores}"
    )
    assert all(scores[q][0] == 0 for q in lost), scores
    outputs = "\n".join(t.get("output", "") for t in run["results"]["tests"])
    assert "raised SystemExit" in outputs and "time limit" in outputs


@pytest.mark.parametrize(
    "name, label", [(n, label) for n, subs in REALISTIC.items() for label, _, _ in subs]
)
def test_realistic_submission_loses_exactly_its_mistakes_with_the_failing_line(
    name, label, graded_clean
):
    run = graded_clean[(name, label)]
    scores = per_question(run)
    lost = {q for q, (got, possible) in scores.items() if got < possible}
    assert lost == run["lost"], (
        f"{name}, {label}: expected to lose {sorted(run['lost'])}, lost {sorted(lost)}: {scores}"
    )
    outputs = "\n".join(t.get("output", "") for t in run["results"]["tests"])
    failures = re.findall(r"Error at line \d+ in test (\w+):\n(.*)\n\s*(\w+): (.*)", outputs)
    assert {q for q, _, _, _ in failures} == lost, outputs[:3000]
    for question, line, error, message in failures:
        assert error == "AssertionError" and len(message) > 20, (question, error, message)
        # the line Otter shows is the test's failing line, never one of its helpers' `def` lines
        assert not line.strip().startswith("def "), (question, line, message)
    # every grading ends: the loop that ignores the kernel's alarm is stopped from outside
    assert run["seconds"] < guard_limits(name)["cell_seconds"] + 240, run["seconds"]


@pytest.mark.parametrize("name", NAMES)
def test_written_answers_reach_results_json_with_their_points(name, graded_clean):
    output = graded_clean[(name, "solutions")]["results"].get("output", "")
    for q in questions(read_master(name)):
        if q["config"].get("manual"):
            header = f"--- {q['config']['name']} ({q['config']['points']} points) ---\n"
            assert header in output, output[:500]
            model = next(c.source for c in q["solution"] if c.cell_type == "markdown").strip()
            assert header + model[:60] in output, output[:1500]


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
        assert written == [
            [q["config"]["name"], q["config"]["points"]]
            for q in questions(read_master(name))
            if q["config"].get("manual")
        ]
    # the clean environment really is clean: the plugin cannot come from this repository
    probe = subprocess.run(
        [str(clean_python), "-c", "import lecture_utils.otter_guard"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert probe.returncode != 0


# ---------------------------------------------------------------------------------------------
# The student repository (make student-repo)


def _student_repo_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "student_repo", ROOT / "scripts" / "student_repo.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def student_repo(tmp_path_factory):
    dest = tmp_path_factory.mktemp("student-repo") / "lvm-student"
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "student-repo",
            f"DEST={dest}",
            f"VENV={pathlib.Path(sys.executable).parent.parent}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dest


def test_student_repo_holds_no_master_hidden_test_or_solution(student_repo):
    files = [p for p in student_repo.rglob("*") if p.is_file()]
    rel = {p.relative_to(student_repo).as_posix() for p in files}
    assert {
        "README.md",
        "Makefile",
        "requirements.txt",
        "pyproject.toml",
        "lecture_utils/data.py",
        "data/heights.csv",
        "notebooks/00_start_here.ipynb",
        "scripts/setup.py",  # make lab's set-up, the same as the instructors'
        "environment.yml",  # Binder
        "postBuild",
        "jupyter/labextensions/lecture-companion-a11y/static/remoteEntry.js",
    } <= rel
    for name in NAMES:
        assert f"notebooks/exercises/student/{name}/{name}.ipynb" in rel
        assert f"notebooks/exercises/{name}.ipynb" not in rel, (
            "a master reached the student repository"
        )
        assert f"notebooks/{name}.ipynb" in rel
    assert not [r for r in rel if r.endswith((".zip", "-solutions.ipynb")) or "otter_guard" in r]

    def read(paths):
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in paths
            if p.suffix in (".ipynb", ".py", ".md", ".txt", ".toml", "")
        )

    # Exercise notebooks and the files written for students: no solution line at all. The lecture
    # notebooks and lecture_utils are course material that shares generic lines with the
    # solutions (`x = np.asarray(x, dtype=float)`): there no whole solution block may appear.
    # (in the exercise notebooks, code cells: the prompts may name the call to make, as the masters do)
    exercise_text = read([p for p in files if p.parent == student_repo]) + "\n".join(
        c.source
        for p in files
        if "exercises" in p.parts and p.suffix == ".ipynb"
        for c in nbformat.read(p, as_version=4).cells
        if c.cell_type == "code"
    )
    course_text = read(
        [p for p in files if "exercises" not in p.parts and p.parent != student_repo]
    )
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
                    assert " ".join(lines) not in squeezed, (
                        f"{name}: a solution block in the course material"
                    )
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
    done = subprocess.run(
        ["make", "--no-print-directory", "setup", f"PYTHON={sys.executable}"],
        cwd=student_repo,
        capture_output=True,
        text=True,
        timeout=1500,
    )
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
    done = subprocess.run(
        [str(python), "-c", script], cwd=work, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and "public check passed" in done.stdout, (
        done.stdout[-2000:] + done.stderr[-2000:]
    )
    assert str(student_repo) in python.as_posix()  # the student repository's own venv


def test_otter_assign_by_hand_on_a_master_stops_with_one_line_pointing_to_make_exercises(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "otter",
            "assign",
            f"{NAMES[1]}.ipynb",
            str(tmp_path / "out"),
            "--no-run-tests",
        ],
        cwd=build_exercises.EXERCISES,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and "make exercises" in lines[0], lines[-5:]
    assert not list((tmp_path / "out").rglob("*.zip"))


# ---------------------------------------------------------------------------------------------
# The plugin's own pieces (fast)


def test_guard_settings_are_checked():
    from lecture_utils import otter_guard

    assert otter_guard.GuardPlugin("x.ipynb", {}, {})._limits() == otter_guard.DEFAULTS
    for bad in (
        {"cell_seconds": 0},
        {"test_seconds": "10"},
        {"output_chars": True},
        {"cell_second": 5},
    ):
        with pytest.raises(ValueError, match="otter_guard"):
            otter_guard.GuardPlugin("x.ipynb", {}, bad)._limits()


def test_written_answers_are_collected_in_order_with_their_points():
    from lecture_utils import otter_guard

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("prompt"),
            nbformat.v4.new_markdown_cell(
                "My answer: the SDs are close.", metadata={"tags": ["otter_answer_cell"]}
            ),
            nbformat.v4.new_markdown_cell(
                "_Type your answer here, replacing this text._",
                metadata={"tags": ["otter_answer_cell"]},
            ),
        ]
    )
    text = otter_guard.written_answers(nb, [["q5", 2], ["q6", 3]])
    assert "--- q5 (2 points) ---\nMy answer: the SDs are close." in text
    assert "--- q6 (3 points) ---\n(not answered)" in text
    assert otter_guard.written_answers(nb, []) == ""


def test_guard_cell_caps_memory_and_restores_builtins_after_each_cell():
    script = r"""
import builtins, resource
from IPython.core.interactiveshell import InteractiveShell
from lecture_utils import otter_guard
shell = InteractiveShell.instance()
limits = dict(otter_guard.DEFAULTS, memory_mb=700)
shell.run_cell(otter_guard.GUARD_CELL.replace("__LIMITS__", repr(limits))).raise_error()
assert resource.getrlimit(resource.RLIMIT_DATA)[0] == 700 * 2**20
result = shell.run_cell("import itertools\nn = len(list(itertools.product([0, 1], repeat=100)))")
assert isinstance(result.error_in_exec, MemoryError), result.error_in_exec
original = builtins.isinstance
shell.run_cell("import builtins\nbuiltins.isinstance = lambda obj, cls: True")
assert builtins.isinstance is original
print("guarded")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: __import__("resource").setrlimit(
            __import__("resource").RLIMIT_DATA, (4 * 2**30, 4 * 2**30)
        ),
    )
    assert done.returncode == 0 and "guarded" in done.stdout, (
        done.stdout[-2000:] + done.stderr[-3000:]
    )


def test_guard_cells_are_valid_python_and_the_digest_sees_every_change(tmp_path):
    import ast

    from lecture_utils import otter_guard

    ast.parse(otter_guard.GUARD_CELL.replace("__LIMITS__", repr(otter_guard.DEFAULTS)))
    ast.parse(
        otter_guard.RESTORE_CELL.replace("__OTTER_STATE__", "s")
        .replace("__FILES__", "{}")
        .replace("__LIMITS__", "{}")
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "tests" / "q1.py").write_text("x = 1\n")
    (tmp_path / "data" / "heights.csv").write_text("sex,height\n")
    before = otter_guard.digest(otter_guard._protected_files(tmp_path))
    (tmp_path / "data" / "heights.csv").write_text("sex,height\nMale,70\n")
    assert otter_guard.digest(otter_guard._protected_files(tmp_path)) != before

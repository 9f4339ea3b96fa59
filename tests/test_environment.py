"""The environment files agree, and every notebook import is installed by requirements.txt."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys

import nbformat
import pytest
import yaml

from conftest import ROOT
from lecture_utils.environment import _PIN as PIN


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {line!r} is not an exact `name==version` pin"
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pins = {}
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            match = PIN.match(entry)
            if match:
                pins[canonical(match.group(1))] = match.group(2)
    return pins


BASE = read_pins(ROOT / "requirements.txt")
DEV = read_pins(ROOT / "requirements-dev.txt")


def test_environment_yml_has_the_same_pins_as_requirements():
    env = environment_pins()
    assert env == BASE, (
        "environment.yml and requirements.txt disagree: "
        f"only in environment.yml {sorted(set(env.items()) - set(BASE.items()))}, "
        f"only in requirements.txt {sorted(set(BASE.items()) - set(env.items()))}"
    )


def test_environment_yml_comments_every_line():
    for number, line in enumerate((ROOT / "environment.yml").read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            assert "#" in line, f"environment.yml line {number} has no comment: {line!r}"


def test_dev_requirements_do_not_repin_student_packages():
    assert not set(BASE) & set(DEV)


@pytest.mark.parametrize("name", sorted({**BASE, **DEV}))
def test_installed_version_matches_pin(name):
    pinned = {**BASE, **DEV}[name]
    assert md.version(name) == pinned, f"{name}: installed {md.version(name)}, pinned {pinned}"


def _requirement_closure(roots) -> set[str]:
    """Every distribution installed because of ``roots`` (following Requires-Dist)."""
    seen: set[str] = set()
    todo = list(roots)
    env = {"extra": ""}
    from packaging.requirements import Requirement

    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate(env):
                todo.append(req.name)
    return seen


def notebook_imports(path) -> set[str]:
    nb = nbformat.read(path, as_version=4)
    modules: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        # Drop IPython magics and shell escapes, which are not Python syntax.
        lines = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError as exc:
            pytest.fail(f"{path.name}: a code cell is not valid Python ({exc})")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


ALL_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_notebook_import_is_installed_by_requirements_txt(path):
    closure = _requirement_closure(BASE)
    providers = md.packages_distributions()
    missing = []
    for module in sorted(notebook_imports(path)):
        if module in sys.stdlib_module_names or module == "lecture_utils":
            continue
        dists = {canonical(d) for d in providers.get(module, [])}
        if not dists & closure:
            missing.append(f"{module} (from {sorted(dists) or 'nothing installed'})")
    assert not missing, f"{path.name} imports modules requirements.txt does not install: {missing}"


def test_the_import_scanner_sees_imports():
    # Guard against the scanner silently finding nothing.
    assert {"numpy", "lecture_utils"} <= notebook_imports(ROOT / "notebooks" / "00_start_here.ipynb")

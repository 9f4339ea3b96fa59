"""The environment files agree, and every notebook import is installed by requirements.txt."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys

import nbformat
import pytest
import yaml
from packaging.markers import Marker

from conftest import ROOT
from lecture_utils.environment import _PIN as PIN
from lecture_utils.environment import pinned_versions


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path, environment: dict[str, str] | None = None) -> dict[str, str]:
    """The exact pins of a requirements file that apply in ``environment`` (this interpreter
    by default); every non-comment line must be an exact ``name==version`` pin."""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert PIN.match(line), f"{path.name}: {line!r} is not an exact `name==version` pin"
    return {canonical(name): version
            for name, version in pinned_versions(path, environment).items()}


ENVIRONMENT_YML = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
SUPPORTED_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def environment_pins() -> dict[str, str]:
    pins = {}
    for dep in ENVIRONMENT_YML["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            match = PIN.match(entry)
            if match:
                pins[canonical(match.group(1))] = match.group(2)
    return pins


def environment_python_floor() -> str:
    """The lowest Python environment.yml allows (``python>=3.11,<3.14`` -> "3.11")."""
    spec = next(d for d in ENVIRONMENT_YML["dependencies"]
                if isinstance(d, str) and d.startswith("python"))
    match = re.search(r">=\s*(3\.\d+)", spec)
    assert match, f"environment.yml: {spec!r} has no lower bound"
    return match.group(1)


BASE = read_pins(ROOT / "requirements.txt")
DEV = read_pins(ROOT / "requirements-dev.txt")


def test_environment_yml_has_the_same_pins_as_requirements():
    """conda cannot read pip's environment markers: environment.yml must equal the pins that
    apply on its lowest Python (and, by the test below, on every supported Python)."""
    env = environment_pins()
    base = read_pins(ROOT / "requirements.txt", {"python_version": environment_python_floor()})
    assert env == base, (
        "environment.yml and requirements.txt disagree: "
        f"only in environment.yml {sorted(set(env.items()) - set(base.items()))}, "
        f"only in requirements.txt {sorted(set(base.items()) - set(env.items()))}"
    )


@pytest.mark.parametrize("path", ["requirements.txt", "requirements-dev.txt"])
def test_every_supported_python_gets_one_pin_per_package(path):
    """A pin behind a marker (``; python_version < "3.11"``) has a partner for the other
    Pythons: every supported Python installs the same packages, each exactly once."""
    lines = [ln.split("#", 1)[0].strip()
             for ln in (ROOT / path).read_text(encoding="utf-8").splitlines()]
    names = {canonical(PIN.match(ln).group(1)) for ln in lines if ln}
    for python in SUPPORTED_PYTHONS:
        applies = [canonical(PIN.match(ln).group(1)) for ln in lines if ln and (
            ";" not in ln or Marker(ln.split(";", 1)[1]).evaluate({"python_version": python}))]
        assert sorted(applies) == sorted(names), (
            f"{path} on Python {python}: pins {sorted(applies)}, packages {sorted(names)}")


def test_pinned_versions_follows_markers(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text('a==1.0  # always\n'
                   'b==2.0; python_version >= "3.11"  # new Pythons\n'
                   'b==1.5; python_version < "3.11"\n', encoding="utf-8")
    assert read_pins(req, {"python_version": "3.10"}) == {"a": "1.0", "b": "1.5"}
    assert read_pins(req, {"python_version": "3.12"}) == {"a": "1.0", "b": "2.0"}
    req.write_text('a==1.0; python_version >> "3"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 1.*not a valid requirement"):
        pinned_versions(req)


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

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
from packaging.markers import Marker

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
    return {
        canonical(name): version for name, version in pinned_versions(path, environment).items()
    }


ENVIRONMENT_YML = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13", "3.14", "3.15"]
# The one marker split (see requirements.txt): 3.11-3.14 get the set CI tests, 3.15 its own.
CI_TESTED_PYTHONS = ["3.11", "3.12", "3.13", "3.14"]


def environment_pip_lines() -> list[str]:
    """The requirement lines environment.yml hands to pip (markers kept, ``-e .`` left out)."""
    pip = next(d["pip"] for d in ENVIRONMENT_YML["dependencies"] if isinstance(d, dict))
    return [entry for entry in pip if not entry.startswith("-e")]


def requirement_lines(path) -> list[str]:
    return [
        ln.split("#", 1)[0].strip()
        for ln in path.read_text(encoding="utf-8").splitlines()
        if ln.split("#", 1)[0].strip()
    ]


def environment_python_range() -> tuple[str, str]:
    """environment.yml's ``python>=3.11,<3.16`` -> ("3.11", "3.16")."""
    spec = next(
        d for d in ENVIRONMENT_YML["dependencies"] if isinstance(d, str) and d.startswith("python")
    )
    low, high = re.search(r">=\s*(3\.\d+)", spec), re.search(r"<\s*(3\.\d+)", spec)
    assert low and high, f"environment.yml: {spec!r} needs a lower and an upper bound"
    return low.group(1), high.group(1)


BASE = read_pins(ROOT / "requirements.txt")
DEV = read_pins(ROOT / "requirements-dev.txt")


def test_environment_yml_has_the_same_pins_as_requirements():
    """conda has no environment markers, so environment.yml hands pip the very lines of
    requirements.txt, markers and all: the same pins on every supported Python."""
    assert environment_pip_lines() == requirement_lines(ROOT / "requirements.txt"), (
        "environment.yml's pip section and requirements.txt disagree: "
        f"only in environment.yml {sorted(set(environment_pip_lines()) - set(requirement_lines(ROOT / 'requirements.txt')))}, "
        f"only in requirements.txt {sorted(set(requirement_lines(ROOT / 'requirements.txt')) - set(environment_pip_lines()))}"
    )


def test_every_file_names_the_same_supported_pythons():
    import tomllib

    low, high = environment_python_range()
    assert (low, high) == ("3.11", "3.16"), "environment.yml: python>=3.11,<3.16 expected"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == ">=3.11,<3.16"
    assert pyproject["tool"]["ruff"]["target-version"] == "py311"
    setup = (ROOT / "scripts" / "setup.py").read_text(encoding="utf-8")
    assert "SUPPORTED = ((3, 11), (3, 15))" in setup


def test_one_split_nearly_every_student_gets_what_ci_tests():
    """Python 3.11-3.14 install exactly the pins CI tests on this machine's Python; only 3.15
    differs, and only in the pins whose 3.14 releases have no 3.15 wheels."""
    tested = read_pins(ROOT / "requirements.txt", {"python_version": "3.11"})
    for python in CI_TESTED_PYTHONS:
        assert read_pins(ROOT / "requirements.txt", {"python_version": python}) == tested
    newest = read_pins(ROOT / "requirements.txt", {"python_version": "3.15"})
    assert set(newest) == set(tested)
    assert sorted(n for n in tested if tested[n] != newest[n]) == ["numpy", "scipy"]
    markers = {
        ln.split(";", 1)[1].strip()
        for ln in requirement_lines(ROOT / "requirements.txt")
        if ";" in ln
    }
    assert markers == {'python_version < "3.15"', 'python_version >= "3.15"'}, markers


@pytest.mark.parametrize("path", ["requirements.txt", "requirements-dev.txt"])
def test_every_supported_python_gets_one_pin_per_package(path):
    """A pin behind a marker (``; python_version < "3.11"``) has a partner for the other
    Pythons: every supported Python installs the same packages, each exactly once."""
    lines = [
        ln.split("#", 1)[0].strip() for ln in (ROOT / path).read_text(encoding="utf-8").splitlines()
    ]
    names = {canonical(PIN.match(ln).group(1)) for ln in lines if ln}
    for python in SUPPORTED_PYTHONS:
        applies = [
            canonical(PIN.match(ln).group(1))
            for ln in lines
            if ln
            and (";" not in ln or Marker(ln.split(";", 1)[1]).evaluate({"python_version": python}))
        ]
        assert sorted(applies) == sorted(names), (
            f"{path} on Python {python}: pins {sorted(applies)}, packages {sorted(names)}"
        )


def test_pinned_versions_follows_markers(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(
        "a==1.0  # always\n"
        'b==2.0; python_version >= "3.11"  # new Pythons\n'
        'b==1.5; python_version < "3.11"\n',
        encoding="utf-8",
    )
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


ALL_NOTEBOOKS = sorted(
    p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


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
    assert {"numpy", "lecture_utils"} <= notebook_imports(
        ROOT / "notebooks" / "00_start_here.ipynb"
    )

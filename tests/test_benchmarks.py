"""The benchmark scripts are not run by ``make test`` (they time things), so check here that
everything they import from ``lecture_utils`` and the test helpers exists: a renamed function
must not break ``make bench`` unnoticed."""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))


def _imports(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and (node.module.split(".")[0] in {"lecture_utils", "browser_helpers"})
        ):
            for alias in node.names:
                yield node.module, alias.name


def test_there_are_benchmark_scripts():
    assert any(p.name.startswith("bench_") for p in SCRIPTS)


def _exists(module: str, name: str) -> bool:
    if hasattr(importlib.import_module(module), name):
        return True
    try:  # a submodule: from lecture_utils import hmm
        importlib.import_module(f"{module}.{name}")
        return True
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_imports_resolve(path):
    missing = [f"{module}.{name}" for module, name in _imports(path) if not _exists(module, name)]
    assert not missing, f"{path.name} imports names that no longer exist: {missing}"

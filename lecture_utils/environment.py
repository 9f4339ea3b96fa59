"""The environment check of ``00_start_here``: are the pinned packages the ones installed?"""

from __future__ import annotations

import importlib.metadata as md
import pathlib
import re
import sys

from packaging.requirements import InvalidRequirement, Requirement

__all__ = ["check_environment", "pinned_versions"]

REQUIREMENTS = pathlib.Path(__file__).resolve().parent.parent / "requirements.txt"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s#;]+)")


def pinned_versions(
    path: str | pathlib.Path = REQUIREMENTS, environment: dict[str, str] | None = None
) -> dict[str, str]:
    """``{package: version}`` for every ``name==version`` line of a requirements file.

    A line with an environment marker (``ipykernel==6.31.0; python_version < "3.11"``) counts
    only where its marker holds: in this interpreter, or in ``environment`` (marker variables
    such as ``{"python_version": "3.10"}``) when given.
    """
    pins = {}
    for number, line in enumerate(pathlib.Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        match = _PIN.match(text)
        if not match:
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            raise ValueError(
                f"{path}, line {number}: {text!r} is not a valid requirement ({exc})"
            ) from None
        if requirement.marker is None or requirement.marker.evaluate(environment):
            pins[match.group(1)] = match.group(2)
    return pins


def check_environment(path: str | pathlib.Path = REQUIREMENTS, echo: bool = True) -> bool:
    """Compare installed versions with the pins; print a table. True when all match.

    A mismatch is not fatal (a conda user may have a newer patch release), but it is the first
    thing to look at when a notebook behaves differently from its committed outputs.
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - says so plainly if run on an older Python
        raise RuntimeError(f"Python >= 3.11 is needed, this is {sys.version.split()[0]}")
    rows, ok = [], True
    for name, pinned in pinned_versions(path).items():
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            installed = "MISSING"
        match = installed == pinned
        ok &= match
        rows.append(f"{name:<20} {installed:<12} {pinned:<12} {'ok' if match else '<-- differs'}")
    if echo:
        print(f"{'package':<20} {'installed':<12} {'pinned':<12}")
        print("\n".join(rows))
        print(
            "\nAll pinned versions installed."
            if ok
            else "\nSome versions differ from requirements.txt: run `make lab` to use the pinned set."
        )
    return ok

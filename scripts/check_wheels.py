"""Does every pin install from wheels alone, on every Python and OS a student may have?

For each of the 25 pairs (Python 3.11-3.15 x Linux x86_64, Linux aarch64, macOS arm64,
macOS x86_64, Windows amd64) this asks pip's own resolver, against PyPI:

    pip install --dry-run --ignore-installed --only-binary=:all: \
        --python-version 3.14 --platform ... --target <tmp> -r requirements.txt

and prints a table. pip evaluates environment markers (``; python_version >= "3.15"``, and the
markers inside every dependency's metadata, such as ``pywinpty; os_name == "nt"``) against the
interpreter that runs it, not against ``--python-version``/``--platform``; so each pip run
here is told the target's marker values (python_version, sys_platform, platform_machine,
os_name, ...) before it resolves. Needs the network to PyPI (CI has it).

    python scripts/check_wheels.py                 # requirements.txt must pass 25/25 (exit 1 if not);
                                                   # requirements-dev.txt reported, not failing
    python scripts/check_wheels.py --only 3.15     # one Python (repeatable), for a quick look
    python scripts/check_wheels.py --strict-dev    # fail on requirements-dev.txt too

A failure names the pin pip could not find a wheel for, and the pair.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYTHONS = ["3.11", "3.12", "3.13", "3.14", "3.15"]

# name -> (pip --platform tags, marker environment). pip expands a macOS tag to every older
# macOS release, but not a manylinux one, so the glibc levels numpy & co. ship are listed.
PLATFORMS: dict[str, tuple[list[str], dict[str, str]]] = {
    "linux-x86_64": (
        [
            "manylinux_2_28_x86_64",
            "manylinux_2_27_x86_64",
            "manylinux_2_24_x86_64",
            "manylinux_2_17_x86_64",
            "manylinux2014_x86_64",
            "manylinux_2_12_x86_64",
            "manylinux2010_x86_64",
            "manylinux_2_5_x86_64",
            "manylinux1_x86_64",
            "linux_x86_64",
        ],
        {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "x86_64",
            "os_name": "posix",
        },
    ),
    "linux-aarch64": (
        [
            "manylinux_2_28_aarch64",
            "manylinux_2_27_aarch64",
            "manylinux_2_24_aarch64",
            "manylinux_2_17_aarch64",
            "manylinux2014_aarch64",
            "linux_aarch64",
        ],
        {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "aarch64",
            "os_name": "posix",
        },
    ),
    "macos-arm64": (
        ["macosx_14_0_arm64", "macosx_14_0_universal2"],
        {
            "sys_platform": "darwin",
            "platform_system": "Darwin",
            "platform_machine": "arm64",
            "os_name": "posix",
        },
    ),
    "macos-x86_64": (
        ["macosx_13_0_x86_64", "macosx_13_0_universal2"],
        {
            "sys_platform": "darwin",
            "platform_system": "Darwin",
            "platform_machine": "x86_64",
            "os_name": "posix",
        },
    ),
    "win-amd64": (
        ["win_amd64"],
        {
            "sys_platform": "win32",
            "platform_system": "Windows",
            "platform_machine": "AMD64",
            "os_name": "nt",
        },
    ),
}

# Runs pip in-process after pointing its marker evaluation at the target (see the docstring).
_PIP_WITH_TARGET_MARKERS = """
import json, sys
import pip._vendor.packaging.markers as markers
_env = json.loads(sys.argv[1])
_default = markers.default_environment
markers.default_environment = lambda: {**_default(), **_env}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def marker_environment(python: str, platform: str) -> dict[str, str]:
    env = dict(PLATFORMS[platform][1])
    env.update(
        python_version=python,
        python_full_version=f"{python}.0",
        implementation_name="cpython",
        platform_python_implementation="CPython",
        implementation_version=f"{python}.0",
    )
    return env


def pip_command(
    python: str,
    platform: str,
    requirements: list[pathlib.Path],
    target: str,
    report: str,
    constraints: list[pathlib.Path] = (),
) -> list[str]:
    cmd = [
        sys.executable,
        "-c",
        _PIP_WITH_TARGET_MARKERS,
        json.dumps(marker_environment(python, platform)),
        "install",
        "--dry-run",
        "--ignore-installed",
        "--only-binary=:all:",
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--target",
        target,
        "--report",
        report,
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        # Ask PyPI itself, not a local mirror or wheel folder a machine may be set up with.
        "--isolated",
        "--index-url",
        "https://pypi.org/simple",
    ]
    cert = os.environ.get("PIP_CERT") or os.environ.get("REQUESTS_CA_BUNDLE")
    if cert:
        cmd += ["--cert", cert]
    for tag in PLATFORMS[platform][0]:
        cmd += ["--platform", tag]
    for path in requirements:
        cmd += ["-r", str(path)]
    for path in constraints:
        cmd += ["-c", str(path)]
    return cmd


_NO_MATCH = re.compile(r"No matching distribution found for (\S+)")
_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement (\S+)")


def explain(stderr: str) -> str:
    """The pin pip could not satisfy, from its error output."""
    for pattern in (_NO_MATCH, _NO_VERSION):
        found = pattern.findall(stderr)
        if found:
            return found[-1]
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    conflict = [ln for ln in lines if "conflict" in ln.lower() or "requires" in ln.lower()]
    return (conflict or lines or ["pip failed without a message"])[-1][:160]


def resolve(
    python: str,
    platform: str,
    requirements: list[pathlib.Path],
    constraints: list[pathlib.Path] = (),
    retries: int = 2,
) -> tuple[bool, str]:
    """(ok, detail): detail is the number of distributions, or the pin that failed."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        for attempt in range(retries + 1):
            proc = subprocess.run(
                pip_command(
                    python, platform, requirements, os.path.join(tmp, "t"), report, constraints
                ),
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if proc.returncode == 0:
                with open(report, encoding="utf-8") as fh:
                    n = len(json.load(fh)["install"])
                return True, f"{n} wheels"
            detail = explain(proc.stderr)
            network = any(
                w in proc.stderr
                for w in ("ConnectionError", "Max retries", "Temporary failure", "timed out")
            )
            if not network or attempt == retries:
                return False, detail
            time.sleep(5)
    return False, "unreachable"


def check(
    requirements: list[pathlib.Path],
    pythons: list[str],
    jobs: int,
    constraints: list[pathlib.Path] = (),
) -> dict[tuple[str, str], tuple[bool, str]]:
    pairs = [(py, plat) for py in pythons for plat in PLATFORMS]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pair: pool.submit(resolve, *pair, requirements, constraints) for pair in pairs}
        return {pair: fut.result() for pair, fut in futures.items()}


def table(title: str, results: dict[tuple[str, str], tuple[bool, str]], pythons: list[str]) -> str:
    width = max(len(p) for p in PLATFORMS) + 2
    lines = [title, "python  " + "".join(f"{p:<{width}}" for p in PLATFORMS)]
    for py in pythons:
        cells = ["ok" if results[(py, plat)][0] else "NO WHEEL" for plat in PLATFORMS]
        lines.append(f"{py:<8}" + "".join(f"{c:<{width}}" for c in cells))
    ok = sum(r[0] for r in results.values())
    lines.append(f"{ok}/{len(results)} pairs install from wheels alone")
    for (py, plat), (good, detail) in sorted(results.items()):
        if not good:
            lines.append(f"  Python {py} on {plat}: no wheel for {detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=PYTHONS,
        metavar="3.X",
        help="check only this Python (repeatable)",
    )
    parser.add_argument(
        "--jobs", type=int, default=8, help="pip runs at once (default 8; mostly waiting on PyPI)"
    )
    parser.add_argument(
        "--strict-dev",
        action="store_true",
        help="also fail when requirements-dev.txt misses a pair",
    )
    parser.add_argument("--skip-dev", action="store_true", help="check requirements.txt only")
    args = parser.parse_args(argv)
    pythons = args.only or PYTHONS

    import pip

    if int(pip.__version__.split(".")[0]) < 26:
        print(
            f"check_wheels: pip {pip.__version__} checks Requires-Python against this "
            "Python, not --python-version; run it with the pinned pip "
            "(requirements-dev.txt): make check-wheels",
            file=sys.stderr,
        )
        return 2
    start = time.monotonic()
    base = check([ROOT / "requirements.txt"], pythons, args.jobs)
    print(table("requirements.txt (what `make lab` installs):", base, pythons), flush=True)
    failed = not all(ok for ok, _ in base.values())
    if not args.skip_dev:
        # The dev references on their own, held to the student pins (-c): a much smaller
        # resolution than the whole set again, with the same answer about wheels.
        dev = check(
            [ROOT / "requirements-dev.txt"],
            pythons,
            args.jobs,
            constraints=[ROOT / "requirements.txt"],
        )
        print()
        print(
            table(
                "requirements-dev.txt with requirements.txt as constraints (`make test` adds it):",
                dev,
                pythons,
            )
        )
        if not all(ok for ok, _ in dev.values()):
            print(
                "  (reported, not failing: where upstream ships no wheel, `make test` installs "
                "the references that have one and the cross-checks that need the others "
                "are not run; see README)"
                if not args.strict_dev
                else ""
            )
            failed |= args.strict_dev
    print(
        f"\ncheck_wheels: {time.monotonic() - start:.0f} s; "
        + ("FAILED" if failed else "requirements.txt installs from wheels on every pair")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

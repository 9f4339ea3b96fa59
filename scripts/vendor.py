"""Regenerate ``vendor/static/`` (the JavaScript, CSS and fonts the published course serves
itself) from the npm registry, pinned by ``vendor/package.json`` and ``vendor/package-lock.json``.

    .venv/bin/python scripts/vendor.py            # or: make vendor (maintainers only; needs npm)
    .venv/bin/python scripts/vendor.py --check    # only verify vendor/static against the manifest

``npm ci --ignore-scripts`` installs the locked packages into a temporary folder (no install
scripts run); the files listed in :data:`FILES` are copied to ``vendor/static/<package>/<path>``
and ``vendor/manifest.json`` records each package's version and each file's size and SHA-256.
``tests/test_vendor.py`` checks the committed files against that manifest, and the manifest
against the pins. To upgrade a package, change its pin in ``vendor/package.json``, run
``npm install --package-lock-only --ignore-scripts`` in ``vendor/``, then ``make vendor``.

What each package is for:

- ``@jupyter-widgets/html-manager``: renders the saved widget state in the static HTML pages
  (``embed-amd.js``; ipywidgets 8's base, controls and output models are bundled in it);
- ``requirejs``: the AMD loader ``embed-amd.js`` and nbconvert's reveal.js template need;
- ``mathjax``: typesets the LaTeX in the pages and the slides (MathJax 3, CommonHTML output);
- ``reveal.js``: the slide decks of ``make slides`` (5.x: nbconvert's template loads
  ``plugin/notes/notes.js``, a path reveal.js 6 moved);
- ``@fortawesome/fontawesome-free``: the icons Voilà's template asks a CDN for;
- ``axe-core``: the accessibility checks of the browser tests (not published).

Each package's licence file is kept beside its files (html-manager and requirejs ship none: their
``package.json``, which names the licence, is kept instead).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENDOR = ROOT / "vendor"
STATIC = VENDOR / "static"
MANIFEST = VENDOR / "manifest.json"
#: packages kept somewhere other than vendor/static/<package>: Font Awesome is served by Voilà
#: from the companion template's static folder (Voilà does not follow a symlink out of it).
ELSEWHERE = {
    "@fortawesome/fontawesome-free": ROOT
    / "jupyter"
    / "voila"
    / "templates"
    / "companion"
    / "static"
    / "fontawesome",
}

#: package -> glob patterns (relative to the package folder) of the files to keep.
FILES: dict[str, list[str]] = {
    "@jupyter-widgets/html-manager": [
        "package.json",
        "dist/embed-amd.js",
        # webpack's copies of the Font Awesome fonts the widget CSS refers to
        "dist/*.woff2",
        "dist/*.woff",
        "dist/*.ttf",
    ],
    "requirejs": ["package.json", "require.js"],
    "mathjax": [
        "LICENSE",
        "es5/tex-chtml-full.js",
        "es5/ui/safe.js",
        "es5/ui/menu.js",
        "es5/a11y/assistive-mml.js",
        "es5/output/chtml/fonts/woff-v2/*.woff",
    ],
    "reveal.js": [
        "LICENSE",
        "dist/reveal.js",
        "dist/reveal.css",
        "dist/reset.css",
        "dist/theme/white.css",
        "dist/theme/fonts/source-sans-pro/*.css",
        "dist/theme/fonts/source-sans-pro/*.woff",
        "dist/theme/fonts/source-sans-pro/LICENSE",
        "plugin/notes/notes.js",
    ],
    "@fortawesome/fontawesome-free": [
        "LICENSE.txt",
        "css/all.min.css",
        "css/v4-shims.min.css",
        "webfonts/*.woff2",
        "webfonts/*.woff",
        "webfonts/*.ttf",
    ],
    "axe-core": ["LICENSE", "axe.min.js"],
}


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned_versions() -> dict[str, str]:
    """The exact versions of ``vendor/package.json`` (every pin must be exact)."""
    deps = json.loads((VENDOR / "package.json").read_text(encoding="utf-8"))["dependencies"]
    for name, spec in deps.items():
        if not spec[:1].isdigit():
            raise ValueError(f"vendor/package.json: {name} must be pinned exactly, got {spec!r}")
    if set(deps) != set(FILES):
        raise ValueError(
            f"vendor/package.json lists {sorted(deps)}, scripts/vendor.py copies "
            f"files of {sorted(FILES)}"
        )
    return deps


def package_dir(package: str, static: pathlib.Path = STATIC) -> pathlib.Path:
    """Where ``package``'s vendored files are."""
    return ELSEWHERE.get(package, static / package) if static == STATIC else static / package


def build_manifest(static: pathlib.Path, versions: dict[str, str]) -> dict:
    """Size and SHA-256 of every vendored file, keyed ``<package>/<path in the package>``."""
    files = {}
    for package in sorted(versions):
        folder = package_dir(package, static)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = f"{package}/{path.relative_to(folder).as_posix()}"
            files[rel] = {"bytes": path.stat().st_size, "sha256": sha256(path)}
    stray = sorted(
        p.relative_to(static).as_posix()
        for p in static.rglob("*")
        if p.is_file()
        and not any(p.relative_to(static).as_posix().startswith(k + "/") for k in versions)
    )
    for rel in stray:
        files[rel] = {"bytes": -1, "sha256": "not a vendored package"}
    return {"packages": dict(sorted(versions.items())), "files": files}


def check(static: pathlib.Path = STATIC, manifest_path: pathlib.Path = MANIFEST) -> list[str]:
    """Differences between ``static`` and the manifest (empty when they agree)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    if static == STATIC and manifest["packages"] != dict(sorted(pinned_versions().items())):
        problems.append(f"manifest packages {manifest['packages']} differ from the pins")
    actual = build_manifest(static, manifest["packages"])["files"]
    for rel in sorted(set(manifest["files"]) | set(actual)):
        if rel not in actual:
            problems.append(f"missing: {rel}")
        elif rel not in manifest["files"]:
            problems.append(f"not in the manifest: {rel}")
        elif actual[rel] != manifest["files"][rel]:
            problems.append(f"changed: {rel}")
    return problems


def regenerate() -> None:
    versions = pinned_versions()
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("make vendor needs npm (Debian: apt-get install npm)")
    with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
        work = pathlib.Path(tmp)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(VENDOR / name, work / name)
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=work, check=True
        )
        staged = work / "static"
        for package, patterns in FILES.items():
            source = work / "node_modules" / package
            installed = json.loads((source / "package.json").read_text())["version"]
            if installed != versions[package]:
                raise SystemExit(
                    f"{package}: npm ci installed {installed}, the pin is "
                    f"{versions[package]} (re-lock: npm install --package-lock-only)"
                )
            for pattern in patterns:
                matches = sorted(p for p in source.glob(pattern) if p.is_file())
                if not matches:
                    raise SystemExit(f"{package}: nothing matches {pattern!r}")
                for path in matches:
                    target = staged / package / path.relative_to(source)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
        if STATIC.exists():
            shutil.rmtree(STATIC)
        for package in FILES:
            target = package_dir(package)
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(staged / package, target)
    manifest = build_manifest(STATIC, versions)
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    total = sum(f["bytes"] for f in manifest["files"].values())
    print(f"vendor/static: {len(manifest['files'])} files, {total / 1e6:.1f} MB")
    for package, version in manifest["packages"].items():
        size = sum(
            f["bytes"] for rel, f in manifest["files"].items() if rel.startswith(package + "/")
        )
        print(f"  {package}@{version}: {size / 1e6:.2f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only compare vendor/static with vendor/manifest.json"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or "vendor/static matches vendor/manifest.json")
        return 1 if problems else 0
    regenerate()
    return 0


if __name__ == "__main__":
    sys.exit(main())

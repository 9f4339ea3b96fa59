"""The vendored JavaScript (vendor/static) is what vendor/manifest.json says, pinned exactly, and
the built pages load nothing from anywhere else."""

from __future__ import annotations

import importlib.util
import json
import re

from conftest import ROOT

VENDOR = ROOT / "vendor"
_spec = importlib.util.spec_from_file_location("vendor_script", ROOT / "scripts" / "vendor.py")
vendor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vendor)


def test_every_vendored_file_matches_its_manifest_sha256():
    assert vendor.check() == []


def test_pins_are_exact_and_agree_with_the_lock_and_the_manifest():
    pins = vendor.pinned_versions()
    lock = json.loads((VENDOR / "package-lock.json").read_text(encoding="utf-8"))
    manifest = json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == pins
    for name, version in pins.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
        assert manifest["packages"][name] == version, name
        # the copied package.json (kept where a package ships no licence file) agrees too
        copied = VENDOR / "static" / name / "package.json"
        if copied.exists():
            assert json.loads(copied.read_text())["version"] == version, name
    # reveal.js 5.x: nbconvert's template loads plugin/notes/notes.js, which 6.x moved
    assert pins["reveal.js"].startswith("5."), pins["reveal.js"]


def test_check_catches_a_changed_file(tmp_path):
    import shutil

    static = tmp_path / "static"
    shutil.copytree(VENDOR / "static" / "requirejs", static / "requirejs")
    manifest = json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {k: v for k, v in manifest["files"].items() if k.startswith("requirejs/")}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert vendor.check(static, tmp_path / "manifest.json") == []
    with open(static / "requirejs" / "require.js", "a") as f:
        f.write("\n// tampered\n")
    (static / "requirejs" / "extra.js").write_text("")
    assert vendor.check(static, tmp_path / "manifest.json") == [
        "not in the manifest: vendor/static/requirejs/extra.js",
        "changed: vendor/static/requirejs/require.js",
    ]

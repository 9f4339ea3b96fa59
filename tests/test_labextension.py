"""The course's prebuilt JupyterLab extension (jupyter/labextensions/lecture-companion-a11y):
its container answers JupyterLab's module-federation calls, set-up and Binder's postBuild put it
where JupyterLab finds it. (That it gives figures their alt text and sliders their names in a
real JupyterLab is checked by tests/test_browser.py.)"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

NAME = "lecture-companion-a11y"
SOURCE = ROOT / "jupyter" / "labextensions" / NAME

# Loads remoteEntry.js in a fake window, as JupyterLab's bootstrap does, with a shared scope that
# offers a stand-in for @lumino/widgets; prints what the two modules export.
PROBE = textwrap.dedent("""
    global.window = global;
    class Widget { constructor() { this.node = {textContent: "", appendChild: (c) => this.child = c};
                                   this.classes = []; }
                   addClass(c) { this.classes.push(c); } toggleClass() {} }
    global.document = {createElement: () => ({classList: {add() {}}})};
    require(process.argv[2]);
    const c = window._JUPYTERLAB["lecture-companion-a11y"];
    c.init({"@lumino/widgets": {"2.7.0": {get: () => Promise.resolve(() => ({Widget}))}}});
    (async () => {
      const ext = (await c.get("./extension"))().default;
      const mime = (await c.get("./mimeExtension"))().default;
      const r = mime.rendererFactory.createRenderer({mimeType: "image/png"});
      await r.renderModel({data: {"image/png": "AAAA"},
                           metadata: {"image/png": {alt: "a rising line"}}});
      let missing = "resolved";
      try { await c.get("./nothing"); } catch (e) { missing = "rejected"; }
      console.log(JSON.stringify({plugins: ext.map(p => [p.id, p.autoStart]),
        mime: mime.rendererFactory.mimeTypes, rank: mime.rank, alt: r.child.alt,
        src: r.child.src, classes: r.classes, missing}));
    })();
""")


def test_package_names_the_modules_and_the_file_exists():
    meta = json.loads((SOURCE / "package.json").read_text(encoding="utf-8"))
    build = meta["jupyterlab"]["_build"]
    assert meta["name"] == NAME
    assert (SOURCE / build["load"]).is_file()
    assert (build["extension"], build["mimeExtension"]) == ("./extension", "./mimeExtension")


def test_the_container_answers_as_jupyterlab_asks(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    probe = tmp_path / "probe.js"
    probe.write_text(PROBE, encoding="utf-8")
    done = subprocess.run(
        [node, str(probe), str(SOURCE / "static" / "remoteEntry.js")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["plugins"] == [["lecture-companion-a11y:widget-names", True]]
    assert out["mime"] == ["image/png", "image/jpeg"] and out["rank"] < 90  # before JupyterLab's
    assert out["alt"] == "a rising line" and out["src"] == "data:image/png;base64,AAAA"
    assert out["classes"] == ["jp-RenderedImage"] and out["missing"] == "rejected"


def test_setup_installed_it_into_the_venv():
    installed = os.path.join(sys.prefix, "share", "jupyter", "labextensions", NAME)
    compared = filecmp.dircmp(SOURCE, installed)
    assert not (compared.left_only or compared.right_only or compared.diff_files)
    assert not filecmp.dircmp(SOURCE / "static", os.path.join(installed, "static")).diff_files


@pytest.mark.skipif(sys.platform == "win32", reason="postBuild is a bash script (Binder, Linux)")
def test_binders_postbuild_copies_it_and_the_settings(tmp_path):
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python").write_text(f"#!/bin/sh\necho {tmp_path / 'env'}\n", encoding="utf-8")
    (shim / "python").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "postBuild"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    share = tmp_path / "env" / "share" / "jupyter"
    assert (share / "labextensions" / NAME / "static" / "remoteEntry.js").is_file()
    assert (share / "lab" / "settings" / "overrides.json").is_file()

"""JupyterLab and Voilà servers, Debian's Chromium, and the page steps a student takes.

Shared by ``tests/test_browser.py`` and ``benchmarks/bench_browser.py``. Nothing here downloads
a browser: Playwright drives the system Chromium (``/usr/bin/chromium``, Debian package
``chromium``) through ``executable_path``.

Every server started here is bound to 127.0.0.1 on a free port with a random token, serves a
temporary copy of the notebooks (so a test can never rewrite a committed file), runs with
JupyterLab's autosave turned off in a throw-away settings directory, and is stopped by its
process id.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import nbformat
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = pathlib.Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
BIN = pathlib.Path(sys.executable).parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: Voilà template of this repository (jupyter/voila/templates/companion): Font Awesome served by
#: Voilà, not a CDN.
VOILA_TEMPLATE = "companion"

#: Flags that work headless as root in a container, with no network chatter of Chromium's own.
#: The last two keep the browser off the network: every host but 127.0.0.1 fails to resolve at
#: once (see :func:`new_context`), and no proxy from the environment is asked instead.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--no-proxy-server",
]

#: JupyterLab user settings for the test session (written to a temporary user-settings dir).
LAB_SETTINGS = {
    # Never write a notebook back to disk while the test runs it.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # No "would you like to receive news?" toast over the notebook.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

# ---------------------------------------------------------------------------------------------
# Which notebooks have widgets, and which explorers they hold
# ---------------------------------------------------------------------------------------------


def widget_notebooks(folder: pathlib.Path = NOTEBOOKS) -> list[pathlib.Path]:
    """Committed notebooks (recursively, checkpoints excluded) with at least one widget output."""
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        if any(
            WIDGET_VIEW in out.get("data", {})
            for cell in nb.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
        ):
            found.append(path)
    return found


def saved_explorer_count(path: pathlib.Path) -> int:
    """How many ``lecture-explorer`` boxes the notebook's saved widget state holds."""
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return sum(
        "lecture-explorer" in model.get("state", {}).get("_dom_classes", [])
        for model in state.values()
    )


def code_cell_count(path: pathlib.Path) -> int:
    """Non-empty code cells: the ones "Run All Cells" gives an execution count."""
    nb = nbformat.read(path, as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())


# ---------------------------------------------------------------------------------------------
# A tiny explorer that follows the widget contract (for developing and proving the tests)
# ---------------------------------------------------------------------------------------------

DEMO_EXPLORER_SOURCE = '''\
import io

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure


def demo_explorer(start: int = 0) -> widgets.VBox:
    """A contract-following explorer over 31 precomputed frames of a shifting density."""
    grid = np.linspace(-4.0, 4.0, 200)
    shifts = np.linspace(-1.5, 1.5, 31)
    frames = np.exp(-0.5 * (grid[None, :] - shifts[:, None]) ** 2) / np.sqrt(2 * np.pi)

    fig = Figure(figsize=(4.5, 2.8), dpi=100)
    ax = fig.add_subplot()
    (line,) = ax.plot(grid, frames[start])
    ax.set(xlim=(-4, 4), ylim=(0, 0.45), xlabel="x", ylabel="density", title="demo explorer")
    fig.tight_layout()

    slider = widgets.IntSlider(value=start, min=0, max=len(shifts) - 1, description="step")
    slider.add_class("explorer-main-slider")
    readout = widgets.HTML().add_class("explorer-readout")
    # Width fixed to the PNG's pixel width: a flex VBox would otherwise stretch (and blur) it.
    image = widgets.Image(format="png", layout=widgets.Layout(width="450px"))
    image.add_class("explorer-figure")

    def render() -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def update(i: int) -> None:
        line.set_ydata(frames[i])
        readout.value = f"step {i} · mean {shifts[i]:+.2f}"
        image.value = render()  # FIGURE UPDATE

    slider.observe(lambda change: update(change["new"]), names="value")
    update(slider.value)
    image.value = render()
    box = widgets.VBox([slider, readout, image]).add_class("lecture-explorer")
    box.slider, box.readout, box.image, box.update = slider, readout, image, update
    return box


demo_explorer(START)
'''


BROKEN_SOURCES = [
    # What a student sees when the browser side of ipywidgets lacks the model.
    "from IPython.display import display\n"
    'display({"application/vnd.jupyter.widget-view+json":\n'
    '         {"model_id": "0" * 32, "version_major": 2, "version_minor": 0}}, raw=True)',
    # An explorer whose figure never follows its slider.
    "START = 0\n" + DEMO_EXPLORER_SOURCE.replace("image.value = render()  # FIGURE UPDATE", "pass"),
    'raise ValueError("a cell that fails")',
    'print("Run All stops before this cell")',
]


def write_broken_notebook(path: pathlib.Path) -> pathlib.Path:
    """A notebook with each failure the browser checks must catch (to test the checks)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in BROKEN_SOURCES]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


DEMO_EXPLORERS = 2


def write_demo_explorer(path: pathlib.Path) -> pathlib.Path:
    """Write an unexecuted notebook with two contract-following explorers (the second one
    below the fold, its slider at the maximum); return its path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    filler = "\n\n".join(
        f"Paragraph {i}: text between the two explorers, so that the "
        "second one starts below the fold."
        for i in range(40)
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Demo explorer (written by tests/browser_helpers.py)"),
        nbformat.v4.new_code_cell("%matplotlib inline\nSEED = 0"),
        nbformat.v4.new_code_cell("START = 0\n" + DEMO_EXPLORER_SOURCE),
        nbformat.v4.new_markdown_cell(filler),
        # A second explorer, off-screen at first, whose slider starts at its maximum.
        nbformat.v4.new_code_cell("START = 30\n" + DEMO_EXPLORER_SOURCE),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Server:
    """A running JupyterLab or Voilà process and how to reach it."""

    process: subprocess.Popen
    base_url: str  # http://127.0.0.1:PORT/
    token: str
    root: pathlib.Path  # the directory it serves
    log: pathlib.Path  # its stdout + stderr

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(server: Server, path: str | None, timeout: float) -> None:
    """Wait until ``path`` answers (or, if None, until the port accepts connections)."""
    deadline = time.monotonic() + timeout
    port = int(server.base_url.rstrip("/").rsplit(":", 1)[1])
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"server exited with {server.process.returncode}; log:\n"
                + server.log.read_text(errors="replace")[-4000:]
            )
        try:
            if path is None:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            else:
                urllib.request.urlopen(server.url(path), timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise TimeoutError(
        f"{server.base_url}{path} did not answer in {timeout:.0f} s; log:\n"
        + server.log.read_text(errors="replace")[-4000:]
    )


def stop(server: Server, timeout: float = 15.0) -> None:
    """Stop the server (and the kernels it started) by its process id / process group."""
    proc = server.process
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # own session: pgid == pid, kernels included
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    # Kernels the server did not take down with it are in the same process group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _isolated_env(home: pathlib.Path) -> dict[str, str]:
    """Jupyter config/data/runtime dirs of our own: no user config leaks in or out."""
    env = dict(os.environ)
    for name in ("config", "data", "runtime"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(home / "ipython"),
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_PATH", None)
    return env


def _spawn(
    cmd: list[str], env: dict[str, str], cwd: pathlib.Path, log: pathlib.Path
) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


@contextlib.contextmanager
def jupyterlab(root: pathlib.Path, home: pathlib.Path, timeout: float = 120.0) -> Iterator[Server]:
    """JupyterLab serving ``root``; autosave off; stopped by pid on exit."""
    settings = home / "lab-user-settings"
    for plugin, values in LAB_SETTINGS.items():
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")
    (home / "lab-workspaces").mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(24)
    cmd = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={home / 'lab-workspaces'}",
        "--ServerApp.terminals_enabled=False",
    ] + (["--allow-root"] if os.geteuid() == 0 else [])  # CI containers run as root
    log = home / "jupyterlab.log"
    server = Server(
        _spawn(cmd, _isolated_env(home), root, log), f"http://127.0.0.1:{port}/", token, root, log
    )
    try:
        _wait_for_http(server, "api/status", timeout)
        yield server
    finally:
        stop(server)


@contextlib.contextmanager
def voila(notebook: pathlib.Path, home: pathlib.Path, timeout: float = 120.0) -> Iterator[Server]:
    """Voilà serving one notebook as a dashboard; stopped by pid on exit."""
    port, token = free_port(), secrets.token_hex(24)
    cmd = [
        str(BIN / "voila"),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--Voila.token={token}",
        "--VoilaConfiguration.show_tracebacks=True",  # so a failing cell shows "Traceback"
        f"--template={VOILA_TEMPLATE}",  # Font Awesome served locally
        str(notebook),
    ]
    log = home / "voila.log"
    home.mkdir(parents=True, exist_ok=True)
    env = _isolated_env(home)
    env["JUPYTER_PATH"] = str(ROOT / "jupyter")  # where the companion template is
    server = Server(
        _spawn(cmd, env, notebook.parent, log),
        f"http://127.0.0.1:{port}/",
        token,
        notebook.parent,
        log,
    )
    try:
        _wait_for_http(server, None, timeout)
        yield server
    finally:
        stop(server)


def shutdown_kernels(server: Server) -> None:
    """Shut down every kernel of a JupyterLab server (frees the CPU between notebooks)."""
    for kernel in server.api("GET", "api/kernels") or []:
        with contextlib.suppress(urllib.error.HTTPError):
            server.api("DELETE", f"api/kernels/{kernel['id']}")


# ---------------------------------------------------------------------------------------------
# Chromium
# ---------------------------------------------------------------------------------------------


def launch_chromium(playwright):
    """Debian's Chromium, headless; Playwright gives it a new empty profile."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install chromium")
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, chromium_sandbox=False
    )


#: Any http(s) request that is not to our own servers.
NOT_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


def new_context(browser, **options):
    """A browser context of :func:`launch_chromium`'s browser, which can only reach 127.0.0.1.

    Voilà's page template links Font Awesome from cdn.jsdelivr.net, and the page's ``load``
    event waits for it: on a machine whose network swallows the request instead of refusing it,
    that is a long wait. Chromium's host-resolver rules (:data:`CHROMIUM_ARGS`) make every other
    host fail at once, which keeps the tests independent of the network and shows what a student
    sees offline. Unlike a Playwright route, this pauses no request, so it costs the latency
    benchmark nothing. ``context.blocked`` lists the non-local URLs that failed.
    """
    context = browser.new_context(**options)
    context.blocked = []
    context.on(
        "requestfailed",
        lambda request: (
            context.blocked.append(request.url) if NOT_LOCAL.match(request.url) else None
        ),
    )
    return context


# ---------------------------------------------------------------------------------------------
# JupyterLab, as a student uses it
# ---------------------------------------------------------------------------------------------

IDLE = re.compile(r"\|\s*Idle")
CURRENT_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
EXECUTED = re.compile(r"^\[\d+\]:$")


def wait_for_idle(page, timeout: float = 120.0) -> None:
    """The status bar's "Python 3 (ipykernel) | Idle": the kernel is attached and idle."""
    page.locator(".jp-StatusBar-Widget").filter(has_text=IDLE).first.wait_for(
        state="visible", timeout=timeout * 1e3
    )


def open_notebook(page, server: Server, relpath: str, timeout: float = 120.0) -> None:
    """Open ``relpath`` alone (``?reset``: no tabs restored from an earlier page); wait for the
    kernel to be attached and idle."""
    page.goto(server.url(f"lab/tree/{relpath}?reset"), timeout=timeout * 1e3)
    page.locator(f"{CURRENT_PANEL} .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1e3)
    wait_for_idle(page, timeout)


def prompts(page) -> list[str]:
    """The execution prompts of the visible notebook: "[ ]:", "[*]:", "[3]:"."""
    return [
        p.strip()
        for p in page.locator(f"{CURRENT_PANEL} .jp-CodeCell .jp-InputPrompt").all_text_contents()
    ]


# Sets window.__labRunSeen when any input prompt of the notebook shows "[*]:", however briefly
# (a fast notebook goes [1] -> [*] -> [1] between two polls from Python).
_WATCH_RUNNING = """panel => {
  window.__labRunSeen = false;
  if (window.__labRunObserver) window.__labRunObserver.disconnect();
  const check = () => {
    for (const p of panel.querySelectorAll('.jp-InputPrompt'))
      if (p.textContent.trim() === '[*]:') { window.__labRunSeen = true; return; }
  };
  window.__labRunObserver = new MutationObserver(check);
  window.__labRunObserver.observe(panel, {subtree: true, childList: true, characterData: true});
}"""


def run_all_cells(page, attempts: int = 3, started_within: float = 15.0) -> int:
    """Run → Run All Cells once the status bar says "| Idle"; confirm that execution prompts
    appear ("[*]:"), and retry if they don't (a kernel not yet attached runs nothing).
    Returns the attempt that worked (1 = first)."""
    panel = page.locator(CURRENT_PANEL)
    for attempt in range(1, attempts + 1):
        wait_for_idle(page)
        panel.evaluate(_WATCH_RUNNING)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            page.wait_for_function(
                "() => window.__labRunSeen === true", timeout=started_within * 1e3, polling=100
            )
            return attempt
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"Run All Cells showed no running cell after {attempts} attempts")


def kernel_states(server: Server) -> list[str]:
    """The server's view of its kernels: ``execution_state`` of each ("idle", "busy", ...)."""
    return [k.get("execution_state", "?") for k in server.api("GET", "api/kernels") or []]


def log_tail(server: Server, chars: int = 3000) -> str:
    """The end of the server's log (kernel tracebacks land there)."""
    return server.log.read_text(errors="replace")[-chars:]


def wait_until_done(
    page,
    expected_cells: int,
    timeout: float = 300.0,
    stopped_for: float = 10.0,
    server: Server | None = None,
    unanswered_for: float = 45.0,
) -> list[str]:
    """Wait until no prompt shows ``[*]``, every non-empty code cell has a number, the kernel
    is idle and every output has rendered (see :func:`wait_for_outputs`).

    Run All stops at a cell that raises: if nothing runs for ``stopped_for`` seconds while
    cells are still unnumbered, fail at once (with what the outputs show), not at ``timeout``.

    With ``server``: if no cell has finished after ``unanswered_for`` seconds while the server
    says the kernel is idle, the kernel never took the requests (ipykernel 7.0-7.3 could strand
    an execute_request on its shell socket: ipython/ipykernel#1554, fixed in 7.4.0). Fail at
    once, with the server log, instead of waiting for ``timeout``.
    """
    start = time.monotonic()
    deadline = start + timeout
    stalled_since = None
    while time.monotonic() < deadline:
        now = prompts(page)
        done = [p for p in now if EXECUTED.match(p)]
        if (
            server is not None
            and not done
            and "[*]:" in now
            and time.monotonic() - start > unanswered_for
            and kernel_states(server) == ["idle"]
        ):
            raise AssertionError(
                f"the kernel is idle but none of Run All's {expected_cells} cells ran in "
                f"{unanswered_for:.0f} s {now}: its execute requests were never taken "
                f"(see ipython/ipykernel#1554). Server log:\n{log_tail(server)}"
            )
        if "[*]:" not in now and len(done) >= expected_cells:
            wait_for_idle(page, timeout=max(1.0, deadline - time.monotonic()))
            wait_for_outputs(page, timeout=max(1.0, deadline - time.monotonic()))
            return now
        if "[*]:" in now:
            stalled_since = None
        elif stalled_since is None:
            stalled_since = time.monotonic()
        elif time.monotonic() - stalled_since > stopped_for:
            raise AssertionError(
                f"Run All stopped after {len(done)} of {expected_cells} cells "
                f"{now}; outputs show {page_problems(page)}:\n" + first_traceback(page)
            )
        time.sleep(0.5)
    raise AssertionError(
        f"cells still running or never run after {timeout:.0f} s: {prompts(page)}"
        + (
            f"; kernels {kernel_states(server)}; server log:\n{log_tail(server)}"
            if server is not None
            else ""
        )
    )


def first_traceback(page, scope: str = CURRENT_PANEL) -> str:
    """The text of the first error output (for failure messages), or ""."""
    errors = page.locator(
        f"{scope} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_text_contents()
    return next((e for e in errors if "Traceback" in e), "")[-3000:]


def wait_for_outputs(page, scope: str = CURRENT_PANEL, timeout: float = 60.0) -> None:
    """Wait until no output in ``scope`` is blank or "Loading widget...". A widget output shows
    that while ipywidgets looks for its model, and "Error displaying widget: model not found"
    replaces it seconds after the cell has finished: checking for it earlier proves nothing."""
    page.wait_for_function(
        """scope => {
          const blank = Array.from(document.querySelectorAll(scope + ' .jp-OutputArea-output'))
            .filter(e => (e.children.length === 0 && e.textContent.trim() === '')
                         || e.textContent.trim() === 'Loading widget...');
          return blank.length === 0;
        }""",
        arg=scope,
        timeout=timeout * 1e3,
        polling=200,
    )


PROBLEMS = ("Error displaying widget", "model not found", "Traceback (most recent call last)")
ERROR_VIEW = "widget error view"


def page_problems(page, scope: str = CURRENT_PANEL) -> list[str]:
    """Signs of breakage a student would see in the outputs (not the markdown, which may
    quote these very messages) inside ``scope``."""
    # textContent, not innerText: JupyterLab's default windowing ("contentVisibility") skips
    # rendering off-screen cells, and an error must be found wherever it is.
    texts = page.locator(f"{scope} .jp-OutputArea-output").all_text_contents()
    found = {needle for text in texts for needle in PROBLEMS if needle in text}
    # ipywidgets' ErrorWidgetView: a widget whose JavaScript failed to load or render.
    if page.locator(f"{scope} .jupyter-widgets-error-widget").count():
        found.add(ERROR_VIEW)
    return sorted(found)


# ---------------------------------------------------------------------------------------------
# Explorers (the widget contract)
# ---------------------------------------------------------------------------------------------

FIGURE = "img.explorer-figure, .explorer-figure img"


@dataclasses.dataclass(frozen=True)
class ExplorerState:
    value: str  # aria-valuenow of the slider handle
    readout: str
    src: str  # the figure's <img> src (a new blob: URL per redraw)


def explorer_state(explorer) -> ExplorerState:
    handle = explorer.locator(".explorer-main-slider .noUi-handle").first
    image = explorer.locator(FIGURE).first
    return ExplorerState(
        value=handle.get_attribute("aria-valuenow") or "",
        readout=explorer.locator(".explorer-readout").first.inner_text().strip(),
        src=image.get_attribute("src") or "",
    )


def wait_for_figure(explorer, timeout: float = 60.0) -> None:
    """The explorer's figure is an <img> that has loaded a non-empty picture."""
    image = explorer.locator(FIGURE).first
    image.wait_for(state="visible", timeout=timeout * 1e3)
    image.evaluate(
        "img => new Promise(ok => { const f = () => (img.complete && img.naturalWidth > 0)"
        " ? ok() : setTimeout(f, 50); f(); })",
        timeout=timeout * 1e3,
    )


def press_and_wait(explorer, key: str, timeout: float = 30.0) -> ExplorerState:
    """Focus the main slider's handle, press ``key``; wait for a new readout and figure."""
    before = explorer_state(explorer)
    handle = explorer.locator(".explorer-main-slider .noUi-handle").first
    handle.focus()
    handle.press(key)
    readout = explorer.locator(".explorer-readout").first
    image = explorer.locator(FIGURE).first
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = explorer_state(explorer)
        if now.readout != before.readout and now.src != before.src:
            wait_for_figure(explorer)
            return now
        time.sleep(0.05)
    after = explorer_state(explorer)
    raise AssertionError(
        f"{key}: slider {before.value}->{after.value}, readout "
        f"{before.readout!r}->{readout.inner_text()!r}, figure src "
        f"{'changed' if after.src != before.src else 'unchanged'} "
        f"({image.get_attribute('src')!r:.40})"
    )


def slider_bounds(explorer) -> tuple[float, float, float]:
    handle = explorer.locator(".explorer-main-slider .noUi-handle").first
    return tuple(
        float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuenow", "aria-valuemax")
    )


def exercise_explorer(explorer, timeout: float = 30.0) -> list[ExplorerState]:
    """One arrow step, then a jump to the far end away from the start (End, or Home when the
    slider started at its maximum): each must change the readout and the figure."""
    wait_for_figure(explorer, timeout)
    _, start, high = slider_bounds(explorer)
    states = [explorer_state(explorer)]
    states.append(press_and_wait(explorer, "ArrowRight" if start < high else "ArrowLeft", timeout))
    _, value, high = slider_bounds(explorer)
    states.append(
        press_and_wait(explorer, "End" if start < high and value < high else "Home", timeout)
    )
    return states


def screenshot(target, name: str, full_page: bool = False) -> pathlib.Path:
    """Save a PNG of a page or element to tests/screenshots/ (git-ignored); look at them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    target.screenshot(path=str(path), **({"full_page": True} if full_page else {}))
    return path


def copy_notebooks(destination: pathlib.Path) -> pathlib.Path:
    """A throw-away copy of ``notebooks/``: what the browser runs (the originals stay as
    committed)."""
    target = destination / "notebooks"
    shutil.copytree(
        NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    )
    return target


# ---------------------------------------------------------------------------------------------
# Accessibility: axe-core (vendored, vendor/static/axe-core)
# ---------------------------------------------------------------------------------------------

AXE = ROOT / "vendor" / "static" / "axe-core" / "axe.min.js"
#: WCAG 2.1 A and AA rules (colour contrast of text: 4.5:1, large text 3:1).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


def axe_violations(
    page,
    include: str | None = None,
    exclude: list[str] | None = None,
    disable: list[str] | None = None,
) -> list[dict]:
    """Run axe-core on the page (or only inside ``include``), without the rules in ``disable``;
    return its violations, each with ``id``, ``impact``, ``help`` and the targets of its nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    context = {"include": [[include]]} if include else {}
    if exclude:
        context["exclude"] = [[e] for e in exclude]
    result = page.evaluate(
        """([context, tags, disable]) => axe.run(Object.keys(context).length ? context : document,
               {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
                rules: Object.fromEntries(disable.map(id => [id, {enabled: false}]))})""",
        [context, AXE_TAGS, list(disable or [])],
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                " ".join(n["target"][0].split()[-3:])
                if isinstance(n["target"][0], str)
                else str(n["target"][0])
                for n in v["nodes"]
            ],
        }
        for v in result["violations"]
    ]


def impact_counts(violations: list[dict]) -> dict[str, int]:
    """Violating nodes by impact: {"serious": 3, ...}."""
    counts: dict[str, int] = {}
    for v in violations:
        counts[v["impact"]] = counts.get(v["impact"], 0) + len(v["nodes"])
    return counts


def blocking(violations: list[dict]) -> list[str]:
    """The serious and critical violations, one line each (what a test fails on)."""
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {v['nodes'][:3]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]

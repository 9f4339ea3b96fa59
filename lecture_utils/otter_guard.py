"""An Otter-Grader plugin that keeps one submission from stopping or fooling the grader.

Listed in every exercise master's ``# ASSIGNMENT CONFIG`` (``plugins:``) with its limits::

    plugins:
      - lecture_utils.otter_guard.GuardPlugin:
          cell_seconds: 20     # a student cell is interrupted after this long
          test_seconds: 10     # one test function (its calls of student code included)
          output_chars: 100000 # printed output kept per cell; the rest is dropped
          memory_mb: 1536      # the kernel's data memory (RLIMIT_DATA): beyond, MemoryError

Otter runs the plugin's ``before_execution`` in the grading process, before the kernel starts.
It adds two cells to the submission (nothing in the student's copy changes):

- a *guard* cell before the student's first cell. It remembers the functions of numpy, scipy,
  pandas, builtins, os, pickle, otter and lecture_utils (objects, and the code of Python
  functions), turns ``os._exit``/``os.kill``/``os.abort`` into a ``SystemExit`` (which IPython
  reports as an error of that cell only), caps the kernel's memory at ``memory_mb`` (an
  allocation beyond raises MemoryError where a killed kernel would leave no results at all; the
  time limit cannot stop a single C call such as ``list(itertools.product([0, 1], repeat=100))``,
  the memory cap can), keeps at most ``output_chars`` of each cell's output,
  interrupts a cell after ``cell_seconds`` (SIGALRM, raised as :class:`TimeLimit`), and makes
  ``grader.check`` a no-op while the student's cells run (everything is graded at the end);
  after every cell it puts back the builtins (a kernel whose ``isinstance`` was replaced never
  answers again);
- a *restore* cell after the student's last cell. It puts back every remembered function and
  module, rewrites ``tests/`` and the data files from the copies read before the kernel started,
  forgets any check results, and wraps each test function so that a BaseException (SystemExit,
  KeyboardInterrupt, the time limit) fails that test only, never the whole grading, and so that
  Otter's message shows the line of the test that failed.

In the grading process itself, :func:`bound_cells` gives nbclient a time limit per cell, a
margin above the kernel's own: a cell that ignores the kernel's alarm is interrupted from
outside, and the grading goes on (see ``docs/grading.md``).

``after_grading`` hashes ``tests/`` and the data again: if they differ from the hashes taken
before execution, the submission changed them after the restore cell ran (a thread, say), and
every test scores 0 with a message saying so. What remains possible is written up in
``docs/grading.md``.

The module is importable in the instructors' environment (``lecture_utils`` is installed) and,
on Gradescope, from the root of the autograder zip, where ``scripts/build_exercises.py`` puts a
copy (``/autograder/source`` is the folder of ``run_otter.py``, so it is on ``sys.path``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import pathlib
import zlib

try:  # the grading process has Otter; lecture_utils itself must import without it
    from otter.plugins import AbstractOtterPlugin
except ImportError:  # pragma: no cover - only without otter-grader
    AbstractOtterPlugin = object

#: Files the restore cell rewrites and ``after_grading`` hashes (relative to the submission).
PROTECTED_GLOBS = ("tests/*.py", "data/*.csv", "lecture_utils/*.py")
DEFAULTS = {"cell_seconds": 20, "test_seconds": 20, "output_chars": 100_000, "memory_mb": 1536}
#: Set by ``scripts/build_exercises.py`` in the zip's ``otter_config.json``: the written
#: questions in order, ``[[name, points], ...]`` (their answers are copied into results.json).
WRITTEN_KEY = "written"

GUARD_CELL = r'''
# Added by lecture_utils.otter_guard during grading (not part of the submission).
def __otter_guard_setup(limits):
    import builtins, os, signal, sys, types
    import numpy, numpy.linalg, numpy.random, scipy, scipy.special, scipy.stats, pandas, pickle
    import otter, otter.check.notebook, otter.execute, otter.execute.checker
    import otter.test_files, otter.test_files.abstract_test, otter.test_files.exception_test
    try:
        import lecture_utils.data
    except Exception:
        pass

    class TimeLimit(KeyboardInterrupt):
        """Raised in a cell or a test that runs longer than the grader's time limit."""

    watched = [name for name in sys.modules
               if name.split(".")[0] in ("numpy", "scipy", "pandas", "builtins", "math", "os",
                                         "posix", "pickle", "otter", "lecture_utils", "signal",
                                         "json", "inspect", "types", "functools")]
    saved_modules = {name: sys.modules[name] for name in watched}
    saved_dicts, saved_code, saved_classes = {}, [], []
    for name in watched:
        module = sys.modules[name]
        try:
            namespace = dict(vars(module))
        except TypeError:
            continue
        saved_dicts[name] = namespace
        for value in namespace.values():
            if type(value) is types.FunctionType:
                saved_code.append((value, value.__code__, value.__defaults__, value.__kwdefaults__))
            elif isinstance(value, type) and value.__module__ == name:
                try:
                    saved_classes.append((value, dict(vars(value))))
                except TypeError:
                    pass

    def blocked(*args, **kwargs):
        raise SystemExit("os._exit, os.kill and os.abort are disabled while grading")

    for fn in ("_exit", "kill", "killpg", "abort", "fork", "forkpty"):
        if hasattr(os, fn):
            setattr(os, fn, blocked)
    import posix
    for fn in ("_exit", "kill", "killpg", "abort", "fork", "forkpty"):
        if hasattr(posix, fn):
            setattr(posix, fn, blocked)

    def on_alarm(signum, frame):
        raise TimeLimit(f"stopped after the grader's time limit of {limits['cell_seconds']} s")

    signal.signal(signal.SIGALRM, on_alarm)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = int(limits["memory_mb"] * 2**20)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    shell = get_ipython()
    state = {"written": 0}

    class Capped:
        """sys.stdout/sys.stderr for one cell: keeps the first output_chars characters."""

        def __init__(self, stream):
            self._stream = stream

        def write(self, text):
            room = limits["output_chars"] - state["written"]
            if room > 0:
                state["written"] += len(text)
                if len(text) > room:
                    text = text[:room] + "\n[output cut by the grader]\n"
                self._stream.write(text)
            return len(text)

        def __getattr__(self, attr):
            return getattr(self._stream, attr)

    streams = {"stdout": sys.stdout, "stderr": sys.stderr}

    def before_cell(*args):
        state["written"] = 0
        for attr, stream in streams.items():
            setattr(sys, attr, Capped(stream))
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limits["cell_seconds"])

    saved_builtins = dict(vars(builtins))

    def after_cell(*args):
        signal.setitimer(signal.ITIMER_REAL, 0)
        for attr, stream in streams.items():
            setattr(sys, attr, stream)
        # builtins put back after every cell: the kernel itself needs them (a cell that replaces
        # isinstance leaves a kernel that never answers again)
        current = vars(builtins)
        for key, value in saved_builtins.items():
            if current.get(key, blocked) is not value:
                current[key] = value

    shell.events.register("pre_run_cell", before_cell)
    shell.events.register("post_run_cell", after_cell)

    def no_check(self, *args, **kwargs):
        return None  # graded once, at the end, after the restore cell

    otter.check.notebook.Notebook.check = no_check
    return {"modules": saved_modules, "dicts": saved_dicts, "code": saved_code,
            "classes": saved_classes, "TimeLimit": TimeLimit, "shell": shell,
            "hooks": (before_cell, after_cell), "streams": streams,
            "callbacks": {k: list(v) for k, v in shell.events.callbacks.items()},
            "signal": signal, "on_alarm": on_alarm}

import sys as __otter_sys
__otter_sys.modules["__otter_guard_state__"] = __otter_guard_setup(__LIMITS__)
del __otter_guard_setup, __otter_sys
'''

RESTORE_CELL = r"""
# Added by lecture_utils.otter_guard during grading (not part of the submission).
def __otter_guard_restore(saved, files, limits):
    import gc
    signal = saved["signal"]
    signal.setitimer(signal.ITIMER_REAL, 0)
    import sys, threading
    for attr, stream in saved["streams"].items():
        setattr(sys, attr, stream)
    sys.settrace(None); sys.setprofile(None); threading.settrace(None); threading.setprofile(None)
    sys.modules.update(saved["modules"])
    for name, namespace in saved["dicts"].items():
        module = saved["modules"][name]
        current = vars(module)
        for key in [k for k in current if k not in namespace]:
            del current[key]
        current.update(namespace)
    for fn, code, defaults, kwdefaults in saved["code"]:
        try:
            fn.__code__, fn.__defaults__, fn.__kwdefaults__ = code, defaults, kwdefaults
        except (AttributeError, TypeError, ValueError):
            pass
    for cls, namespace in saved["classes"]:
        for key, value in namespace.items():
            if key in ("__dict__", "__weakref__", "__doc__"):
                continue
            try:
                if cls.__dict__.get(key, None) is not value:
                    setattr(cls, key, value)
            except (AttributeError, TypeError):
                pass
        for key in [k for k in list(cls.__dict__) if k not in namespace]:
            try:
                delattr(cls, key)
            except (AttributeError, TypeError):
                pass
    # Event hooks as the guard left them, minus its cell timer (the tests have their own).
    shell = saved["shell"]
    for event, callbacks in saved["callbacks"].items():
        shell.events.callbacks[event] = [cb for cb in callbacks if cb is not saved["hooks"][0]]
    import os, zlib, base64
    for path, blob in files.items():
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(zlib.decompress(base64.b64decode(blob)))
    from otter.execute import Checker
    Checker.clear_results()
    Checker.enable_tracking()
    from otter.test_files import exception_test
    original = exception_test.test_case.call_func
    TimeLimit = saved["TimeLimit"]

    def on_alarm(signum, frame):
        raise TimeLimit(f"this test was stopped after the grader's time limit of {limits['test_seconds']} s")

    import types

    def at_test(self, err):
        # Otter prints the line of `traceback.tb_next.tb_next` (its run -> call_func -> the test
        # function): a traceback that starts at the test function's own frame, seen from there.
        code = getattr(getattr(self, "test_func", None), "__code__", None)
        tb = err.__traceback__
        while tb is not None and tb.tb_frame.f_code is not code:
            tb = tb.tb_next
        if tb is None:
            frame = sys._getframe()
            return types.TracebackType(None, frame, frame.f_lasti,
                                       code.co_firstlineno if code is not None else 1)
        return types.TracebackType(tb.tb_next, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)

    def call_func(self, global_environment):
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limits["test_seconds"])
        try:
            return original(self, global_environment)
        except BaseException as err:
            failure = err if isinstance(err, Exception) else AssertionError(
                f"the test stopped on {type(err).__name__}: {err} (does your code call sys.exit, "
                "loop forever, or take too long?)")
            raise failure.with_traceback(at_test(self, err)) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    exception_test.test_case.call_func = call_func
    message = exception_test.ExceptionTestFile._generate_error_message

    def safe_message(self, excp, context=0):
        try:
            return message(self, excp, context)
        except Exception:  # a traceback Otter cannot read: the message without the test's line
            return f"Error in test {self.name}:\n{type(excp).__name__}: {str(excp).strip(chr(39))}"

    exception_test.ExceptionTestFile._generate_error_message = safe_message
    gc.collect()

__otter_guard_restore(__OTTER_STATE__, __FILES__, __LIMITS__)
del __otter_guard_restore
"""


#: Seconds the grading process waits for the kernel beyond a limit of the guard before it
#: interrupts the cell itself (the kernel's own alarm did not stop it: its handler was replaced,
#: the interrupt was swallowed by ``except BaseException``, or the kernel no longer answers).
KERNEL_MARGIN = 30
#: Seconds for a student cell after two cells in a row did not answer (the kernel is stuck).
STALLED_SECONDS = 5
#: What :func:`bound_cells` patched into nbclient, and what it saw (one grading per process):
#: ``cells`` holds, per executed cell, whether the grading process had to stop it.
_BOUND: dict = {"limits": None, "n_tests": 0, "cells": [], "stalls": []}


def bound_cells(limits: dict, n_tests: int) -> None:
    """Make every cell of the grading end, whatever runs in the kernel (grading process side).

    Otter 7 executes the notebook with nbclient and no timeout. This patches nbclient's
    ``NotebookClient`` in the grading process (not in the kernel, which student code can reach):
    a cell may take ``cell_seconds + KERNEL_MARGIN`` and Otter's final cell, which runs the
    tests, ``n_tests * test_seconds + 2 * KERNEL_MARGIN``; then nbclient interrupts the kernel,
    records an error for the cell and goes on with the next one. After a stopped cell the next
    one gets ``KERNEL_MARGIN``; after two in a row the kernel is stuck (a loop that swallows
    every interrupt), and each further cell gets ``STALLED_SECONDS`` (the tests
    ``KERNEL_MARGIN``), so that even then the grading ends, without results.
    """
    from nbclient.client import NotebookClient

    _BOUND.update(limits=dict(limits), n_tests=n_tests, cells=[], stalls=[])
    if getattr(NotebookClient, "_otter_guard_patched", False):
        return
    original_timeout = NotebookClient._get_timeout
    original_handle = NotebookClient._async_handle_timeout

    def _get_timeout(client, cell):
        base = original_timeout(client, cell)
        limits = _BOUND["limits"]
        if cell is None or limits is None:
            return base
        client.interrupt_on_timeout = True
        client.error_on_timeout = {
            "ename": "TimeLimit",
            "evalue": "the grader stopped this cell: the kernel did not finish it within its time limit",
            "traceback": [],
        }
        cells = _BOUND["cells"]
        stuck = cells[-2:] == [True, True]
        if "Checker.check_if_not_already_checked" in cell.get("source", ""):  # Otter's tests
            bound = (
                KERNEL_MARGIN
                if stuck
                else _BOUND["n_tests"] * limits["test_seconds"] + 2 * KERNEL_MARGIN
            )
        elif stuck:
            bound = STALLED_SECONDS
        elif cells[-1:] == [True]:
            bound = KERNEL_MARGIN
        else:
            bound = limits["cell_seconds"] + KERNEL_MARGIN
        cells.append(False)
        return bound if not base else min(base, bound)

    async def _async_handle_timeout(client, timeout, cell=None):
        if _BOUND["cells"]:
            _BOUND["cells"][-1] = True
        _BOUND["stalls"].append((timeout, (cell or {}).get("source", "")[:200]))
        return await original_handle(client, timeout, cell)

    NotebookClient._get_timeout = _get_timeout
    NotebookClient._async_handle_timeout = _async_handle_timeout
    NotebookClient._otter_guard_patched = True


def _protected_files(root: pathlib.Path) -> dict[str, bytes]:
    files = {}
    for pattern in PROTECTED_GLOBS:
        for path in sorted(root.glob(pattern)):
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def digest(files: dict[str, bytes]) -> str:
    """One SHA-256 over the names and contents of ``files``."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def written_answers(nb, written: list) -> str:
    """The text of the written answers (cells tagged ``otter_answer_cell``), for results.json."""
    answers = [
        cell.source.strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        and "otter_answer_cell" in cell.get("metadata", {}).get("tags", [])
    ]
    if not written:
        return ""
    parts = ["Written answers, graded by hand (not included in the score above):"]
    for i, (name, points) in enumerate(written):
        text = answers[i] if i < len(answers) else "(no answer cell found)"
        if text.startswith("_Type your answer here"):
            text = "(not answered)"
        parts.append(f"--- {name} ({points} points) ---\n{text}")
    return "\n\n".join(parts)


class GuardPlugin(AbstractOtterPlugin):
    """Time limits, output caps, exit blocking and tamper restoration for ``otter run``."""

    def _limits(self) -> dict:
        config = dict(DEFAULTS)
        for key, value in (self.plugin_config or {}).items():
            if key == WRITTEN_KEY:
                continue
            if key not in DEFAULTS:
                raise ValueError(
                    f"otter_guard: unknown setting {key!r}; expected one of {sorted(DEFAULTS)}"
                )
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"otter_guard: {key} must be a positive number, got {value!r}")
            config[key] = value
        return config

    def during_assign(self, assignment):
        self._limits()  # a bad setting stops `otter assign` with a clear message
        if not assignment.requirements or "data" not in (assignment.autograder_files or []):
            raise SystemExit(
                "otter assign: the exercise masters are built from a staging folder (requirements, "
                "data, grading plugin); run `make exercises` (or `python scripts/build_exercises.py "
                "NN_name`) instead"
            )

    def before_execution(self, submission):
        import nbformat

        if isinstance(submission, str):  # a .py submission: nothing to guard cell by cell
            return submission
        root = pathlib.Path(self.submission_path).parent
        self._written = written_answers(submission, (self.plugin_config or {}).get(WRITTEN_KEY, []))
        files = _protected_files(root)
        self._digest = digest(files)
        self._root = root
        limits = self._limits()
        state = 'sys.modules["__otter_guard_state__"]'
        guard = GUARD_CELL.replace("__LIMITS__", repr(limits))
        packed = {
            name: base64.b64encode(zlib.compress(blob)).decode() for name, blob in files.items()
        }
        restore = (
            RESTORE_CELL.replace("__OTTER_STATE__", state)
            .replace("__FILES__", json.dumps(packed))
            .replace("__LIMITS__", repr(limits))
        )
        restore = "import sys\n" + restore
        n_tests = sum(
            path.read_text(encoding="utf-8", errors="replace").count("@test_case(")
            for path in root.glob("tests/*.py")
        )
        bound_cells(limits, n_tests)
        # The seed line Otter prepends to each cell stays harmless in front of these cells.
        submission.cells.insert(0, nbformat.v4.new_code_cell(guard))
        submission.cells.append(nbformat.v4.new_code_cell(restore))
        return submission

    def after_grading(self, results):
        import os

        dump = os.environ.get("OTTER_GUARD_DUMP")  # debugging: keep the executed notebook
        if dump and results.notebook is not None:
            import nbformat

            nbformat.write(results.notebook, dump)
        root = getattr(self, "_root", None)
        if root is None:
            return
        if self._written:
            results.set_output(self._written)
        if _BOUND["stalls"]:
            stalled = "; ".join(
                f"{source.splitlines()[0] if source else '?'!r} after {seconds} s"
                for seconds, source in _BOUND["stalls"][:5]
            )
            results.set_output(
                (self._written + "\n\n" if self._written else "")
                + "The grader had to stop cells that ignored its time limit (they loop while "
                f"catching the interrupt, or broke the kernel): {stalled}."
            )
        if digest(_protected_files(root)) != self._digest:
            for name in results.results:
                results.update_score(name, 0)
            results.set_output(
                "The tests or the data were changed while grading, after the grader restored them: "
                "every question scores 0. Ask your instructor."
            )

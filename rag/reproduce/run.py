"""Running a report's example in the repository's own Python, and what it called (`rag ask --run`).

A developer handed a bug report pastes its example into an interpreter and follows where it goes. The
code an example reaches is strong evidence of where its bug is: the fix was in a file the example called
in 67 of the 84 sympy reports whose example ran, and 17 of xarray's 20, and a top answer the example
never reached was usually wrong (bench/LOG.md, 2026-12-06 ninth session). The example runs in a separate process of
the repository's interpreter (its dependencies, not rag's), in an empty temporary directory, without
writing bytecode into the repository, for at most `ExampleSettings.run_seconds` (and GRACE_SECONDS more
where the example keeps its interpreter from being interrupted); everything it started is stopped when it
ends. It is code from the report, run as the user who asked: that is why it only runs when asked.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from functools import partial

from graph.errors import ConfigError
from graph.text import counted
from rag.reproduce.examples import python_examples
from rag.settings import ExampleSettings

TRACER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace_example.py")
GRACE_SECONDS = 10  # beyond the example's own limit, for an example the timer cannot interrupt
OLDEST_PYTHON = (3, 6)  # trace_example.py's syntax


@dataclass(frozen=True)
class Interpreter:
    path: str  # the real executable (a pyenv shim or a link resolved, as the repository's folder selects it)
    version: str
    passed_over: str = ""  # an environment that looked meant but has no working python, said to the user


@dataclass
class ExampleRun:
    """What running a report's example did. `called`: for each answerable file of the repository (a path
    relative to its root), the names of the functions the example called there."""
    python: str
    examples: int  # pieces of code found in the report
    ran: int = 0  # statements that ran to their end
    failed: int = 0  # statements that raised (the example went on with the next)
    errors: list[str] = field(default_factory=list)  # the first few, one line each
    stopped: bool = False  # the time limit ended it
    called: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    problem: str = ""  # why nothing could be run, if so
    version: str = ""  # of the interpreter
    passed_over: str = ""  # an environment passed over for having no working python (Interpreter.passed_over)

    @property
    def counts(self) -> bool:
        """Whether what it called is evidence: at least one statement ran."""
        return self.ran > 0 and bool(self.called)

    def note(self) -> str:
        """One line for a person: what ran, and what to make of it."""
        if self.problem:
            return f"the report's example was not run: {self.problem}"
        if not self.examples:
            return "--run: the report shows no Python example to run"
        tried = self.ran + self.failed
        if not tried and not self.stopped:
            return "--run: none of the report's code is Python that parses: nothing was run"
        python = f"Python {self.version}, {self.python}" if self.version else self.python
        if not self.ran:
            what = (f"the report's example was tried ({counted(tried, 'statement')}, {self.seconds:.1f} s, {python}) "
                    f"and all failed (first: {self.errors[0] if self.errors else 'no message'}): the answer is "
                    "retrieval's alone")
        else:
            functions = sum(map(len, self.called.values()))
            what = (f"the report's example ran {counted(self.ran, 'statement')} in {self.seconds:.1f} s ({python}) "
                    f"and called {counted(functions, 'function')} in {counted(len(self.called), 'file')} of the repository")
            if self.failed:
                what += (f"; {self.failed} more failed (first: {self.errors[0]})" if self.errors
                         else f"; {self.failed} more failed")
        if self.stopped:
            what += "; it was stopped at the time limit (--run-seconds), what it called until then counts"
        return what

    def to_dict(self) -> dict:
        return {"python": self.python, "version": self.version, "examples": self.examples, "ran": self.ran,
                "failed": self.failed, "errors": list(self.errors), "stopped": self.stopped, "seconds": self.seconds,
                "files_called": len(self.called), "problem": self.problem}  # files of the whole repository


def interpreter(root: str, given: str = "") -> Interpreter:
    """The Python to run the example with: the one given, else the active virtual environment's, else the
    repository's own `.venv` or `venv`, else `python3` on the PATH; asked from the repository's folder
    what it really is (a pyenv shim picks by the folder's `.python-version`). A ConfigError, in one line,
    for anything that is not a Python 3.6 or newer."""
    if given:
        # a path is the user's (relative to where rag was started: the probe runs in the repository);
        # a bare name is looked up on the PATH
        path = os.path.abspath(given) if os.sep in given or (os.altsep and os.altsep in given) else given
        found = shutil.which(path)
        if found is None or not os.path.isfile(found):
            what = ("a directory" if os.path.isdir(path) else "not executable" if os.path.isfile(path) and path != given
                    else f"not on the PATH (for the file here, write ./{given})" if os.path.isfile(given)
                    else "no such file or command")
            raise ConfigError(f"--python {given}: {what}")
        return _asked(found, root, f"--python {given}")
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    environments = [os.environ["VIRTUAL_ENV"]] if os.environ.get("VIRTUAL_ENV") else []
    environments += [os.path.join(root, name) for name in (".venv", "venv") if os.path.lexists(os.path.join(root, name))]
    passed_over = []
    for environment in environments:
        path = os.path.join(environment, bin_dir, "python")
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return _with_passed_over(_asked(path, root, path), passed_over)
        passed_over.append(f"{environment} has no working {bin_dir}/python")
    found = shutil.which("python3") or shutil.which("python")
    if found is None:
        raise ConfigError("--run: no Python interpreter found: give the repository's with --python PYTHON")
    return _with_passed_over(_asked(found, root, found), passed_over)


def _with_passed_over(python: Interpreter, passed_over: list[str]) -> Interpreter:
    return replace(python, passed_over="; ".join(filter(None, [*passed_over, python.passed_over])))


_PROBE = "import sys; print(sys.executable); print('%d.%d.%d' % tuple(sys.version_info[:3]))"


def _asked(python: str, root: str, named: str) -> Interpreter:
    try:
        probe = subprocess.run([python, "-c", _PROBE], cwd=root if os.path.isdir(root) else None,
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ConfigError(f"{named}: cannot be run as a Python interpreter ({getattr(e, 'strerror', None) or e})") from None
    lines = probe.stdout.strip().splitlines()
    if probe.returncode != 0 or len(lines) != 2 or not re.fullmatch(r"\d+\.\d+\.\d+", lines[1]):
        raise ConfigError(f"{named}: not a Python interpreter that runs here ({_what_it_said(probe)[:200]})")
    version = tuple(int(part) for part in lines[1].split("."))
    if version[:2] < OLDEST_PYTHON:
        raise ConfigError(f"{named} is Python {lines[1]}: --run needs Python {'.'.join(map(str, OLDEST_PYTHON))} or newer")
    wanted = _python_version_file(root)
    passed_over = (f"the repository's .python-version asks for {wanted}, which {named} is not (Python {lines[1]})"
                   if wanted and not (lines[1] + ".").startswith(wanted + ".") else "")
    return Interpreter(lines[0] or python, lines[1], passed_over)


def _what_it_said(probe: subprocess.CompletedProcess) -> str:
    """The line of a failed probe's stderr that says why: a Python traceback's last (the exception), any
    other program's first (pyenv's `python2: command not found`, before its advice on versions)."""
    lines = [line.strip() for line in probe.stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit status {probe.returncode}"
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]


def _python_version_file(root: str) -> str:
    """The version a `.python-version` in the repository names (pyenv's), if one plain version."""
    try:
        with open(os.path.join(root, ".python-version")) as f:
            wanted = f.read().split()
    except (OSError, UnicodeDecodeError):
        return ""
    return wanted[0] if len(wanted) == 1 and re.fullmatch(r"\d+(\.\d+){0,2}", wanted[0]) else ""


def top_level_packages(files: list[str]) -> dict[str, str]:
    """The repository's importable packages, from its file paths: {package name: the folder that holds
    it, relative to the root ("" for the root itself, "src" for a src layout)}.

    >>> top_level_packages(["shop/__init__.py", "shop/cart.py", "shop/pay/__init__.py", "src/kit/__init__.py",
    ...                     "tools/run.py"])
    {'shop': '', 'kit': 'src'}
    """
    inits = {f.rsplit("/", 1)[0] for f in files if f == "__init__.py" or f.endswith("/__init__.py")}
    packages = {}
    for folder in sorted(inits):
        parent, _, name = folder.rpartition("/")
        if parent not in inits and name.isidentifier():
            packages.setdefault(name, parent)
    return packages


def assumed_packages(packages: list[str], report: str) -> list[str]:
    """The packages an example may use without importing them (a sympy report writes `Symbol('x')`): the
    repository's one package, or those of several that the report names.

    >>> assumed_packages(["sympy"], "Symbol('x') is wrong")
    ['sympy']
    >>> assumed_packages(["alpha", "beta"], "import beta fails; helper() too")
    ['beta']
    """
    if len(packages) == 1:
        return list(packages)
    return [p for p in packages if re.search(rf"(?<![\w.]){re.escape(p)}\b", report)]


def run_example(root: str, report: str, files: list[str], settings: ExampleSettings = ExampleSettings()) -> ExampleRun:
    """Run the Python examples of `report` in the repository at `root`, whose answerable files are `files`,
    and trace what they call there. Raises ConfigError for an interpreter that cannot run it; an example
    that fails, hangs or ends its interpreter is said in the result, never raised."""
    python = interpreter(root, settings.python)
    examples = python_examples(report)
    ran_by = partial(ExampleRun, python.path, len(examples), version=python.version, passed_over=python.passed_over)
    if not examples:
        return ran_by()
    root = os.path.realpath(root)
    packages = top_level_packages(files)
    paths = sorted({os.path.join(root, folder) if folder else root for folder in packages.values()} | {root})
    request = {"root": root, "paths": paths, "packages": sorted(packages), "examples": examples,
               "fill_from": assumed_packages(sorted(packages), report), "seconds": settings.run_seconds}
    with tempfile.TemporaryDirectory(prefix="rag-run-") as work:
        request_path, result_path = os.path.join(work, "request.json"), os.path.join(work, "result.json")
        cwd = os.path.join(work, "cwd")  # the example's own: deleting it leaves the result be
        os.mkdir(cwd)
        with open(request_path, "w") as f:
            json.dump(request, f)
        start = time.perf_counter()
        killed, stderr_tail = _run(python.path, request_path, result_path, cwd, settings.run_seconds + GRACE_SECONDS)
        seconds = round(time.perf_counter() - start, 2)
        try:  # written as it goes: a process stopped from outside leaves what it did until then
            with open(result_path) as f:
                result = json.load(f)
        except (OSError, ValueError):
            return ran_by(seconds=seconds,
                          problem="it ended before running anything" + (f" ({stderr_tail})" if stderr_tail else ""))
    answerable = set(files)  # code outside them (a virtual environment inside the repository) is no answer
    called = {path: names for path, names in result["called"].items() if path in answerable}
    run = ran_by(ran=result["ran"], failed=result["failed"], errors=result["errors"],
                 stopped=result["stopped"] or killed, called=called, seconds=seconds)
    if not (result.get("done") or run.stopped):  # os._exit() or a crash in C code, in the middle
        run.failed += 1
        run.errors.append(f"the interpreter ended in the middle of the example ({stderr_tail or 'no message'})")
    return run


class _Ended(BaseException):
    """SIGTERM or SIGHUP to rag while the example runs: stop it, clean up, then end as the signal asks."""

    def __init__(self, signum: int):
        self.signum = signum


def _run(python: str, request_path: str, result_path: str, cwd: str, limit: float) -> tuple[bool, str]:
    """Run the tracer; return whether it had to be stopped, and the last line of what it wrote to stderr
    (the example's output is dropped). Whatever it started is stopped when it ends, however it ends."""
    # no __pycache__ written into the repository; paths and messages in UTF-8 whatever the locale
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONUTF8="1", PYTHONIOENCODING="utf-8")
    with open(os.path.join(os.path.dirname(cwd), "stderr"), "w+b") as err:
        try:
            process = subprocess.Popen([python, TRACER, request_path, result_path], cwd=cwd, env=env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                       start_new_session=True)  # its own group: whatever it starts is stopped too
        except OSError as e:
            raise ConfigError(f"--python {python}: cannot run it: {e.strerror or e}") from None
        previous = _catch_termination()
        try:
            process.wait(timeout=limit)
            killed = False
        except subprocess.TimeoutExpired:
            killed = True
        except _Ended as ended:
            _stop(process)
            print(f"rag: stopped by {signal.Signals(ended.signum).name} while the report's example ran "
                  "(the example and what it started are stopped too)", file=sys.stderr)
            raise SystemExit(128 + ended.signum) from None  # the temporary directory is removed on the way
        except BaseException:  # Ctrl-C: the example does not outlive the question
            _stop(process)
            raise
        finally:
            _restore(previous)
        status = process.returncode
        _stop(process)  # what it left behind: a server it started, a forked copy, a thread holding it
        if killed:
            return True, f"it did not end within {limit:.0f} s and was stopped"
        if status is not None and status < 0:  # a crash in C code: the bug such a report is often about
            name = signal.Signals(-status).name if -status in signal.Signals._value2member_map_ else str(-status)
            return False, f"it crashed with {name}"
        err.seek(0)
        lines = err.read()[-4000:].decode("utf-8", "replace").strip().splitlines()
    return False, lines[-1].strip() if lines else ""


def _raise_ended(signum, frame):
    raise _Ended(signum)


def _catch_termination() -> dict:
    """SIGTERM and SIGHUP raise _Ended while the example runs (where there are such signals, and in the
    main thread only: elsewhere Python cannot set handlers); returns the handlers they had."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {name: signal.signal(getattr(signal, name), _raise_ended)
            for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)}


def _restore(previous: dict) -> None:
    for name, handler in previous.items():
        signal.signal(getattr(signal, name), handler)


def _stop(process: subprocess.Popen) -> None:
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        elif process.poll() is None:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()

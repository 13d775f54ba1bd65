"""Running a report's example in the repository's own Python, and what it called (`rag ask --run`).

A developer handed a bug report pastes its example into an interpreter and follows where it goes. The
code an example reaches is strong evidence of where its bug is: on sympy's and xarray's reports the
fix was in a file the example called in 86 of 100 that ran, and a top answer the example never reached
was usually wrong (bench/LOG.md, 2026-12-06 ninth session). The example runs in a separate process of
the repository's interpreter (its dependencies, not rag's), in an empty temporary directory, without
writing bytecode into the repository, for at most `ExampleSettings.run_seconds`; it is code from the
report, run as the user who asked: that is why it only runs when asked.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from graph.errors import ConfigError
from rag.reproduce.examples import python_examples
from rag.settings import ExampleSettings

TRACER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace_example.py")
GRACE_SECONDS = 10  # beyond the example's own limit, for the interpreter to start and the result to be written


@dataclass
class ExampleRun:
    """What running a report's example did. `called`: for each file of the repository (a path relative
    to its root), the names of the functions the example called there."""
    python: str
    examples: int  # pieces of code found in the report
    ran: int = 0  # statements that ran to their end
    failed: int = 0  # statements that raised (the example went on with the next)
    errors: list[str] = field(default_factory=list)  # the first few, one line each
    stopped: bool = False  # the time limit ended it
    called: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    problem: str = ""  # why nothing could be run, if so

    def note(self) -> str:
        """One line for a person: what ran, and what to make of it."""
        if self.problem:
            return f"the report's example was not run: {self.problem}"
        if not self.examples:
            return "--run: the report shows no Python example to run"
        if not self.ran + self.failed and not self.stopped:
            return "--run: none of the report's code is Python that parses: nothing was run"
        tried = self.ran + self.failed
        what = (f"the report's example ran {tried} statement{'s' * (tried != 1)} in {self.seconds:.1f} s "
                f"({self.python}) and called {sum(map(len, self.called.values()))} functions in "
                f"{len(self.called)} files of the repository")
        if self.failed:
            what += f"; {self.failed} failed (first: {self.errors[0]})" if self.errors else f"; {self.failed} failed"
        if self.stopped:
            what += "; it was stopped at the time limit (--run-seconds), what it called until then counts"
        return what

    def to_dict(self) -> dict:
        return {"python": self.python, "examples": self.examples, "ran": self.ran, "failed": self.failed,
                "errors": list(self.errors), "stopped": self.stopped, "seconds": self.seconds,
                "files_called": len(self.called), "problem": self.problem}


def interpreter(root: str, given: str = "") -> str:
    """The Python to run the example with: the one given, else the active virtual environment's, else the
    repository's own `.venv` or `venv`, else `python3` on the PATH."""
    if given:
        found = shutil.which(given)  # a bare name is looked up; a path must be an executable file
        if found is None or not os.path.isfile(found):
            raise ConfigError(f"--python {given}: no such executable")
        return found
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    candidates = [os.path.join(os.environ["VIRTUAL_ENV"], bin_dir, "python")] if os.environ.get("VIRTUAL_ENV") else []
    candidates += [os.path.join(root, env, bin_dir, "python") for env in (".venv", "venv")]
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which("python3") or shutil.which("python")
    if found is None:
        raise ConfigError("--run: no Python interpreter found: give the repository's with --python PYTHON")
    return found


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


def run_example(root: str, report: str, files: list[str], settings: ExampleSettings = ExampleSettings()) -> ExampleRun:
    """Run the Python examples of `report` in the repository at `root` (whose indexed files are `files`)
    and trace what they call. Raises ConfigError for an interpreter that does not exist; an example that
    fails, hangs or ends its interpreter is said in the result, never raised."""
    python = interpreter(root, settings.python)
    examples = python_examples(report)
    if not examples:
        return ExampleRun(python, 0)
    root = os.path.realpath(root)
    packages = top_level_packages(files)
    paths = sorted({os.path.join(root, folder) if folder else root for folder in packages.values()} | {root})
    request = {"root": root, "paths": paths, "packages": sorted(packages), "examples": examples,
               "seconds": settings.run_seconds}
    with tempfile.TemporaryDirectory(prefix="rag-run-") as work:
        request_path, result_path = os.path.join(work, "request.json"), os.path.join(work, "result.json")
        with open(request_path, "w") as f:
            json.dump(request, f)
        start = time.perf_counter()
        killed, stderr_tail = _run(python, request_path, result_path, work, settings.run_seconds + GRACE_SECONDS)
        seconds = round(time.perf_counter() - start, 2)
        try:  # written after every statement: a process stopped from outside leaves what it did until then
            with open(result_path) as f:
                result = json.load(f)
        except (OSError, ValueError):
            return ExampleRun(python, len(examples), seconds=seconds,
                              problem=f"{python} ended without a result" + (f": {stderr_tail}" if stderr_tail else ""))
    run = ExampleRun(python, len(examples), result["ran"], result["failed"], result["errors"],
                     result["stopped"] or killed, result["called"], seconds)
    if not (result.get("done") or run.stopped):  # os._exit() or a crash in C code, in the middle
        run.failed += 1
        run.errors.append(f"the interpreter ended in the middle of the example ({stderr_tail or 'no message'})")
    return run


def _run(python: str, request_path: str, result_path: str, work: str, limit: float) -> tuple[bool, str]:
    """Run the tracer; return whether it had to be stopped, and the last line of what it wrote to stderr
    (the example's output is dropped)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")  # no __pycache__ written into the repository
    with open(os.path.join(work, "stderr"), "w+b") as err:
        try:
            process = subprocess.Popen([python, TRACER, request_path, result_path], cwd=work, env=env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                       start_new_session=True)  # its own group: whatever it starts is stopped too
        except OSError as e:
            raise ConfigError(f"--python {python}: cannot run it: {e.strerror or e}") from None
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _stop(process)
            return True, f"it did not end within {limit:.0f} s and was stopped"
        except BaseException:  # Ctrl-C: the example does not outlive the question
            _stop(process)
            raise
        err.seek(0)
        lines = err.read()[-4000:].decode("utf-8", "replace").strip().splitlines()
    return False, lines[-1].strip() if lines else ""


def _stop(process: subprocess.Popen) -> None:
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()

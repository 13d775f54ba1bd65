"""Run a report's example under a profiler and write which functions of the repository it called.

    python trace_example.py REQUEST.json RESULT.json

Runs in the interpreter of the repository's own environment (any Python 3.6 or newer), not in rag's:
so it imports nothing of rag and uses no syntax newer than 3.6. The request names the repository's
root, the folders to put on `sys.path`, its top-level packages and the examples; the result lists, per
file of the repository, the functions the examples called.

Each example is run statement by statement in one namespace, and a statement that fails is reported
and skipped, as a developer would go on pasting the next line: the calls made before and after it
still say where the example goes. Three things a report leaves out are filled in, because a reporter
writes for readers who know them: the repository's own imports are made before the profiler starts
(importing a big package calls thousands of functions that say nothing about the bug); a name the
example uses without defining it is looked up among the repository's packages' public names (as after
`from package import *`), and a package's own name refers to the package.
"""
import ast
import json
import os
import signal
import sys
import threading
import time
import traceback


class _OutOfTime(BaseException):
    """Raised in the example by the timer; a BaseException, so `except Exception` in it cannot hide it."""


def _out_of_time(signum, frame):
    raise _OutOfTime()


def _timer(seconds):
    """Interrupt the example after `seconds` (0: no more); where there is no SIGALRM (Windows), the
    caller's limit on the whole process is the only one."""
    if hasattr(signal, "SIGALRM"):
        signal.setitimer(signal.ITIMER_REAL, seconds)


def _statements(source):
    """The example's top-level statements; a piece that does not parse as a whole (a line of output left
    in it) is taken line by line, keeping what parses."""
    try:
        return ast.parse(source).body
    except (SyntaxError, ValueError):
        pass
    statements = []
    for line in source.splitlines():
        try:
            statements += ast.parse(line.strip()).body
        except (SyntaxError, ValueError):
            continue
    return statements


def _compiled(statement):
    try:
        if isinstance(statement, ast.Expr):
            return compile(ast.Expression(statement.value), "<report>", "eval")
        try:
            module = ast.Module(body=[statement], type_ignores=[])
        except TypeError:  # before Python 3.8
            module = ast.Module(body=[statement])
        return compile(module, "<report>", "exec")
    except (SyntaxError, ValueError, TypeError):
        return None  # `return` outside a function, and the like


def _own_imports(statements, packages):
    """The statements that import one of the repository's packages (run once before profiling)."""
    own = []
    for statement in statements:
        if isinstance(statement, ast.Import):
            names = [alias.name for alias in statement.names]
        elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
            names = [statement.module]
        else:
            continue
        if any(name.split(".")[0] in packages for name in names):
            own.append(statement)
    return own


def main(request_path, result_path):
    with open(request_path) as f:
        request = json.load(f)
    root = os.path.realpath(request["root"])
    prefix = root + os.sep
    for folder in reversed(request["paths"]):
        sys.path.insert(0, folder)
    deadline = time.time() + request["seconds"]
    called = {}
    result = {"ran": 0, "failed": 0, "errors": [], "stopped": False, "python": sys.version.split()[0]}

    def profile(frame, event, arg):
        if event == "call":
            filename = frame.f_code.co_filename
            if filename.startswith(prefix):
                called.setdefault(filename[len(prefix):], set()).add(frame.f_code.co_name)

    def write():
        """After every statement, whole or not at all: a process stopped from outside (a hang in C code,
        which the timer cannot interrupt) leaves what it called until then."""
        result["called"] = {f: sorted(names) for f, names in list(called.items())}
        with open(result_path + ".part", "w") as f:
            json.dump(result, f)
        os.replace(result_path + ".part", result_path)

    def note(error):
        result["failed"] += 1
        if len(result["errors"]) < 5:
            result["errors"].append(traceback.format_exception_only(type(error), error)[-1].strip()[:300])

    namespace = {"__name__": "__main__"}
    packages = {}
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _out_of_time)
    examples = [_statements(source) for source in request["examples"]]
    for statement in _own_imports([s for statements in examples for s in statements], request["packages"]):
        code = _compiled(statement)
        try:
            exec(code, {})
        except BaseException as error:  # the example's own import fails again below, and is counted there
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                break
    packages.update((name, sys.modules[name]) for name in request["packages"] if name in sys.modules)
    threading.setprofile(profile)  # threads the example starts (a thread pool) are followed too
    for statements in examples:
        for statement in statements:
            left = deadline - time.time()
            if left <= 0:
                result["stopped"] = True
                write()
                return
            code = _compiled(statement)
            if code is None:
                continue
            for _ in range(20):  # each missing name filled in is one more try of the same statement
                _timer(max(left, 0.001))
                sys.setprofile(profile)
                try:
                    eval(code, namespace)
                    sys.setprofile(None)
                    _timer(0)
                    result["ran"] += 1
                    break
                except _OutOfTime:
                    sys.setprofile(None)
                    result["stopped"] = True
                    write()
                    return
                except NameError as error:
                    sys.setprofile(None)
                    _timer(0)
                    name = str(error).split("'")[1] if str(error).count("'") >= 2 else ""
                    if len(packages) < len(request["packages"]):  # the example imported none of them (yet)
                        _import_all(request["packages"], packages)
                    found = _public_name(name, packages)
                    if name and name not in namespace and found is not None:
                        namespace[name] = found
                        left = deadline - time.time()
                        continue
                    note(error)
                    break
                except BaseException as error:  # SystemExit and KeyboardInterrupt too: the next line is run
                    sys.setprofile(None)
                    _timer(0)
                    note(error)
                    break
            write()
    result["done"] = True
    write()


def _import_all(names, packages):
    """Import the repository's packages the example did not (unprofiled: importing is not the example's
    work); one that fails to import is left out."""
    for name in names:
        if name not in packages:
            try:
                packages[name] = __import__(name)
            except BaseException:  # an import error of the package is the example's to meet, if it uses it
                packages[name] = None
    for name in [n for n, module in packages.items() if module is None]:
        del packages[name]


def _public_name(name, packages):
    if name in packages:
        return packages[name]
    for package in packages.values():
        exported = getattr(package, "__all__", None)
        if (exported is None or name in exported) and not name.startswith("_") and hasattr(package, name):
            return getattr(package, name)
    return None


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

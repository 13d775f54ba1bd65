"""Run a report's example under a profiler and write which functions of the repository it called.

    python trace_example.py REQUEST.json RESULT.json

Runs in the interpreter of the repository's own environment (any Python 3.6 or newer), not in rag's:
so it imports nothing of rag and uses no syntax newer than 3.6. The request names the repository's
root, the folders to put on `sys.path`, its top-level packages and the examples; the result lists, per
file of the repository, the functions the examples called.

Each example is run statement by statement, in order, in one namespace, and a statement that fails is
reported and skipped, as a developer would go on pasting the next line: the calls made before and after
it still say where the example goes. Tests the example defines without calling them (`def test_x():`)
are called at the end, as pytest would. Two things a report leaves out are filled in, because a reporter
writes for readers who know them: an import of the repository's own packages runs without the profiler
(importing a big package calls thousands of functions that say nothing about the bug), and a name the
example uses without defining it is taken from the repository's packages: the package's own name, or a
public name exactly one of them defines (as after `from package import *`), never a module it imported;
a package the example never imported is imported for this only if the request allows it (`fill_from`:
the repository's one package, or the ones the report names).
"""
import sys

_AT_START = set(sys.modules)  # what a fresh interpreter has loaded, before this script's own imports

import ast  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402

WRITE_EVERY = 0.5  # seconds between two writes of the result while the example runs


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
    in it) is taken line by line, keeping the unindented lines that parse: an indented line belongs to
    something around it that did not parse, and is not run out of it."""
    try:
        return ast.parse(source).body
    except (SyntaxError, ValueError):
        pass
    statements = []
    for line in source.splitlines():
        if line[:1].isspace():
            continue
        try:
            statements += ast.parse(line).body
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


def _tests_to_call(statements):
    """Calls of the tests the example defines and never calls (`def test_create_table():`, with no
    arguments, as pytest would run them; a test that takes fixtures, or a coroutine, is left alone): a
    report that shows a failing test shows its example inside it."""
    defined = [s.name for s in statements if isinstance(s, ast.FunctionDef) and s.name.startswith("test")
               and not (s.args.args or getattr(s.args, "posonlyargs", None) or s.args.kwonlyargs)]
    called = {node.func.id for s in statements if not isinstance(s, (ast.FunctionDef, ast.ClassDef))
              for node in ast.walk(s) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return [ast.parse(name + "()").body[0] for name in dict.fromkeys(defined) if name not in called]


def _imports_own_package(statement, packages):
    """Whether the statement imports one of the repository's packages."""
    if isinstance(statement, ast.Import):
        names = [alias.name for alias in statement.names]
    elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
        names = [statement.module]
    else:
        return False
    return any(name.split(".")[0] in packages for name in names)


def _one_line(error):
    """The exception as a person reads it in one line: its type and the first line of its message (not a
    note added to it, not the rest of a long message)."""
    lines = "".join(traceback.format_exception_only(type(error), error)).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


def main(request_path, result_path):
    with open(request_path) as f:
        request = json.load(f)
    root = os.path.realpath(request["root"])
    prefix = root + os.sep
    for folder in reversed(request["paths"]):
        sys.path.insert(0, folder)
    for loaded in [m for m in sys.modules if m not in _AT_START and m.split(".")[0] in request["packages"]]:
        del sys.modules[loaded]  # a repository package named like a module this script imported (json)
    main_module = types.ModuleType("__main__")  # the example's, as `python` gives it: pickle and
    sys.modules["__main__"] = main_module       # typing.get_type_hints look its classes up there
    sys.argv = [""]  # as an interactive interpreter's; argparse and unittest.main() read it
    deadline = time.time() + request["seconds"]
    me = os.getpid()
    called = {}
    result = {"ran": 0, "failed": 0, "errors": [], "stopped": False, "python": sys.executable,
              "version": "%d.%d.%d" % sys.version_info[:3]}
    last_write = [0.0, -1]  # when, and how many functions had been called

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            # a module's body is its import; <listcomp>, <genexpr>, <lambda> count as code run there (as measured:
            # left out, sympy's reports lost one answer), and are not shown in the evidence
            if code.co_filename.startswith(prefix) and code.co_name != "<module>":
                called.setdefault(code.co_filename[len(prefix):], set()).add(code.co_name)

    def write(final=False):
        """Whole or not at all, after a statement that called something new, at least every WRITE_EVERY
        seconds, and at the end: a process stopped from outside (a hang in C code, which the timer cannot
        interrupt) leaves what it called until then. Only the process that was started writes: a copy
        the example forked does not."""
        size = sum(len(names) for names in list(called.values()))
        if os.getpid() != me or (not final and size == last_write[1] and time.time() - last_write[0] < WRITE_EVERY):
            return  # nothing new called, and written a moment ago (a pasted block of 20,000 lines)
        last_write[:] = [time.time(), size]
        result["called"] = {f: sorted(names) for f, names in list(called.items())}
        with open(result_path + ".part", "w") as f:
            json.dump(result, f)
        os.replace(result_path + ".part", result_path)

    def note(error):
        result["failed"] += 1
        if len(result["errors"]) < 5:
            result["errors"].append(_one_line(error))

    namespace = main_module.__dict__
    packages = {}  # the repository's packages imported so far, by name
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _out_of_time)
    threading.setprofile(profile)  # threads the example starts (a thread pool) are followed too
    statements = [statement for source in request["examples"] for statement in _statements(source)]
    for statement in statements + _tests_to_call(statements):
        if time.time() >= deadline:
            result["stopped"] = True
            break
        code = _compiled(statement)
        if code is None:
            continue
        quietly = _imports_own_package(statement, request["packages"])  # where it stands: set-up before it counts
        for _ in range(20):  # each missing name filled in is one more try of the same statement
            error = _attempt(code, namespace, None if quietly else profile, deadline - time.time())
            if not (isinstance(error, NameError) and _fill_in(error, namespace, packages, request["fill_from"])):
                break
        if error is None:
            result["ran"] += 1
        elif isinstance(error, _OutOfTime):
            result["stopped"] = True
        else:  # SystemExit and KeyboardInterrupt too: the next line is run
            note(error)
        packages.update((name, sys.modules[name]) for name in request["packages"] if name in sys.modules)
        if result["stopped"]:
            break
        write()
    result["done"] = True
    write(final=True)


def _attempt(code, namespace, profile, seconds):
    """Run one compiled statement under `profile` for at most `seconds`: the exception it raised (the
    timer's _OutOfTime included, also when it fires just as the statement ends), or None."""
    try:
        _timer(max(seconds, 0.001))
        sys.setprofile(profile)
        try:
            eval(code, namespace)
            return None
        except BaseException as error:
            return error
        finally:
            sys.setprofile(None)
            _timer(0)
    except _OutOfTime as late:
        return late


def _fill_in(error, namespace, packages, fill_from):
    """Define the name a NameError says is missing, when the repository's packages define it (importing
    those the report may assume, `fill_from`, if it has not); whether it did."""
    message = str(error)
    name = message.split("'")[1] if message.count("'") >= 2 else ""
    if not name or name in namespace:
        return False
    if len(packages) < len(fill_from):  # the report took them for imported
        _import_quietly(fill_from, packages)
    found = _public_name(name, packages)
    if found is None:
        return False
    namespace[name] = found
    return True


def _import_quietly(names, packages):
    """Import the packages a report may take for granted (rag/reproduce/run.py: fill_from), without the
    profiler; one that fails to import is left out."""
    for name in names:
        if name not in packages:
            saved = sys.getprofile()
            sys.setprofile(None)
            try:
                packages[name] = __import__(name)
            except BaseException:
                pass
            finally:
                sys.setprofile(saved)


def _public_name(name, packages):
    """The package itself, or a public name that exactly one of the imported packages defines (`__all__`,
    else a name whose value comes from the package: not a module it imported, nor a function or class of
    another library). A name several define is left undefined rather than guessed."""
    if name in packages:
        return packages[name]
    found = []
    for package_name, package in sorted(packages.items()):
        exported = getattr(package, "__all__", None)
        if name.startswith("_") or not hasattr(package, name) or (exported is not None and name not in exported):
            continue
        value = getattr(package, name)
        origin = getattr(value, "__module__", None) or ""
        if exported is not None or (not isinstance(value, types.ModuleType)
                                    and (not isinstance(origin, str) or not origin
                                         or origin.split(".")[0] == package_name)):
            found.append(value)
    return found[0] if len(found) == 1 else None


if __name__ == "__main__":
    status = 0
    try:
        main(sys.argv[1], sys.argv[2])
    except BaseException as error:  # rag's own request or result: said in one line
        sys.stderr.write(_one_line(error) + "\n")
        status = 1
    finally:  # at once: a thread the example left running does not hold the process (nor do its forks)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

"""`rag ask --run`: the report's Python example runs in the repository's interpreter, and the code it calls
is evidence. On the Python fixture (a `shop` package: cart, catalog, checkout, payment)."""
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from graph.errors import ConfigError
from rag.engine import Engine
from rag.reproduce.examples import python_examples
from rag.reproduce.run import interpreter, run_example
from rag.settings import ExampleSettings

from conftest import RAG, run_rag

FILES = ["shop/__init__.py", "shop/cart.py", "shop/catalog.py", "shop/checkout.py", "shop/payment/__init__.py",
         "shop/payment/gateway.py"]
HERE = ExampleSettings(python=sys.executable, run_seconds=10)


def fenced(*lines: str) -> str:
    return "```python\n" + "\n".join(lines) + "\n```\n"


def test_examples_are_the_code_a_reporter_would_paste():
    report = ("Totals are wrong\n\n" + fenced(">>> from shop.cart import Cart", ">>> Cart().total_cents()", "0")
              + "\nand in IPython:\n\nIn [2]: find_product('tea')\nOut[2]: Product(sku='tea')\n\n"
              + "Steps:\n\n    import shop\n    shop.x = 1\n\nTraceback (most recent call last):\nKeyError: 'A1'\n")
    assert python_examples(report) == ["from shop.cart import Cart\nCart().total_cents()\n", "find_product('tea')\n",
                                       "import shop\nshop.x = 1\n"]
    assert python_examples("The total is wrong when the cart is empty.") == []
    assert python_examples("Filed from a browser:\r\n```\r\nimport shop\r\nshop.x = 1\r\n```\r\nreturns 1") == [
        "import shop\nshop.x = 1\n"]


def test_the_example_is_traced_into_the_files_and_functions_it_calls(shop):
    report = "Wrong total\n\n" + fenced("from shop.cart import Cart", "c = Cart()", "c.add('tea', 2)",
                                        "print(c.total_cents())")
    run = run_example(str(shop), report, FILES, HERE)
    assert run.ran == 4 and run.failed == 0 and not run.stopped and not run.problem
    assert set(run.called) == {"shop/cart.py", "shop/catalog.py"}
    assert {"add", "total_cents", "__init__"} <= set(run.called["shop/cart.py"])
    assert run.called["shop/catalog.py"] == ["find_product"]


def test_a_test_the_report_defines_is_run_as_pytest_would(shop):
    report = fenced("from shop.catalog import find_product", "def test_price():", "    assert find_product('tea')",
                    "def test_with_a_fixture(cart):", "    cart.add('tea')", "def test_called():", "    pass", "test_called()")
    run = run_example(str(shop), report, FILES, HERE)
    assert run.called == {"shop/catalog.py": ["find_product"]} and run.failed == 0  # the fixture's test is not run
    assert run.ran == 6  # the import, three definitions, the report's own call and the one test it never called


def test_a_failing_statement_is_said_and_the_next_ones_still_run(shop):
    report = fenced(">>> from shop.cart import Cart", ">>> Cart().add('no such sku')", ">>> import sys; sys.exit(2)",
                    ">>> from shop.catalog import find_product", ">>> find_product('tea')")
    run = run_example(str(shop), report, FILES, HERE)
    assert run.failed == 2 and run.errors[0] == "KeyError: 'no such sku'"
    assert "find_product" in run.called["shop/catalog.py"]
    assert "ran 4 statements" in run.note() and "; 2 more failed (first: KeyError: 'no such sku')" in run.note()


def test_names_a_reporter_leaves_undefined_come_from_the_repositorys_packages(shop):
    (shop / "shop" / "__init__.py").write_text('"""Online shop."""\nfrom shop.catalog import find_product\n')
    run = run_example(str(shop), fenced("find_product('tea')", "shop.catalog.find_product('tea')"), FILES, HERE)
    assert run.failed == 0 and run.called == {"shop/catalog.py": ["find_product"]}


def test_importing_the_package_is_not_counted_as_the_examples_calls(shop):
    (shop / "shop" / "cart.py").write_text((shop / "shop" / "cart.py").read_text()
                                           + "\n\ndef _at_import():\n    return 1\n\n\n_at_import()\n")
    run = run_example(str(shop), fenced("import shop.cart", "shop.cart.Cart()"), FILES, HERE)
    assert run.called == {"shop/cart.py": ["__init__"]}


def test_a_hanging_example_is_stopped_and_what_it_called_until_then_counts(shop):
    report = fenced("from shop.catalog import find_product", "find_product('tea')", "while True:", "    pass",
                    "find_product('never')")
    run = run_example(str(shop), report, FILES, ExampleSettings(python=sys.executable, run_seconds=1))
    assert run.stopped and run.called == {"shop/catalog.py": ["find_product"]}
    assert run.seconds < 8 and "stopped at the time limit" in run.note()


def test_a_hang_the_timer_cannot_interrupt_is_stopped_from_outside_keeping_what_ran(shop, monkeypatch):
    import rag.reproduce.run as run_module

    monkeypatch.setattr(run_module, "GRACE_SECONDS", 1)
    report = fenced("from shop.catalog import find_product", "find_product('tea')", "import os, signal",
                    "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])", "while True: pass")
    run = run_example(str(shop), report, FILES, ExampleSettings(python=sys.executable, run_seconds=1))
    assert run.stopped and not run.problem and run.called == {"shop/catalog.py": ["find_product"]}


def test_threads_the_example_starts_are_followed(shop):
    report = fenced("from concurrent.futures import ThreadPoolExecutor", "from shop.catalog import find_product",
                    "ThreadPoolExecutor(2).submit(find_product, 'tea').result()")
    assert run_example(str(shop), report, FILES, HERE).called == {"shop/catalog.py": ["find_product"]}


def test_an_example_that_ends_its_interpreter_is_said_not_used(shop):
    run = run_example(str(shop), fenced("from shop.catalog import find_product", "find_product('tea')", "import os",
                                        "os._exit(3)", "find_product('never')"), FILES, HERE)
    assert run.ran >= 2 and run.called == {"shop/catalog.py": ["find_product"]}  # what ran before it still says
    assert run.failed == 1 and run.errors[0].startswith("the interpreter ended in the middle of the example")
    run = run_example(str(shop), fenced("__import__('os')._exit(3)"), FILES, HERE)
    assert run.problem == "it ended before running anything" and run.called == {}
    assert run.note().startswith("the report's example was not run")


def test_the_example_runs_elsewhere_and_writes_nothing_into_the_repository(shop):
    before = sorted(p.relative_to(shop) for p in shop.rglob("*"))
    run_example(str(shop), fenced("import shop.cart", "open('written.txt', 'w').write('x')"), FILES, HERE)
    assert sorted(p.relative_to(shop) for p in shop.rglob("*")) == before  # no written.txt, no __pycache__


def test_the_interpreter_is_the_one_given_else_the_repositorys_environment(shop, monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    with pytest.raises(ConfigError, match="--python /no/such/python: no such file or command"):
        interpreter(str(shop), "/no/such/python")
    with pytest.raises(ConfigError, match=f"--python {shop}: a directory"):
        interpreter(str(shop), str(shop))
    with pytest.raises(ConfigError, match="--python /bin/echo: not a Python interpreter"):
        interpreter(str(shop), "/bin/echo")
    shim = shop / "shim"  # pyenv's shim for a version not installed says why first, then advice (sweep 11)
    shim.write_text("#!/bin/sh\necho 'pyenv: python2: command not found' >&2\necho >&2\n"
                    "echo 'Note: See pyenv help global for tips on allowing both' >&2\n"
                    "echo '      Python 2 and Python 3 to be found at the same time.' >&2\nexit 127\n")
    shim.chmod(0o755)
    with pytest.raises(ConfigError, match=r"not a Python interpreter that runs here \(pyenv: python2: command not found\)"):
        interpreter(str(shop), str(shim))
    own = shop / ".venv" / "bin" / "python"
    own.parent.mkdir(parents=True)
    own.symlink_to(sys.executable)
    assert interpreter(str(shop)).path == os.path.realpath(sys.executable) or interpreter(str(shop)).path == str(own)
    assert interpreter(str(shop)).version == "%d.%d.%d" % sys.version_info[:3]
    active = shop / "active" / "bin" / "python"
    active.parent.mkdir(parents=True)
    active.symlink_to(sys.executable)
    monkeypatch.setenv("VIRTUAL_ENV", str(shop / "active"))
    assert interpreter(str(shop)).path in (str(active), sys.executable, os.path.realpath(sys.executable))


def test_code_the_example_calls_rises_in_the_ranking(shop):
    engine = Engine.open(str(shop))
    report = ("Checkout charges the wrong amount for the cart\n\n"
              + fenced("from shop.catalog import find_product", "find_product('tea').price_cents"))
    plain = {c.module: c.score for c in engine.ask(report).candidates}
    result = engine.ask(report, run=HERE)
    ran = {c.module: c.score for c in result.candidates}
    rise = engine.retriever.settings.w_executed * math.log(2)  # one function called there
    assert ran.pop("shop/catalog.py") == pytest.approx(plain.pop("shop/catalog.py") + rise, abs=1e-3)
    assert ran == plain  # the files the example never reached keep their scores
    catalog = next(c for c in result.candidates if c.module == "shop/catalog.py")
    assert "the report's example called find_product" in catalog.why
    assert result.example.called == {"shop/catalog.py": ["find_product"]} and "run" in result.timing_ms
    assert result.to_dict()["example"]["files_called"] == 1


def test_a_report_without_code_is_answered_and_says_nothing_ran(shop):
    result = Engine.open(str(shop)).ask("the cart total is wrong", run=HERE)
    assert result.answer.module == "shop/cart.py"
    assert "--run: the report shows no Python example to run" in result.warnings


def test_code_that_is_not_python_is_said_not_run(shop):
    run = run_example(str(shop), "In JavaScript:\n\n```js\nconst cart = new Cart();\n```\n", FILES, HERE)
    assert run.examples == 0 and run.note() == "--run: the report shows no Python example to run"  # QA sweep 9: run as Python
    run = run_example(str(shop), "Here:\n\n```\nconst cart = new Cart();\n```\n", FILES, HERE)
    assert run.examples == 1 and run.called == {} and run.note() == "--run: none of the report's code is Python that parses: nothing was run"


def test_the_command_line(shop):
    report = shop / "report.md"
    report.write_text("Wrong price\n\n" + fenced(">>> from shop.catalog import find_product", ">>> find_product('tea')"))
    p = run_rag("ask", "--repo", shop, "--file", report, "--run", "--python", sys.executable, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["example"]["files_called"] == 1
    p = run_rag("ask", "--repo", shop, "--file", report, "--run", "--python", sys.executable)
    assert "the report's example ran 2 statements" in p.stdout and "run " in p.stdout
    for bad, says in ((["--python", sys.executable], "--python goes with --run"),
                      (["--run", "--python", "/no/such/python"], "--python /no/such/python: no such file or command"),
                      (["--run", "--run-seconds", "0"], "--run-seconds")):
        p = run_rag("ask", "--repo", shop, "--file", report, *bad)
        assert p.returncode != 0 and says in p.stderr and "Traceback" not in p.stderr, (bad, p.stderr)
    assert not os.path.exists(shop / "__pycache__")


# QA sweep 9 (/work/tmp/qa9/REPORT.md): what a demanding user found, each mended


def test_a_traceback_is_output_and_none_of_its_lines_is_run(shop, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (shop / "shop" / "__init__.py").write_text(
        f'"""Shop."""\nimport shutil\nCACHE_DIR = {str(victim)!r}\n\n\ndef clear_cache():\n    shutil.rmtree(CACHE_DIR)\n')
    report = ("clear_cache crashes\n\n    Traceback (most recent call last):\n      File \"app.py\", line 1, in <module>\n"
              "        import shop\n      File \"shop/__init__.py\", line 7, in clear_cache\n"
              "        shutil.rmtree(CACHE_DIR)\n    PermissionError: [Errno 13] Permission denied\n")
    assert python_examples(report) == []
    run = run_example(str(shop), report + "\n```\nshutil.rmtree(CACHE_DIR)\n```\n", FILES, HERE)
    assert victim.exists() and run.ran == 0  # `shutil`, a module shop imported, is not a name it defines


def test_ipython_tracebacks_magics_and_shell_lines_are_left_out():
    report = ("```python\n!pip install shop\n%timeit f()\n$ python -c 'x'\nimport shop\n"
              "---------------------------------------------------------------------------\n"
              "ZeroDivisionError                         Traceback (most recent call last)\n"
              "Cell In[3], line 1\n----> 1 shop.explode()\n\nZeroDivisionError: division by zero\nshop.ok()\n```\n")
    assert python_examples(report) == ["import shop\nshop.ok()\n"]


def test_fences_in_lists_left_open_or_in_other_languages(shop):
    in_list = "1. Run:\n   ```python\n   def build():\n       return 1\n   build()\n   ```\n"
    assert python_examples(in_list) == ["def build():\n    return 1\nbuild()\n"]
    assert python_examples("```python\nimport shop\nshop.x = 1\n") == ["import shop\nshop.x = 1\n"]
    assert python_examples("```yaml\nname: shop\n```\n~~~js\ntotal(1)\n~~~\n") == []


def test_code_pasted_without_a_fence_does_not_give_its_bodies_as_blocks():
    """Found on moto's reports: an unfenced `def` with its indented body gave the body, out of its
    function, as an indented block to run (`os.environ[...] = ...` alone)."""
    report = "Creates in us-east-1\n\nimport os\n\ndef creds():\n    os.environ['K'] = 'v'\n    return 1\n\nDone.\n"
    assert python_examples(report) == []
    assert python_examples("Run:\n\n    import shop\n    shop.x = 1\n") == ["import shop\nshop.x = 1\n"]


def test_interpreter_sessions_outside_a_fence_keep_their_continuation_lines():
    report = ("In [1]: def make():\n   ...:     return 2\n   ...:\n\nIn [2]: make()\nOut[2]: 2\n\n"
              ">>> for i in range(2):\n...     print(i)\n0\n")
    assert python_examples(report) == ["def make():\n    return 2\n\nmake()\nfor i in range(2):\n    print(i)\n"]


def test_imports_run_where_they_stand_so_set_up_before_them_counts(shop):
    (shop / "shop" / "money.py").write_text(
        '"""Money."""\nimport os\nEUR = os.environ.get("SHOP_CURRENCY") == "EUR"\n\n\ndef price(cents):\n'
        '    return _eur(cents) if EUR else cents\n\n\ndef _eur(cents):\n    return cents\n')
    report = fenced("import os", "os.environ['SHOP_CURRENCY'] = 'EUR'", "from shop.money import price", "price(450)")
    assert run_example(str(shop), report, FILES + ["shop/money.py"], HERE).called == {"shop/money.py": ["_eur", "price"]}


def test_an_undefined_name_imports_only_the_package_the_report_may_assume(shop, tmp_path):
    marker = tmp_path / "imported"
    (shop / "tools").mkdir()
    (shop / "tools" / "__init__.py").write_text(f'open({str(marker)!r}, "w").write("x")\n')
    files = FILES + ["tools/__init__.py"]
    run = run_example(str(shop), fenced("from shop.cart import Cart", "print(totl)"), files, HERE)
    assert not marker.exists() and run.errors == ["NameError: name 'totl' is not defined"]


def test_a_name_two_packages_define_is_not_guessed(tmp_path):
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"from {name}.util import helper\n")
        (tmp_path / name / "util.py").write_text("def helper():\n    return 1\n")
    files = ["alpha/__init__.py", "alpha/util.py", "beta/__init__.py", "beta/util.py"]
    run = run_example(str(tmp_path), fenced("import alpha, beta", "helper()"), files, HERE)
    assert run.called == {} and run.errors == ["NameError: name 'helper' is not defined"]


def test_a_failing_import_is_no_evidence_and_says_so(shop):
    (shop / "shop" / "catalog.py").write_text('"""Catalog."""\nimport no_such_dependency_xyz\n')
    engine = Engine.open(str(shop))
    report = "find_product crashes\n\n" + fenced("from shop.catalog import find_product", "find_product('tea')")
    plain = [(c.module, c.score) for c in engine.ask(report).candidates]
    result = engine.ask(report, run=HERE)
    assert [(c.module, c.score) for c in result.candidates] == plain and not result.example.counts
    assert any("all failed (first: ModuleNotFoundError: No module named 'no_such_dependency_xyz')" in w
               for w in result.warnings), result.warnings


def test_what_the_example_starts_is_stopped_when_it_ends(shop, tmp_path):
    pid_file = tmp_path / "child.pid"
    report = fenced("import subprocess", "p = subprocess.Popen(['sleep', '300'])",
                    f"open({str(pid_file)!r}, 'w').write(str(p.pid))", "import threading, time",
                    "threading.Thread(target=lambda: time.sleep(300)).start()")
    run = run_example(str(shop), report, FILES, HERE)
    assert run.seconds < 5 and not run.stopped  # a thread left running does not hold it to the limit
    child = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the example's child {child} outlived the run")


def test_a_terminated_rag_ask_stops_the_example_and_cleans_up(shop, tmp_path):
    pid_file = tmp_path / "tracer.pid"
    report = shop / "hang.md"
    report.write_text("x\n\n" + fenced("import os, signal", f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))",
                                        "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])", "while True: pass"))
    Engine.open(str(shop))  # the index first, so that the example is what runs when the signal comes
    p = subprocess.Popen(RAG + ["ask", "--repo", str(shop), "--file", str(report), "--run", "--python", sys.executable],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 128 + signal.SIGTERM
    assert "rag: stopped by SIGTERM while the report's example ran" in p.stderr.read().decode()
    tracer = int(pid_file.read_text())
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(tracer, 0)


def test_a_deleted_working_directory_forked_copies_and_other_code_keep_the_result(shop, tmp_path):
    venv_code = shop / ".venv" / "lib" / "fakelib"
    venv_code.mkdir(parents=True)
    (venv_code / "__init__.py").write_text("def a():\n    return 1\n")
    report = fenced("import sys", f"sys.path.insert(0, {str(venv_code.parent)!r})", "import fakelib", "fakelib.a()",
                    "from shop.catalog import find_product", "find_product('tea')", "import os, shutil",
                    "pid = os.fork()", "shutil.rmtree(os.getcwd(), ignore_errors=True) if pid else None")
    run = run_example(str(shop), report, FILES, HERE)
    assert not run.problem and not run.failed, run  # no rag error reported as the example's
    assert run.called == {"shop/catalog.py": ["find_product"]}  # the virtual environment's code is no answer


def test_an_environment_without_a_working_python_is_passed_over_and_said(shop, monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    (shop / ".venv").symlink_to(shop / "gone")  # a broken link, as a moved environment leaves
    result = Engine.open(str(shop)).ask("x\n\n" + fenced("import shop"), run=ExampleSettings())
    assert any(w.startswith(f"--run: {shop}/.venv has no working bin/python: the example ran in ") for w in result.warnings), \
        result.warnings


def test_settings_refuse_what_cannot_work():
    for bad in ({"run_seconds": float("inf")}, {"run_seconds": 1e10}, {"run_seconds": "5"}, {"python": 123},
                {"run_seconds": float("nan")}):
        with pytest.raises(ValueError):
            ExampleSettings(**bad)


@pytest.mark.skipif(not os.path.exists("/root/.pyenv/versions/2.7.18/bin/python"), reason="no Python 2 here")
def test_python_2_is_refused_in_one_line(shop):
    with pytest.raises(ConfigError, match="is Python 2.7.18: --run needs Python 3.6 or newer"):
        interpreter(str(shop), "/root/.pyenv/versions/2.7.18/bin/python")


# QA sweep 10 (/work/tmp/qa10/REPORT.md): a second look after the mends


def test_the_example_is_the_main_module_with_an_interpreters_argv(shop):
    report = fenced("from shop.catalog import find_product, Product", "import pickle, sys, typing",
                    "from dataclasses import dataclass", "@dataclass", "class Order:", "    product: 'Product'",
                    "o = Order(find_product('tea'))", "pickle.dumps(o)", "typing.get_type_hints(Order)",
                    "assert sys.argv == [''], sys.argv")
    run = run_example(str(shop), report, FILES, HERE)
    assert run.failed == 0, run.errors


def test_unittest_main_runs_the_reports_tests(shop):
    report = fenced("import unittest", "from shop.catalog import find_product", "class T(unittest.TestCase):",
                    "    def test_price(self):", "        self.assertEqual(find_product('tea').price_cents, 450)",
                    "if __name__ == '__main__':", "    unittest.main()")
    assert run_example(str(shop), report, FILES, HERE).called == {"shop/catalog.py": ["find_product"]}


def test_black_formatted_continuations_and_tables_of_dashes_are_code():
    black = "```python\ndef check(p, expected):\n    if (p\n            != expected):\n        raise ValueError('%d'\n" \
            "                         % p)\ncheck(1, 1)\n```\n"
    assert python_examples(black) == [black.split("\n", 1)[1].rsplit("```", 1)[0]]
    table = "```python\nT = '''\nsku   price\n------------------------------\ntea   450\n'''\nprint(T)\n```\n"
    assert python_examples(table) == [table.split("\n", 1)[1].rsplit("```", 1)[0]]


def test_fences_indented_under_list_items_and_chained_tracebacks():
    nested = "- Step:\n  - Sub step:\n    ```python\n    import shop\n    shop.f()\n    ```\n"
    assert python_examples(nested) == ["import shop\nshop.f()\n"]
    chained = ("```python\nimport shop\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n"
               "KeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\n"
               "Traceback (most recent call last):\n  File \"a.py\", line 3, in <module>\nValueError: y\nshop.ok()\n```\n")
    assert python_examples(chained) == ["import shop\n\nshop.ok()\n"]


def test_a_script_that_goes_on_at_a_prompt_keeps_its_script_lines():
    report = "```python\nfrom shop.cart import Cart\nc = Cart()\n>>> c.total_cents()\n900\n```\n"
    assert python_examples(report) == ["from shop.cart import Cart\nc = Cart()\nc.total_cents()\n"]


def test_a_repository_package_named_like_a_module_the_tracer_uses(tmp_path):
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "__init__.py").write_text("def dumps(o):\n    return str(o)\n")
    run = run_example(str(tmp_path), fenced("import json", "json.dumps({'a': 1})"), ["json/__init__.py"], HERE)
    assert run.called == {"json/__init__.py": ["dumps"]}


def test_a_crash_in_c_code_is_said(shop):
    run = run_example(str(shop), fenced("from shop.catalog import find_product", "find_product('tea')",
                                        "import ctypes", "ctypes.string_at(0)"), FILES, HERE)
    assert run.called == {"shop/catalog.py": ["find_product"]}
    assert run.errors[-1] == "the interpreter ended in the middle of the example (it crashed with SIGSEGV)"


def test_a_relative_python_is_the_users_and_a_version_file_that_disagrees_is_said(shop, tmp_path, monkeypatch):
    (tmp_path / "py").symlink_to(sys.executable)
    monkeypatch.chdir(tmp_path)
    assert interpreter(str(shop), "./py").version == "%d.%d.%d" % sys.version_info[:3]
    with pytest.raises(ConfigError, match=r"--python py: not on the PATH \(for the file here, write \./py\)"):
        interpreter(str(shop), "py")
    (shop / ".python-version").write_text("3.1.99\n")
    assert "the repository's .python-version asks for 3.1.99" in interpreter(str(shop), "./py").passed_over

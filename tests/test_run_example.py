"""`rag ask --run`: the report's Python example runs in the repository's interpreter, and the code it calls
is evidence. On the Python fixture (a `shop` package: cart, catalog, checkout, payment)."""
import json
import math
import os
import sys

import pytest

from graph.errors import ConfigError
from rag.engine import Engine
from rag.reproduce.examples import python_examples
from rag.reproduce.run import interpreter, run_example
from rag.settings import ExampleSettings

from conftest import run_rag

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


def test_a_failing_statement_is_said_and_the_next_ones_still_run(shop):
    report = fenced(">>> from shop.cart import Cart", ">>> Cart().add('no such sku')", ">>> import sys; sys.exit(2)",
                    ">>> from shop.catalog import find_product", ">>> find_product('tea')")
    run = run_example(str(shop), report, FILES, HERE)
    assert run.failed == 2 and run.errors[0] == "KeyError: 'no such sku'"
    assert "find_product" in run.called["shop/catalog.py"]
    assert "1 failed" not in run.note() and "2 failed (first: KeyError: 'no such sku')" in run.note()


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
    assert run.ran == 3 and run.called == {"shop/catalog.py": ["find_product"]}  # what ran before it still says
    assert run.failed == 1 and run.errors[0].startswith("the interpreter ended in the middle of the example")
    run = run_example(str(shop), fenced("__import__('os')._exit(3)"), FILES, HERE)
    assert run.problem.endswith("ended without a result") and run.called == {}
    assert run.note().startswith("the report's example was not run")


def test_the_example_runs_elsewhere_and_writes_nothing_into_the_repository(shop):
    before = sorted(p.relative_to(shop) for p in shop.rglob("*"))
    run_example(str(shop), fenced("import shop.cart", "open('written.txt', 'w').write('x')"), FILES, HERE)
    assert sorted(p.relative_to(shop) for p in shop.rglob("*")) == before  # no written.txt, no __pycache__


def test_the_interpreter_is_the_one_given_else_the_repositorys_environment(shop, monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    with pytest.raises(ConfigError, match="--python /no/such/python: no such executable"):
        interpreter(str(shop), "/no/such/python")
    own = shop / ".venv" / "bin" / "python"
    own.parent.mkdir(parents=True)
    own.symlink_to(sys.executable)
    assert interpreter(str(shop)) == str(own)
    active = shop / "active" / "bin" / "python"
    active.parent.mkdir(parents=True)
    active.symlink_to(sys.executable)
    monkeypatch.setenv("VIRTUAL_ENV", str(shop / "active"))
    assert interpreter(str(shop)) == str(active)


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
                      (["--run", "--python", "/no/such/python"], "--python /no/such/python: no such executable"),
                      (["--run", "--run-seconds", "0"], "--run-seconds")):
        p = run_rag("ask", "--repo", shop, "--file", report, *bad)
        assert p.returncode != 0 and says in p.stderr and "Traceback" not in p.stderr, (bad, p.stderr)
    assert not os.path.exists(shop / "__pycache__")

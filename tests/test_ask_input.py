"""How a question reaches `rag ask`: an argument, standard input, a file; bytes that are not UTF-8."""
import json
import subprocess

from conftest import RAG, run_rag
from rag.engine import Engine
from graph.version import TOOL_VERSION

REPORT = "Cart total ignores the quantity\n\nWhen I add two of a product, `Cart.total_cents()` counts one.\n"


def test_question_from_standard_input_and_from_a_file(shop, tmp_path):
    run_rag("index", shop, "-q")
    by_arg = json.loads(run_rag("ask", REPORT, "--repo", shop, "--json").stdout)
    piped = subprocess.run(RAG + ["ask", "-", "--repo", str(shop), "--json"], input=REPORT.encode(),
                           capture_output=True, timeout=60)
    report = tmp_path / "report.md"
    report.write_text(REPORT)
    from_file = json.loads(run_rag("ask", "--file", report, "--repo", shop, "--json").stdout)
    assert piped.returncode == 0
    assert json.loads(piped.stdout)["answer"] == by_arg["answer"] == from_file["answer"]
    assert by_arg["answer"]["module"] == "shop/cart.py"


def test_question_sources_that_do_not_work_are_one_line(shop, tmp_path):
    run_rag("index", shop, "-q")
    for args, fragment in ((["--file", tmp_path / "missing.md"], "cannot read the question"),
                           (["cart", "--file", tmp_path / "x.md"], "not both"),
                           ([], "no question")):
        r = run_rag("ask", *args, "--repo", shop)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and fragment in r.stderr, r.stderr


def test_bytes_that_are_not_utf8_are_replaced_not_fatal(shop, tmp_path):
    run_rag("index", shop, "-q")
    latin1 = "Le total du panier est erron\xe9 (cart total)".encode("latin-1")
    r = subprocess.run([*map(str.encode, RAG), b"ask", latin1, b"--repo", str(shop).encode(), b"--json"],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "\ufffd" in json.loads(r.stdout)["query"]
    report = tmp_path / "latin1.md"
    report.write_bytes(latin1)
    assert run_rag("ask", "--file", report, "--repo", shop).returncode == 0
    engine = Engine.open(str(shop))
    assert engine.ask(latin1).answer.module == "shop/cart.py"  # bytes
    assert engine.ask(latin1.decode("utf-8", "surrogateescape")).query.endswith("erron\ufffd (cart total)")


def test_version():
    r = run_rag("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"rag {TOOL_VERSION}"

"""The graph, module IDs, summaries and keywords of the Python fixture repository."""
import pytest

from graph.indexer import IndexOptions, index, load_graph, load_modules
from graph.store import IndexStore


@pytest.fixture
def indexed(shop):
    report = index(str(shop), IndexOptions())
    store = IndexStore(report.index_dir)
    return load_graph(store), {m.id: m for m in load_modules(store)}


def edges(g, kind):
    return {(u, v) for u, v, k in g.edges(keys=True) if k == kind}


def test_nodes_have_kinds_paths_spans_and_docs(indexed):
    g, _ = indexed
    assert g.nodes["shop/"]["kind"] == "directory"
    assert g.nodes["shop/cart.py"]["kind"] == "file"
    assert g.nodes["shop/cart.py"]["language"] == "python"
    assert g.nodes["shop/cart.py"]["doc"] == "Shopping cart: what a customer is about to buy."
    cart = g.nodes["shop/cart.py::Cart"]
    assert (cart["kind"], cart["subkind"], cart["start_line"], cart["end_line"]) == ("class", "class", 5, 19)
    assert cart["doc"] == "Items a customer has put aside, with quantities."
    add = g.nodes["shop/cart.py::Cart.add"]
    assert (add["kind"], add["subkind"], add["doc"]) == ("function", "method", "Put a product into the cart.")
    assert g.nodes["shop/payment/"]["doc"] == "Payment providers and the gateway protocol they implement."


def test_contains_edges_form_the_hierarchy(indexed):
    g, _ = indexed
    contains = edges(g, "contains")
    assert ("./", "shop/") in contains
    assert ("shop/", "shop/payment/") in contains
    assert ("shop/payment/", "shop/payment/gateway.py") in contains
    assert ("shop/cart.py", "shop/cart.py::Cart") in contains
    assert ("shop/cart.py::Cart", "shop/cart.py::Cart.add") in contains


def test_imports_resolve_to_files_and_keep_external_ones(indexed):
    g, _ = indexed
    assert edges(g, "imports") == {
        ("shop/cart.py", "shop/catalog.py"),  # relative: from .catalog import ...
        ("shop/checkout.py", "shop/cart.py"),  # absolute: from shop.cart import Cart
        ("shop/checkout.py", "shop/payment/gateway.py"),
    }
    assert g.nodes["shop/payment/gateway.py"]["external_imports"] == ["requests"]
    assert g.nodes["shop/catalog.py"]["external_imports"] == ["dataclasses"]


def test_calls_resolve_when_unambiguous(indexed):
    g, _ = indexed
    calls = edges(g, "calls")
    assert ("shop/cart.py::Cart.add", "shop/catalog.py::find_product") in calls
    assert ("shop/checkout.py::checkout", "shop/payment/gateway.py::StripeGateway") in calls
    # `gateway.charge(...)` could be either class's charge(): left unresolved, never guessed
    assert not any(v.endswith(".charge") for u, v in calls)


def test_inheritance(indexed):
    g, _ = indexed
    assert edges(g, "inherits") == {("shop/payment/gateway.py::StripeGateway",
                                     "shop/payment/gateway.py::PaymentGateway")}


def test_module_ids_and_parents(indexed):
    _, modules = indexed
    assert set(modules) == {"shop/", "shop/payment/", "shop/__init__.py", "shop/cart.py", "shop/catalog.py",
                            "shop/checkout.py", "shop/payment/__init__.py", "shop/payment/gateway.py", "billing"}
    assert modules["shop/"].parent is None
    assert modules["shop/payment/"].parent == "shop/"
    assert modules["shop/payment/gateway.py"].parent == "shop/payment/"
    assert modules["shop/"].kind == "directory" and modules["shop/cart.py"].kind == "file"
    assert modules["shop/"].files == 6 and modules["shop/payment/"].files == 2


def test_named_module_from_rag_toml(indexed):
    g, modules = indexed
    billing = modules["billing"]
    assert billing.kind == "named"
    assert billing.aliases == ["Kasse", "payments desk"]
    assert billing.parent == "shop/"  # the deepest directory holding all its files
    assert {v for u, v, k in g.out_edges("billing", keys=True) if k == "contains"} == {
        "shop/checkout.py", "shop/payment/__init__.py", "shop/payment/gateway.py"}
    assert billing.summary.startswith("Everything about taking the customer's money. Also called: Kasse")
    assert "kasse" in billing.keywords


def test_file_summary_reads_as_prose_with_symbols_and_neighbours(indexed):
    _, modules = indexed
    s = modules["shop/cart.py"].summary
    assert s.startswith("Shopping cart: what a customer is about to buy.")
    assert "Cart (class): Items a customer has put aside, with quantities" in s
    assert "Cart.add (method): Put a product into the cart" in s
    assert "Imports: shop/catalog.py." in s and "Imported by: shop/checkout.py." in s


def test_summary_without_docstring_names_what_the_file_defines(indexed):
    _, modules = indexed
    s = modules["shop/payment/gateway.py"].summary
    assert s.startswith("Python file defining StripeGateway, PaymentGateway")


def test_directory_summary_uses_readme_and_lists_contents(indexed):
    _, modules = indexed
    s = modules["shop/payment/"].summary
    assert s.startswith("Payment providers and the gateway protocol they implement. Files: __init__.py, gateway.py.")
    package = modules["shop/"].summary  # no README: the package docstring leads
    assert package.startswith("Online shop: product catalogue, shopping cart and checkout.")
    assert "Subdirectories: payment/." in package


def test_summaries_are_bounded(indexed):
    _, modules = indexed
    for m in modules.values():
        assert 0 < len(m.summary.split()) <= 120, m.id


def test_keywords_come_from_identifiers_and_are_salient(indexed):
    _, modules = indexed
    assert modules["shop/catalog.py"].keywords[:3] == ["catalog", "product", "find"]
    assert "gateway" in modules["shop/payment/gateway.py"].keywords
    assert "stripe" in modules["shop/payment/gateway.py"].keywords
    for m in modules.values():
        assert len(m.keywords) <= 12 and len(set(m.keywords)) == len(m.keywords)


def test_keyword_weights_are_kept_with_each_parse_result(shop):
    from graph.summary import keyword_weights
    from graph.symbols import FileSymbols

    store = IndexStore(index(str(shop), IndexOptions()).index_dir)
    stored = {d["path"]: FileSymbols.from_dict(d) for d in store.read_jsonl(store.manifest(), "files.jsonl")}
    cart = stored["shop/cart.py"]
    # the file's name, its docstring, class Cart, the doc of Cart.add ("Put a product into the cart.")
    assert cart.keyword_weights["cart"] == 3.0 + 0.5 + 2.0 + 0.25
    for fs in stored.values():  # what an incremental build reuses equals what a fresh parse computes
        assert fs.keyword_weights == keyword_weights(fs)


def test_name_resolution_prefers_the_closest_scope_and_never_guesses():
    from graph.build import CALLABLE, DefinitionTable
    from graph.symbols import CLASS, FUNCTION, Definition, FileSymbols

    def file(path, *defs):
        return FileSymbols(path, "python", "0", 10, definitions=[
            Definition(name, name, kind, kind, 1, 2) for name, kind in defs])

    files = [file("a.py", ("load", FUNCTION)), file("b.py", ("load", FUNCTION), ("Base", CLASS)),
             file("c.py", ("load", CLASS), ("only_here", FUNCTION), ("Base", FUNCTION)), file("d.py")]
    table = DefinitionTable(files, (CALLABLE, (CLASS,)))
    imports = {"d.py": {"b.py"}}
    assert table.resolve("load", "a.py", imports, CALLABLE) == "a.py::load"  # its own file first
    assert table.resolve("load", "d.py", imports, CALLABLE) == "b.py::load"  # then what it imports
    assert table.resolve("load", "e.py", imports, CALLABLE) is None  # three in the repo: ambiguous
    assert table.resolve("only_here", "d.py", imports, CALLABLE) == "c.py::only_here"  # unique in the repo
    assert table.resolve("load", "e.py", imports, (CLASS,)) == "c.py::load"  # only one class of that name
    assert table.resolve("Base", "c.py", imports, (CLASS,)) == "b.py::Base"  # c.py's Base is a function
    assert table.resolve("missing", "a.py", imports, CALLABLE) is None


def test_absolute_imports_prefer_a_sys_path_root_to_a_module_inside_another_package():
    from graph.resolve import RepoFiles, python_import
    from graph.symbols import Import

    # flask's sdist: a test app ships its own flask.py deep inside a package
    files = RepoFiles.of(["src/flask/__init__.py", "src/flask/json/__init__.py", "tests/test_basic.py",
                          "tests/apps/__init__.py", "tests/apps/inner/__init__.py", "tests/apps/inner/flask.py",
                          "scripts/helpers.py", "scripts/run.py", "pkg/__init__.py", "pkg/util.py"])
    assert python_import("tests/test_basic.py", Import("flask"), files) == ["src/flask/__init__.py"]
    assert python_import("tests/test_basic.py", Import("flask.json"), files) == ["src/flask/json/__init__.py"]
    assert python_import("scripts/run.py", Import("helpers"), files) == ["scripts/helpers.py"]
    # when only a module inside a package has the name (Python 2's implicit relative import), it still resolves
    assert python_import("pkg/__init__.py", Import("util"), files) == ["pkg/util.py"]


def test_a_readme_tag_written_over_several_lines_is_no_summary():
    """TanStack Query (sweep 16): six package folders read `media="(prefers-color-scheme: dark)" srcset=…`,
    the continuation lines of a `<picture>` tag."""
    from graph.build import readme_summary

    readme = ("<picture>\n  <source\n    media=\"(prefers-color-scheme: dark)\"\n    srcset=\"https://tanstack.com/q.png?theme=dark\"\n"
              "  />\n  <img alt=\"TanStack React Query\" width=\"900\" />\n</picture>\n\nHooks for fetching, caching and updating data in React.\n")
    assert readme_summary(readme) == "Hooks for fetching, caching and updating data in React."


def test_a_directory_without_docs_says_what_it_holds_and_defines():
    from graph.summary import SummaryInputs, summarize

    def lead(files, subdirs, symbols):
        x = SummaryInputs(kind="directory", name="shop", doc="", language=None, files=files, subdirs=subdirs,
                          symbols=[(q, "class", "") for q in symbols], imports=[], importers=[], aliases=[])
        return summarize(x).split(". ")[0] + "."

    assert lead(["shop/cart.py", "shop/catalog.py"], ["shop/payment/"], ["Cart", "Cart.add", "Catalog"]) == \
        "Directory of 2 source files and 1 subdirectory, defining Cart, Catalog."
    assert lead([], ["a/", "b/"], []) == "Directory of 2 subdirectories."
    assert lead(["one.py"], [], []) == "Directory of 1 source file."
    # Go keeps its tests beside the code: gotify's database/ was "Directory of 15 source files", 7 and 8 tests
    x = SummaryInputs(kind="directory", name="database", doc="", language=None, files=["a.go", "a_test.go", "b.go", "doc.md.go"],
                      subdirs=["database/migrations/"], symbols=[], imports=[], importers=[], aliases=[],
                      file_roles=["source", "test", "source", "doc"])
    assert summarize(x).startswith("Directory of 2 source files, 1 test file, 1 other file and 1 subdirectory.")


def test_a_package_summary_names_its_api_not_its_tests_helpers(tmp_path):
    pkg = tmp_path / "shop"
    (pkg / "tests").mkdir(parents=True)
    (pkg / "cart.py").write_text('def add_item(cart, sku):\n    """Put a product into the cart."""\n')
    # a test helper that every test calls: by references alone it would be the package's main symbol
    helper = 'def make_cart():\n    """A cart for the tests."""\n'
    calls = "".join(f"def test_{i}():\n    make_cart()\n" for i in range(5))
    (pkg / "tests" / "helpers.py").write_text(helper + calls)
    (pkg / "tests" / "test_cart.py").write_text("from shop.tests.helpers import make_cart\n" + calls)
    store = IndexStore(index(str(tmp_path), IndexOptions()).index_dir)
    modules = {m.id: m for m in load_modules(store)}
    assert modules["shop/"].symbols == ["add_item"]
    assert "make_cart" in modules["shop/tests/"].symbols  # a test directory still shows its own


def test_a_name_many_files_define_is_listed_once_in_their_directory(tmp_path):
    """Sweep 12: zod's `locales/` was "defining error, error, error", nlohmann's examples "main, main, main"."""
    pkg = tmp_path / "locales"
    pkg.mkdir()
    for lang in ("de", "en", "fr", "it"):
        (pkg / f"{lang}.py").write_text(f'def error(issue):\n    """The {lang} message of an issue."""\n    return issue\n')
    (pkg / "registry.py").write_text('def register(name):\n    """Adds a locale."""\n    return error(name)\n')
    store = IndexStore(index(str(tmp_path), IndexOptions()).index_dir)
    modules = {m.id: m for m in load_modules(store)}
    assert modules["locales/"].symbols.count("error") == 1 and "register" in modules["locales/"].symbols
    assert "defining error, error" not in modules["locales/"].summary
    assert modules["locales/de.py"].symbols == ["error"]  # a file's own list is as it was


def test_a_symbol_doc_ending_in_a_comma_does_not_double_the_punctuation():
    from graph.summary import SummaryInputs, summarize

    x = SummaryInputs(kind="file", name="route.js", doc="", language="javascript",
                      symbols=[("Route", "function", "Initialize `Route` with the given `path`,"),
                               ("dispatch", "function", "dispatch req, res into this route")],
                      files=["lib/route.js"], subdirs=[], imports=[], importers=[], aliases=[])
    assert summarize(x).endswith("Main symbols: Route (function): Initialize `Route` with the given `path`; "
                                 "dispatch (function): dispatch req, res into this route.")


def test_a_file_led_by_its_main_functions_doc_says_it_once():
    from graph.summary import SummaryInputs, summarize

    doc = "Skip a specified number of values before the completion of an observable."
    x = SummaryInputs(kind="file", name="skipLast.ts", doc=doc, language="typescript",
                      symbols=[("skipLast", "function", doc), ("helper", "function", "Counts what was skipped.")],
                      files=["src/skipLast.ts"], subdirs=[], imports=[], importers=[], aliases=[])
    assert summarize(x) == doc + " Main symbols: skipLast (function); helper (function): Counts what was skipped."


def test_the_build_graph_writes_what_networkx_writes():
    import networkx as nx

    from graph.code_graph import CodeGraph

    ours, theirs = CodeGraph(), nx.MultiDiGraph()
    calls = [("add_node", ("./",), {"kind": "directory"}), ("add_node", ("a.py",), {"kind": "file", "lines": 3}),
             ("add_edge", ("./", "a.py", "contains"), {}), ("add_edge", ("a.py", "b.py", "imports"), {}),  # b.py: new
             ("add_edge", ("a.py", "b.py", "imports"), {}),  # again: still one edge
             ("add_edge", ("a.py", "b.py", "calls"), {}), ("add_node", ("b.py",), {"kind": "file"}),  # attrs later
             ("add_edge", ("b.py", "a.py", "calls"), {}), ("add_node", ("a.py",), {"doc": "A."})]
    for method, args, attrs in calls:
        if method == "add_edge":
            ours.add_edge(*args[:2], key=args[2])
            theirs.add_edge(*args[:2], key=args[2])
        else:
            getattr(ours, method)(*args, **attrs)
            getattr(theirs, method)(*args, **attrs)
    assert ours.node_link_data() == nx.node_link_data(theirs, edges="edges")
    assert list(ours.edges(keys=True)) == list(theirs.edges(keys=True))
    assert list(ours.out_edges("a.py", keys=True)) == list(theirs.out_edges("a.py", keys=True))
    assert dict(ours.nodes(data=True)) == dict(theirs.nodes(data=True)) and "b.py" in ours and "c.py" not in ours
    assert (ours.number_of_nodes(), ours.number_of_edges()) == (theirs.number_of_nodes(), theirs.number_of_edges())

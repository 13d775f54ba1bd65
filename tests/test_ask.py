"""Retrieval and `rag ask` on the Python fixture: answers, evidence, JSON, levels, bad input."""
import json
import os
import subprocess
import sys

import pytest

from graph.errors import IndexStoreError
from graph.indexer import IndexOptions, index
from graph.store import IndexStore
from rag.retrieval.index_files import RetrievalExtension
from rag.engine import Engine
from rag.retrieval.question import QueryError

from conftest import RAG, run_rag


@pytest.fixture
def engine(shop):
    return Engine.open(str(shop))


def test_open_builds_a_missing_index_and_answers(shop):
    assert not (shop / ".rag").exists()
    eng = Engine.open(str(shop))
    assert (shop / ".rag" / "manifest.json").exists()
    res = eng.ask("add a product to the shopping cart", k=3)
    assert res.answer.module == "shop/cart.py"
    assert [c.module for c in res.candidates][0] == "shop/cart.py"
    assert len(res.candidates) == 3
    scores = [c.score for c in res.candidates]
    assert scores == sorted(scores, reverse=True)
    assert 0 < res.answer.confidence <= 1


def test_confidence_does_not_depend_on_how_many_candidates_are_shown(engine):
    question = "add a product to the shopping cart"
    one, three, ten = (engine.ask(question, k=k) for k in (1, 3, 10))
    assert len(one.candidates) == 1 and one.answer.module == ten.answer.module
    assert one.answer.confidence == three.answer.confidence == ten.answer.confidence < 1


def test_a_hybrid_file_answer_says_how_likely_it_is_right_and_other_answers_say_they_do_not(engine):
    short = engine.ask("add a product to the shopping cart").answer
    assert short.calibrated and short.confidence != short.share and 0 < short.confidence < 1
    # the same share means less for a long pasted report than for a one-line question
    from rag.retrieval.confidence import HYBRID_FILES
    assert HYBRID_FILES.probability(short.share, 5_000) < HYBRID_FILES.probability(short.share, 40)
    assert HYBRID_FILES.probability(0.6, 200) < HYBRID_FILES.probability(0.9, 200) < HYBRID_FILES.probability(0.99, 200)
    for other in (engine.ask("add a product to the shopping cart", level="dir").answer,
                  engine.ask("add a product to the shopping cart", method="bm25").answer):
        assert not other.calibrated and other.confidence == other.share


def test_text_output_marks_an_uncalibrated_confidence(shop):
    r = run_rag("ask", "add a product to the cart", "--repo", shop, "--level", "dir")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].endswith(", uncalibrated)")
    r = run_rag("ask", "add a product to the cart", "--repo", shop)
    assert "uncalibrated" not in r.stdout.splitlines()[0]


def test_text_output_says_when_a_calibrated_answer_is_unsure():
    import io

    from rag.cli.ask import _print_answer
    from rag.results import Answer, AskResult, Candidate
    from rag.retrieval.confidence import UNSURE_BELOW

    def first_lines(confidence, calibrated):
        result = AskResult("q", "file", "hybrid", Answer("a.py", confidence, 0.6, calibrated),
                           [Candidate("a.py", "file", 2.0, "A."), Candidate("b.py", "file", 1.9, "B.")], {"total": 1.0})
        out = io.StringIO()
        _print_answer(result, out)
        return out.getvalue().splitlines()[:2]

    assert first_lines(UNSURE_BELOW - 0.01, True)[1].startswith("    unsure: ")
    assert not first_lines(UNSURE_BELOW, True)[1].startswith("    unsure")
    assert not first_lines(0.2, False)[1].startswith("    unsure")  # a raw share says nothing of the kind


@pytest.mark.parametrize("question, expected", [
    ("charge the customer's card through Stripe", "shop/payment/gateway.py"),
    ("look up a product by its stock keeping unit", "shop/catalog.py"),
    ("turn the cart into a paid order", "shop/checkout.py"),
])
def test_answers_point_at_the_module_that_handles_it(engine, question, expected):
    assert engine.ask(question).answer.module == expected


def test_candidates_carry_summary_and_evidence(engine):
    top = engine.ask("put a product into the cart").candidates[0]
    assert top.module == "shop/cart.py" and top.kind == "file"
    assert top.summary.startswith("Shopping cart")
    assert any(w.startswith("keywords: ") and "cart" in w for w in top.why)
    assert any(w.startswith("symbol: Cart") for w in top.why)


def test_every_candidate_is_a_module_of_the_index(engine, shop):
    modules = {m["id"] for m in json.loads(run_rag("modules", shop, "--json").stdout)}
    for question in ("payment", "cart total in cents", "买东西的购物车"):
        for level in ("file", "dir"):
            assert {c.module for c in engine.ask(question, level=level).candidates} <= modules


def test_directory_level_ranks_directories_and_named_modules(engine):
    res = engine.ask("payment providers and the gateway protocol", level="dir")
    assert res.level == "dir"
    assert res.candidates[0].module in ("shop/payment/", "billing")
    assert all(c.kind in ("directory", "named") for c in res.candidates)



def test_every_folder_and_named_module_says_which_file_carries_it(engine):
    """A named module answered with no evidence at all, and a folder holding only folders named the first
    file found below it rather than its best (README audit, sweep 11)."""
    res = engine.ask("payment providers and the gateway protocol", level="dir", k=10)
    files = {c.module: c.score for c in engine.ask("payment providers and the gateway protocol", k=20).candidates}
    for c in res.candidates:
        assert len(c.why) == 1 and c.why[0].startswith("best file: "), (c.module, c.why)
        best = c.why[0].removeprefix("best file: ")
        assert best in files and c.score <= files[best] + 1e-9
        if c.kind == "directory":
            under = [f for f in files if f.startswith(c.module) or c.module == "./"]
            direct = [f for f in under if "/" not in f[len(c.module):]]
            assert files[best] == max(files[f] for f in (direct or under)), (c.module, best)
    assert {c.kind for c in res.candidates} >= {"named", "directory"}


def test_a_folder_holding_only_folders_is_no_answer_through_a_file_already_answered(tmp_path):
    """TanStack Query (sweep 16): `packages/` was second to every folder answer, 1.000 behind it, scored
    through the same file; its packages never showed. Such a folder is left out when a folder ranked
    above it answers through that file, and the next candidates are other folders."""
    for package, name, body in (("query-core", "removable.ts", "export function scheduleGc(gcTime: number) { clearTimeout(gcTimeout) }"),
                                ("query-core", "focusManager.ts", "export function onFocus() { refetch() }"),
                                ("react-query", "useQuery.ts", "export function useQuery(options) { return useBaseQuery(options) }"),
                                ("vue-query", "useQuery.ts", "export function useQuery(options) { return reactive(options) }")):
        folder = tmp_path / "packages" / package / "src"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"/** {name} of {package}. */\n{body}\n")
    engine = Engine.open(str(tmp_path))
    folders = [c.module for c in engine.ask("inactive queries are never garbage collected after gcTime", level="dir", k=5).candidates]
    assert folders[0] == "packages/query-core/src/"
    assert "packages/" not in folders and "packages/query-core/" not in folders
    assert {"packages/react-query/src/", "packages/vue-query/src/"} <= set(folders)


def test_folders_asked_within_a_subdirectory_stay_inside_it(shop):
    """`--repo shop/payment --level dir` answered `shop/` and the named module `billing` (which holds
    shop/checkout.py too); `--repo tests` "nothing matches" with exit 0; a repository with no folder
    "nothing matches" (QA sweep 5)."""
    (shop / "tests").mkdir()
    (shop / "tests" / "test_cart.py").write_text("def test_add():\n    assert True\n")
    run_rag("index", shop, "-q")
    r = run_rag("ask", "charge the card at checkout", "--repo", shop / "shop" / "payment", "--level", "dir",
                "-k", "10", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["module"] for c in json.loads(r.stdout)["candidates"]] == ["shop/payment/"]
    r = run_rag("ask", "add a product to the cart", "--repo", shop / "tests")
    assert r.returncode == 2 and "nothing in tests/ can be an answer" in r.stderr and "Traceback" not in r.stderr
    flat = shop / "shop" / "payment"
    (flat / ".git").mkdir()  # a repository of its own, with its code at the top level
    r = run_rag("ask", "charge the card", "--repo", flat, "--level", "dir")
    assert r.returncode == 2 and "no folder to rank" in r.stderr and "--level file" in r.stderr, r.stderr
    assert run_rag("ask", "charge the card", "--repo", flat).returncode == 0


def test_team_jargon_from_rag_toml_finds_the_named_module(engine):
    # "Kasse" is an alias of the named module `billing` (shop/payment/, shop/checkout.py)
    assert engine.ask("Kasse").answer.module in ("shop/checkout.py", "shop/payment/gateway.py")
    assert engine.ask("die Kasse ist kaputt", level="dir").answer.module in ("billing", "shop/payment/")


def test_traceback_frames_in_the_repository_are_evidence(engine):
    report = """Checkout crashes for an unknown product

Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/flask/app.py", line 1498, in dispatch
    return handler()
  File "/srv/app/shop/cart.py", line 14, in add
    raise KeyError(sku)
KeyError: 'coffee'
"""
    top = engine.ask(report).candidates[0]
    assert top.module == "shop/cart.py"
    assert "named in the query" in top.why


def test_json_output_is_exactly_the_design_object(shop):
    r = run_rag("ask", "charge the card", "--repo", shop, "--json", "-k", "2")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert list(data) == ["query", "level", "method", "answer", "candidates", "timing_ms", "warnings"]
    assert data["warnings"] == []
    assert data["query"] == "charge the card" and data["level"] == "file" and data["method"] == "hybrid"
    assert set(data["answer"]) == {"module", "confidence", "share", "calibrated"}
    # a hybrid answer at file level is calibrated: a probability, not the raw softmax share it came from
    assert data["answer"]["calibrated"] is True and 0 < data["answer"]["confidence"] < 1
    assert data["answer"]["confidence"] != data["answer"]["share"]
    assert len(data["candidates"]) == 2
    assert all(list(c) == ["module", "kind", "score", "summary", "why"] for c in data["candidates"])
    assert set(data["timing_ms"]) == {"retrieve", "total"}


def test_output_to_a_stream_that_is_not_utf8_is_escaped_not_an_error(shop):
    """With PYTHONIOENCODING=ascii, `--json` printed half an object, then "internal error:
    UnicodeEncodeError" (QA sweep 5)."""
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    question = "买东西的购物车: the cart total"
    for json_flag in (["--json"], []):
        r = subprocess.run([*RAG, "ask", question, "--repo", str(shop), "-k", "2", *json_flag],
                           capture_output=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        if json_flag:
            assert json.loads(r.stdout)["query"] == question
    # and `rag modules --tree` pads names as they are printed: an escaped name pushed its summary out of
    # line (QA sweep 6)
    (shop / "shop" / "zahlung_é").mkdir()
    (shop / "shop" / "zahlung_é" / "karte.py").write_text('"""Charge a card."""\ndef charge():\n    pass\n')
    (shop / "shop" / "zahlung_x").mkdir()
    (shop / "shop" / "zahlung_x" / "karte.py").write_text('"""Charge a card."""\ndef charge():\n    pass\n')
    assert run_rag("index", shop, "-q").returncode == 0
    r = subprocess.run([*RAG, "modules", str(shop), "--tree"], capture_output=True, env=env, timeout=120)
    rows = {line.split()[0]: line for line in r.stdout.decode("ascii").splitlines() if "zahlung_" in line}
    escaped, plain = rows["zahlung_\\xe9/"], rows["zahlung_x/"]
    assert escaped.index("Directory of") == plain.index("Directory of"), rows


def test_text_output_for_a_person(shop):
    r = run_rag("ask", "add a product to the cart", "--repo", shop, "-k", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("shop/cart.py  (confidence ")
    assert "Candidates:" in r.stdout and "  1. shop/cart.py" in r.stdout


def test_a_cold_ask_loads_no_heavy_library(shop):
    # networkx, SciPy and torch each cost a quarter of a second or (torch) several to import:
    # answering from an existing index needs none of them (quick_start: the CLI's one-shot use)
    Engine.open(str(shop), quick_start=True)  # builds the index
    code = ("import sys; from rag.engine import Engine; "
            f"res = Engine.open({str(shop)!r}, quick_start=True).ask('add a product to the cart'); "
            "print(res.answer.module, *sorted({m.split('.')[0] for m in sys.modules} & {'networkx', 'scipy', 'torch'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["shop/cart.py"]


def test_rag_index_builds_without_networkx_or_torch(shop):
    # the build writes NetworkX's node-link JSON without importing it (graph/code_graph.py); an
    # edit that leaves every summary as it was embeds nothing, so torch stays out too
    Engine.open(str(shop), quick_start=True)  # builds the index
    code = ("import sys; from graph.indexer import IndexOptions, index; from rag.retrieval.index_files import RetrievalExtension; "
            "open(sys.argv[1] + '/shop/cart.py', 'a').write('# a comment\\n'); "
            "r = index(sys.argv[1], IndexOptions(), extensions=[RetrievalExtension(index_dir=sys.argv[1] + '/.rag')]); "
            "print(r.parsed, *sorted({m.split('.')[0] for m in sys.modules} & {'networkx', 'torch'}))")
    out = subprocess.run([sys.executable, "-c", code, str(shop)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1"]


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "   \n\t "])
def test_empty_query(engine, query):
    with pytest.raises(QueryError, match="empty"):
        engine.ask(query)


def test_a_repository_that_is_not_a_path_is_one_clear_error():
    from graph.errors import RepoError
    from rag.engine import Engine

    for path in (None, 3):  # was a bare TypeError from os.path
        with pytest.raises(RepoError, match="a repository is a path"):
            Engine.open(path)


def test_bad_k_level_and_as_of(engine):
    for k in (0, -3, True, 2.0):  # True is no count, though Python calls it 1
        with pytest.raises(QueryError, match="k must be a positive"):
            engine.ask("cart", k=k)
    with pytest.raises(QueryError, match="unknown level"):
        engine.ask("cart", level="package")
    with pytest.raises(QueryError, match="as_of must be an AsOf"):  # was an AttributeError deep inside
        engine.ask("cart", as_of="2020-01-01")


def test_cli_bad_input_is_one_line(shop):
    run_rag("index", shop, "-q")
    for args, fragment in ((["  "], "empty"), (["cart", "-k", "0"], "k must be a positive"),
                           (["cart", "-k", "-2"], "k must be a positive"),
                           (["cart", "--level", "module"], "unknown level")):
        r = run_rag("ask", *args, "--repo", shop)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and fragment in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_huge_query_is_truncated_with_a_warning(engine):
    res = engine.ask("cart " + "lorem ipsum dolor " * 6000)  # about 108 kB
    assert res.candidates
    assert any("only its start and its end" in w for w in res.warnings)


def test_query_in_another_script_still_answers(engine):
    res = engine.ask("购物车里添加商品")  # "add goods to the shopping cart"
    assert res.answer is not None and len(res.candidates) > 0


def test_stale_index_answers_with_a_warning_and_refresh_updates(shop):
    Engine.open(str(shop), quick_start=True)  # builds the index
    (shop / "shop" / "wishlist.py").write_text('"""Wishlist: products a customer wants to buy later."""\n'
                                               "def remember(sku):\n    return sku\n")
    stale = Engine.open(str(shop))
    res = stale.ask("remember products for later in a wishlist")
    assert any("stale" in w for w in res.warnings)
    assert "shop/wishlist.py" not in [c.module for c in res.candidates]
    fresh = Engine.open(str(shop), refresh=True)
    res = fresh.ask("remember products for later in a wishlist")
    assert res.answer.module == "shop/wishlist.py" and not res.warnings


def test_read_only_index_still_answers(shop, monkeypatch):
    Engine.open(str(shop), quick_start=True)  # builds the index
    (shop / "shop" / "catalog.py").write_text((shop / "shop" / "catalog.py").read_text() + "\n# edited\n")
    import graph.store

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(graph.store.IndexStore, "commit", refuse)
    monkeypatch.setattr(graph.store.IndexStore, "lock", refuse)
    res = Engine.open(str(shop)).ask("look up a product")
    assert res.answer.module == "shop/catalog.py"


def test_corrupt_faiss_file_is_a_clear_error_and_full_rebuild_recovers(shop):
    Engine.open(str(shop), quick_start=True)  # builds the index
    store = IndexStore(str(shop / ".rag"))
    faiss_path = store.snapshot_path(store.manifest(), "retrieval/dense-files.faiss")
    with open(faiss_path, "wb") as fh:
        fh.write(b"not a faiss index")
    with pytest.raises(IndexStoreError, match=r"damaged .*`rag index` repairs it"):
        Engine.open(str(shop))
    r = run_rag("ask", "cart", "--repo", shop)
    assert r.returncode == 2 and "`rag index` repairs it" in r.stderr and r.stderr.count("\n") == 1
    assert run_rag("index", shop, "-q").returncode == 0  # no --full needed
    assert Engine.open(str(shop)).ask("add a product to the cart").answer.module == "shop/cart.py"


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed."""

    def __init__(self):
        from rag.embedding.embedder import shared_embedder

        self.inner = shared_embedder("all-MiniLM-L6-v2")
        self.dimension = self.inner.dimension
        self.embedded: list[str] = []

    def embed(self, texts, batch_size=64, progress=None):
        self.embedded += texts
        return self.inner.embed(texts, batch_size, progress)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_an_index_ranks_as_well_with_another_embedders_vectors(shop, monkeypatch):
    """What `rag finetune --retriever` judges a tuned embedder by: the index's own ranking with the
    dense vectors replaced, the texts they embed rebuilt from the snapshot and checked against it."""
    import numpy as np

    import rag.retrieval.index_files as index_files
    from rag.retrieval.retriever import Retriever
    from rag.settings import RetrievalSettings

    settings = RetrievalSettings(w_dense_chunk=0.5)  # definitions embedded too
    counting = CountingEmbedder()
    index(str(shop), extensions=[RetrievalExtension(settings, embedder=counting)])
    store = IndexStore(str(shop / ".rag"))
    manifest = store.manifest()
    files, chunks = index_files.dense_texts(store, manifest)
    assert len(files) == 6 and chunks and sorted(files + chunks) == sorted(counting.embedded)
    retriever = Retriever(store, manifest, settings, embedder=counting)
    q = retriever.parse("add a product to the cart")
    same = retriever.with_dense(counting, counting.inner.embed(files), counting.inner.embed(chunks))
    assert np.allclose(same.file_scores(q)[0], retriever.file_scores(q)[0], atol=1e-4)
    shuffled = counting.inner.embed(files)[::-1].copy()
    other = retriever.with_dense(counting, shuffled, counting.inner.embed(chunks))
    assert not np.allclose(other.file_scores(q)[1]["dense"], retriever.file_scores(q)[1]["dense"])
    assert np.allclose(retriever.file_scores(q)[0], same.file_scores(q)[0], atol=1e-4)  # the original is untouched
    with pytest.raises(ValueError):
        retriever.with_dense(counting, shuffled[:3], counting.inner.embed(chunks))
    with pytest.raises(ValueError):
        retriever.with_dense(counting, shuffled, None)  # this index embeds definitions: their vectors are needed
    # texts that are not what the index embedded (another version's format) are refused, not used
    monkeypatch.setattr(index_files, "embedded_text", lambda f, summary: f"{f} - {summary}")
    with pytest.raises(IndexStoreError, match="does not match what its dense indexes embedded"):
        index_files.dense_texts(store, manifest)


def test_incremental_rebuild_embeds_only_changed_texts(shop, tmp_path):
    counting = CountingEmbedder()
    ext = RetrievalExtension(embedder=counting)
    index(str(shop), extensions=[ext])
    first = len(counting.embedded)
    assert first == 6  # the summaries of the six source files
    (shop / "shop" / "catalog.py").write_text((shop / "shop" / "catalog.py").read_text().replace(
        "Look a product up by its stock-keeping unit.", "Find a product by its SKU."))
    counting.embedded.clear()
    index(str(shop), extensions=[ext])
    assert len(counting.embedded) == 1 and counting.embedded[0].startswith("shop/catalog.py: ")
    # and the incremental index equals a full one
    assert_answers_as_a_full_rebuild(shop, tmp_path, counting, ("find a product by sku", "charge the card", "cart"))


def test_an_edit_that_keeps_every_summary_reuses_the_dense_index(shop, tmp_path):
    from graph.store import IndexStore

    counting = CountingEmbedder()
    ext = RetrievalExtension(embedder=counting)
    index(str(shop), extensions=[ext])
    store = IndexStore(str(shop / ".rag"))
    before = store.manifest().snapshot
    cart = shop / "shop" / "cart.py"
    cart.write_text(cart.read_text() + "\n# a comment: no summary changes\n")
    counting.embedded.clear()
    index(str(shop), extensions=[ext])
    after = store.manifest().snapshot
    assert after != before and counting.embedded == []
    for name in ("dense-files.npy", "dense-files.faiss"):
        old, new = (os.path.join(store.dir, s, "retrieval", name) for s in (before, after))
        assert os.path.samefile(old, new)  # linked from the previous snapshot, not embedded and written again
    # the reused index answers as a full rebuild does
    assert_answers_as_a_full_rebuild(shop, tmp_path, counting, ("add a product to the cart", "charge the card"))


def assert_answers_as_a_full_rebuild(shop, tmp_path, embedder, questions):
    """The repository's incrementally built index ranks as one built from scratch."""
    full = tmp_path / "full"
    index(str(shop), IndexOptions(index_dir=str(full), full=True), extensions=[RetrievalExtension(embedder=embedder)])
    a, b = Engine.open(str(shop)), Engine.open(str(shop), index_dir=str(full))
    for q in questions:
        assert [(c.module, c.score) for c in a.ask(q).candidates] == [(c.module, c.score) for c in b.ask(q).candidates]


def test_a_c_header_gives_way_to_the_source_that_implements_it(tmp_path):
    import shutil

    from conftest import FIXTURES

    repo = tmp_path / "c"
    shutil.copytree(os.path.join(FIXTURES, "c"), repo)
    eng = Engine.open(str(repo), quick_start=True)
    for question, source, header in [("how does cart_total work", "src/cart.c", "include/shop/cart.h"),
                                     ("add an item to the cart", "src/cart.c", "include/shop/cart.h"),
                                     ("format_price", "src/money.c", "src/money.h")]:
        ranked = eng.ask(question, k=4).candidates
        order = [c.module for c in ranked]
        assert order.index(source) < order.index(header), (question, order)
        assert f"implements what {header} declares" in ranked[order.index(source)].why
    # a question about what only the header defines (a struct's fields) is still answered by the header
    assert eng.ask("what fields does an Item have", k=2).answer.module == "include/shop/cart.h"


def test_a_macro_a_question_names_is_found_where_it_is_defined(tmp_path):
    """A function-like macro is a definition: named in a question, it points at its header; and a
    header's own macros do not keep it from giving way to the source that implements its functions."""
    import shutil

    from conftest import FIXTURES

    repo = tmp_path / "c"
    shutil.copytree(os.path.join(FIXTURES, "c"), repo)
    header = repo / "include/shop/cart.h"
    header.write_text(header.read_text().replace("#endif /* SHOP_CART_H */", (
        "/* Visits every item of a cart. */\n#define cart_each(it, c) for ((it) = (c)->items; "
        "(it) < (c)->items + (c)->count; (it)++)\n\n#endif /* SHOP_CART_H */")))
    eng = Engine.open(str(repo), quick_start=True)
    first = eng.ask("cart_each skips an item").candidates[0]
    assert first.module == "include/shop/cart.h"
    assert "defines cart_each, named in the query" in first.why
    ranked = [c.module for c in eng.ask("how does cart_total work", k=4).candidates]
    assert ranked.index("src/cart.c") < ranked.index("include/shop/cart.h")


def test_a_repository_path_outside_the_locales_encoding(shop, tmp_path):
    """QA sweep 10: under LANG=C a repository in "dépôt_日本/" was an internal error (faiss's C path)."""
    import shutil

    repo = tmp_path / "dépôt_日本"
    shutil.copytree(shop, repo)
    env = dict(os.environ, LANG="C", LC_ALL="C", PYTHONUTF8="0")
    for args in (["index", repo, "-q"], ["ask", "--repo", repo, "add a product to the cart"]):
        p = subprocess.run(RAG + [str(a) for a in args], capture_output=True, text=True, env=env, timeout=120)
        assert p.returncode == 0 and "internal error" not in p.stderr, p.stderr
    assert "shop/cart.py" in p.stdout


def test_engine_arguments_of_the_wrong_kind_are_one_clear_error(shop, monkeypatch):
    """`Engine.open(embedder="all-MiniLM-L6-v2")` opened, then every question raised AttributeError;
    `settings=None` and `llm=None` likewise; `Engine.open("")` and `--repo ""` indexed the current folder
    (sweep 12)."""
    from graph.errors import ConfigError, RepoError
    from rag.settings import RetrievalSettings

    for kwargs, said in (({"embedder": "all-MiniLM-L6-v2"}, "an embedder's name goes in settings="),
                         ({"settings": None}, "settings must be a RetrievalSettings"),
                         ({"llm": None}, "llm must be an LLMSettings"),
                         ({"settings": RetrievalSettings(), "llm": RetrievalSettings()}, "llm must be an LLMSettings"),
                         ({"index_dir": 123}, "index_dir must be a path"),  # sweep 13: a raw TypeError
                         ({"refresh": "no"}, "refresh must be True or False"),  # was taken for True
                         ({"embedder": type("E", (), {"embed_query": 1})()}, "takes a loaded embedder")):
        with pytest.raises(ConfigError, match=said):
            Engine.open(str(shop), **kwargs)
    monkeypatch.chdir(shop)
    with pytest.raises(RepoError, match="the repository path is empty"):
        Engine.open("")
    r = run_rag("ask", "cart", "--repo", "")
    assert r.returncode == 2 and "the repository path is empty" in r.stderr and not (shop / ".rag").exists()


def test_generated_code_gives_way_to_the_grammar_it_is_generated_from(tmp_path):
    """Bison's parser.c repeats the names of parser.y and is longer; a question about the grammar is
    answered where it is changed. Unless it names what only the generated file defines."""
    repo = tmp_path / "calc"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "parser.y").write_text(
        "/* The calculator's grammar: sums and products of numbers. */\n%{\n#include <stdio.h>\n%}\n%token NUMBER\n%%\n"
        "/* A sum of products. */\nsum: product | sum '+' product ;\n"
        "/* A product of numbers. */\nproduct: NUMBER | product '*' NUMBER ;\n%%\n")
    (repo / "src" / "parser.c").write_text(
        "/* A Bison parser, made by GNU Bison 3.8.2.  */\n\n#line 1 \"src/parser.y\"\n#include <stdio.h>\n\n"
        + "".join(f"/* sum product NUMBER state {i}: reduce a sum of products, shift a product. */\n"
                  f"static int yy_reduce_{i}(int sum, int product) {{ return sum + product; }}\n" for i in range(12))
        + "/* Parse the input. */\nint yyparse(void) { return yy_reduce_0(0, 0); }\n")
    (repo / "src" / "eval.c").write_text("/* Evaluates a parsed expression. */\nint eval(int x) { return x; }\n")
    eng = Engine.open(str(repo), quick_start=True)
    ranked = eng.ask("reduce a sum of products", k=3).candidates  # words the parser repeats
    order = [c.module for c in ranked]
    assert order.index("src/parser.y") < order.index("src/parser.c"), order
    assert "src/parser.c is generated from it" in ranked[order.index("src/parser.y")].why
    assert eng.ask("yyparse() returns the wrong state", k=2).answer.module == "src/parser.c"


def test_a_dart_build_runner_output_gives_way_to_its_library(tmp_path):
    """json_serializable's `cart.g.dart` repeats every field of `cart.dart` and is longer; a `part of`
    without build_runner's banner is a person's own part and stays as it ranks."""
    repo = tmp_path / "shop"
    (repo / "lib").mkdir(parents=True)
    (repo / "lib" / "cart.dart").write_text(
        "import 'package:json_annotation/json_annotation.dart';\n\npart 'cart.g.dart';\n\n"
        "/// A shopping cart, serialised to JSON.\n@JsonSerializable()\nclass Cart {\n  final List<String> items;\n"
        "  final int totalCents;\n  Cart(this.items, this.totalCents);\n}\n")
    (repo / "lib" / "cart.g.dart").write_text(
        "// GENERATED CODE - DO NOT MODIFY BY HAND\n\npart of 'cart.dart';\n\n"
        + "".join(f"/// Reads a cart's items and totalCents from JSON, writes them back to JSON ({i}).\n"
                  f"Cart _$CartFromJson{i}(Map<String, dynamic> json) => Cart(json['items'] as List<String>, "
                  f"json['totalCents'] as int);\n" for i in range(12)))
    (repo / "lib" / "checkout.dart").write_text("/// Pays for a cart.\nint pay(int cents) => cents;\n")
    eng = Engine.open(str(repo), quick_start=True)
    ranked = eng.ask("cart items and totalCents are lost in the JSON", k=3).candidates
    order = [c.module for c in ranked]
    assert order.index("lib/cart.dart") < order.index("lib/cart.g.dart"), order
    assert "lib/cart.g.dart is generated from it" in ranked[order.index("lib/cart.dart")].why

"""rag finetune --retriever: batches, the contrastive tuning, and the tuned embedder in the index."""
import os
import random
import shutil
from dataclasses import replace

import numpy as np
import pytest

from finetune.examples import DataSettings
from rag.settings import AUTO_EMBEDDER, RetrievalSettings
from finetune.settings import RetrieverSettings
from finetune.retriever import Pair, batches, dense_score, encoder, tune
from tiny_models import save_tiny_embedder

DATA = DataSettings(validation_fraction=0.25)
FAST = RetrieverSettings(epochs=6, batch_size=8, learning_rate=3e-3, hard_negatives=True)  # the longer path


@pytest.fixture(scope="module")
def tiny_embedder(tmp_path_factory):
    return save_tiny_embedder(tmp_path_factory.mktemp("tiny-bert"), tmp_path_factory.mktemp("tiny-st"))


def _engine(tmp_path, tiny_embedder, settings=RetrievalSettings()):
    from conftest import FIXTURES
    from rag.engine import Engine

    repo = tmp_path / "shop"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    return Engine.open(str(repo), settings=replace(settings, embedder=tiny_embedder), quick_start=True)


def test_batches_never_repeat_a_module_and_stay_full():
    rng = random.Random(1)
    pairs = [Pair(f"q{i}", f"m{i % 40}", f"m{(i * 7 + 3) % 40}") for i in range(400)]
    made = batches(pairs, 16, rng)
    for batch in made:
        names = [p.module for p in batch] + [p.negative for p in batch]
        assert len(set(p.module for p in batch)) == len(batch)
        assert not {p.module for p in batch} & {p.negative for p in batch if p.negative}
        assert 1 < len(batch) <= 16 and len(names) == 2 * len(batch)
    used = sum(len(b) for b in made)
    assert used >= 0.9 * len(pairs) and sum(len(b) == 16 for b in made) >= 0.8 * len(made)
    # two modules only: batches of two, never one
    assert all(len(b) == 2 for b in batches([Pair(f"q{i}", f"m{i % 2}") for i in range(9)], 8, rng))


def test_the_keep_rule_wants_more_answered_first_and_no_lower_mrr():
    from finetune.held_out import HeldOutScore
    from finetune.retriever import accept

    def score(ranks):
        return HeldOutScore.of_ranks(ranks)

    base = [1] * 30 + [2] * 30
    assert not accept(score(base), score(base))  # unchanged: the index stays as it is
    assert not accept(score(base), score([2] + base[1:30] + [1] + base[31:]))  # one first lost, one won: a tie
    assert accept(score(base), score(base[:30] + [1, 1] + base[32:]))  # two more first
    assert not accept(score(base), score([2] + base[1:]))  # one fewer first
    # more first, but the others fall far: the average rank is worse
    assert not accept(score(base), score(base[:30] + [1] + [50] * 29))
    assert not accept(score([]), score([]))


def test_tuning_teaches_the_embedder_its_pairs(tiny_embedder):
    from sentence_transformers import SentenceTransformer

    texts = {"shop/cart.py": "shop/cart.py: the shopping cart: add and remove products, totals",
             "shop/payment/gateway.py": "shop/payment/gateway.py: charge cards through the payment provider",
             "shop/catalog.py": "shop/catalog.py: the product catalog and its search",
             "shop/checkout.py": "shop/checkout.py: checkout: orders, shipping address, confirmation"}
    queries = [("put another item in the basket", "shop/cart.py"), ("card payment declined", "shop/payment/gateway.py"),
               ("search products by name", "shop/catalog.py"), ("order confirmation email", "shop/checkout.py")]
    pairs = [Pair(q, m) for q, m in queries] * 4
    model = SentenceTransformer(tiny_embedder, device="cpu")
    before = dense_score(encoder(model), queries, texts)
    steps = tune(model, pairs, texts, RetrieverSettings(epochs=10, batch_size=4, learning_rate=3e-3))
    after = dense_score(encoder(model), queries, texts)
    assert steps == 40
    assert after.acc1 == 100.0 and after.mrr > before.mrr
    # a time budget ends the steps early, whatever the epochs ask for
    assert tune(model, pairs, texts, RetrieverSettings(epochs=10, batch_size=4, max_minutes=1e-9)) == 0


# a ranking led by the embeddings (of files and of definitions), so that tuning them can change what
# `rag ask` answers: with the default weights BM25 answers every generated query of the small fixture first
DENSE_LED = RetrievalSettings(w_bm25=0.0, w_chunk=0.0, w_title=0.0, w_title_chunk=0.0, w_prior=0.0,
                              w_dense_chunk=0.1)


def test_a_better_embedder_is_kept_and_the_index_uses_it(tmp_path, tiny_embedder, monkeypatch):
    import numpy as np

    from finetune.pipeline import tune_retriever
    from graph.indexer import check
    from rag.embedding.embedder import TUNED_PREFIX, Embedder
    from rag.engine import Engine
    from rag.llm.adapters import DIR, AdapterStore
    from rag.retrieval.index_files import CORPUS, RetrievalExtension, dense_texts

    engine = _engine(tmp_path, tiny_embedder, DENSE_LED)
    embedded = []
    real_embed = Embedder.embed
    monkeypatch.setattr(Embedder, "embed", lambda self, texts, *a, **k: embedded.append(len(texts)) or real_embed(self, texts, *a, **k))
    report = tune_retriever(engine, FAST, DATA)
    assert report.pairs > 10 and report.judged_on == "generated queries"  # the fixture is no git repository
    assert report.dense_after.mrr > report.dense_before.mrr
    assert report.fused_after.acc1 > report.fused_before.acc1 and report.accepted and report.kept, report
    assert len(report.fused_after.reciprocal_ranks) == report.fused_after.queries == report.fused_before.queries
    info = AdapterStore(engine.store.dir).current_retriever()
    assert info is not None and info.base_embedder == tiny_embedder
    manifest = engine.store.manifest()
    assert engine.store.read_json(manifest, CORPUS)["embedder"] == TUNED_PREFIX + info.embedder
    # the index holds what the tuned model embeds, files and definitions, embedded once (to judge it)
    files, chunks = dense_texts(engine.store, manifest)
    assert chunks and embedded == [len(files) + len(chunks)]
    snapshot = os.path.join(engine.store.dir, manifest.snapshot, "retrieval")
    tuned = Embedder(os.path.join(engine.store.dir, DIR, info.embedder))
    for name, texts in (("files", files), ("chunks", chunks)):
        assert np.allclose(np.load(os.path.join(snapshot, f"dense-{name}.npy")), real_embed(tuned, texts), atol=1e-5)
    # the choice sticks: a plain `rag index --check` finds the index fresh, and asking does not re-embed
    repo, same = engine.repo, replace(DENSE_LED, embedder=AUTO_EMBEDDER)
    assert not check(repo, extensions=[RetrievalExtension(same, index_dir=engine.store.dir)]).stale
    again = Engine.open(repo, settings=same, quick_start=True)
    assert again.store.manifest().snapshot == manifest.snapshot
    assert again.ask("add a product to the cart").answer.module == "shop/cart.py"
    # the index names its embedder relative to itself: a moved repository still answers
    moved = tmp_path / "moved"
    shutil.move(repo, moved)
    assert Engine.open(str(moved), settings=same, quick_start=True).ask("add a product to the cart").candidates


def test_an_embedder_that_helps_only_dense_retrieval_is_not_kept(tmp_path, tiny_embedder):
    """With the default weights, the fixture's generated queries are all answered first by BM25 and the
    definitions: the tuned embedder ranks them better alone, and `rag ask` would answer no better."""
    from finetune.pipeline import tune_retriever
    from rag.llm.adapters import AdapterStore, RETRIEVER_PREFIX

    engine = _engine(tmp_path, tiny_embedder)
    snapshot = engine.store.manifest().snapshot
    report = tune_retriever(engine, FAST, DATA)
    assert report.dense_after.mrr > report.dense_before.mrr  # it did learn
    assert report.fused_before.acc1 == 100.0 and not report.accepted and not report.kept, report
    store = AdapterStore(engine.store.dir)
    assert store.current_retriever() is None and engine.store.manifest().snapshot == snapshot
    assert not [e for e in os.listdir(store.dir) if RETRIEVER_PREFIX in e]  # the model it wrote to judge is gone


def test_a_run_stopped_while_judging_leaves_nothing_and_the_next_sweeps_what_a_kill_left(tmp_path, tiny_embedder,
                                                                                      monkeypatch):
    import finetune.pipeline as pipeline
    from rag.llm.adapters import AdapterStore, RETRIEVER_PREFIX

    engine = _engine(tmp_path, tiny_embedder)
    store = AdapterStore(engine.store.dir)
    killed = store.new_path(RETRIEVER_PREFIX)  # as a run killed after writing its model leaves it
    os.makedirs(killed)
    snapshot = engine.store.manifest().snapshot

    def interrupted(*args, **kwargs):
        assert not os.path.exists(killed)  # swept once the lock was held
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "judge_embedder", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.tune_retriever(engine, RetrieverSettings(epochs=1, batch_size=8), DATA)
    assert not [e for e in os.listdir(store.dir) if RETRIEVER_PREFIX in e]
    assert store.current_retriever() is None and engine.store.manifest().snapshot == snapshot


def test_the_embedder_trains_without_attention_dropout(tmp_path, tiny_embedder, monkeypatch):
    """Attention dropout off, so that the fused attention kernel runs (half the memory); the other
    dropouts still regularise."""
    import torch

    import finetune.pipeline as pipeline

    seen = {}
    real_tune = pipeline.tune

    def recording_tune(model, *args, **kwargs):
        dropouts = [(name, m.p) for name, m in model.named_modules() if isinstance(m, torch.nn.Dropout)]
        seen["attention"] = {p for name, p in dropouts if name.endswith("attention.self.dropout")}
        seen["other"] = {p for name, p in dropouts if not name.endswith("attention.self.dropout")}
        return real_tune(model, *args, **kwargs)

    monkeypatch.setattr(pipeline, "tune", recording_tune)
    pipeline.tune_retriever(_engine(tmp_path, tiny_embedder), RetrieverSettings(epochs=1, batch_size=8), DATA)
    assert seen["attention"] == {0.0}
    assert seen["other"] == {0.1}  # BERT's hidden dropout, as the model was saved


def test_an_embedder_that_does_no_better_is_not_kept(tmp_path, tiny_embedder):
    from finetune.pipeline import tune_retriever
    from rag.llm.adapters import AdapterStore

    engine = _engine(tmp_path, tiny_embedder)
    snapshot = engine.store.manifest().snapshot
    stages = set()
    report = tune_retriever(engine, RetrieverSettings(epochs=1, learning_rate=1e-12), DATA,
                            progress=lambda stage, done, total: stages.add(stage))
    assert not report.accepted and not report.kept  # nothing changed: nothing to keep
    assert "tune embedder" in stages and "hard negatives" not in stages  # a stage that is not run is not shown
    assert AdapterStore(engine.store.dir).current_retriever() is None
    assert engine.store.manifest().snapshot == snapshot
    assert os.path.isfile(os.path.join(engine.store.dir, "finetune", "retriever_report.json"))
    stages.clear()
    forced = tune_retriever(engine, RetrieverSettings(epochs=1, learning_rate=1e-12, hard_negatives=True), DATA,
                            force=True, progress=lambda stage, done, total: stages.add(stage))
    assert "hard negatives" in stages
    assert forced.kept and not forced.accepted and AdapterStore(engine.store.dir).current_retriever() is not None
    assert engine.store.manifest().snapshot != snapshot


def test_retriever_cli_bad_input(shop):
    from conftest import run_rag

    r = run_rag("finetune", str(shop), "--retriever", "--learning-rate", "0")
    assert r.returncode != 0 and "must be a finite number more than 0" in r.stderr and "Traceback" not in r.stderr
    r = run_rag("finetune", str(shop / "missing"), "--retriever")
    assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_rag("finetune", str(shop), "--hard-negatives")
    assert r.returncode != 0 and "--hard-negatives goes with --retriever" in r.stderr and "Traceback" not in r.stderr


def test_retriever_cli_reports_the_fused_judgement(shop, tiny_embedder):
    from conftest import run_rag

    r = run_rag("finetune", str(shop), "--retriever", "--embedder", tiny_embedder, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "held-out generated queries (" in last and "as `rag ask` ranks: Acc@1" in last  # no git history here
    assert " better, " in last and "dense retrieval alone, on all " in last and ("not kept" in last or "kept:" in last)
    assert "Loading weights" not in r.stderr and "shards" not in r.stderr and "deprecated" not in r.stderr


def test_asking_with_another_embedder_says_it_re_embeds_the_index(shop, tiny_embedder):
    """`rag ask --embedder OTHER` re-embedded the whole index without a word (QA sweep 4)."""
    from conftest import run_rag

    assert run_rag("index", shop, "-q", timeout=120).returncode == 0
    r = run_rag("ask", "cart total", "--repo", shop, "--embedder", tiny_embedder, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"re-embedding it with {tiny_embedder}" in r.stderr and "built with the embedder all-MiniLM" in r.stderr
    r = run_rag("ask", "cart total", "--repo", shop, "--embedder", tiny_embedder, timeout=120)
    assert r.returncode == 0 and "re-embedding" not in r.stderr, r.stderr  # done once, not again


def test_a_small_embedder_reads_no_further_than_its_positions(tiny_embedder):
    """A local model with 128 positions and no max_seq_length in its sentence-transformers config was
    read 512 tokens deep: "internal error: RuntimeError: The size of tensor a (170)…" (QA sweep 5)."""
    from rag.embedding.embedder import NUMPY_BATCH_LIMIT, Embedder

    long_text = " ".join(f"word{i}" for i in range(600))
    embedder = Embedder(tiny_embedder)
    for texts in ([long_text], [long_text] * (NUMPY_BATCH_LIMIT + 1)):  # through NumPy, then through torch
        vectors = embedder.embed(texts)
        assert vectors.shape == (len(texts), embedder.dimension) and np.isfinite(vectors).all()
    assert np.isfinite(embedder.embed_query(long_text)).all()


def test_a_damaged_tuned_embedder_is_said_by_every_command(shop, tiny_embedder):
    """A tuned embedder's weights cut short were an internal error in `rag ask` and `rag eval`, and
    `rag index --check` called the index fresh (QA sweep 5)."""
    from conftest import run_rag

    r = run_rag("finetune", shop, "--retriever", "--embedder", tiny_embedder, "--force", "-q", timeout=300)
    assert r.returncode == 0, r.stderr
    assert run_rag("index", shop, "--check").returncode == 0
    [tuned] = [p for p in (shop / ".rag" / "finetune").iterdir() if p.name.startswith("retriever-")]
    weights = tuned / "model.safetensors"
    # one byte changed, the size kept (QA sweep 6): `rag ask` and `rag eval` embedded with it unwarned
    # and a plain `rag index` called the index fresh; only --check hashed the files
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    r = run_rag("ask", "refund a charge", "--repo", shop)
    assert r.returncode == 2 and "tuned embedder is damaged" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = run_rag("index", shop)
    assert r.returncode == 4 and "model.safetensors changed" in r.stderr, r.stderr
    # the embedder the index uses is checked whatever the record says: gone, it was used unchecked
    # and --check said fresh (QA sweep 7)
    record = shop / ".rag" / "finetune" / "retriever.json"
    kept = record.read_bytes()
    record.unlink()
    r = run_rag("ask", "refund a charge", "--repo", shop)
    assert r.returncode == 2 and "tuned embedder is damaged" in r.stderr, r.stderr
    assert run_rag("index", shop, "--check").returncode == 4
    record.write_bytes(kept)
    weights.write_bytes(bytes(data[:1000]))
    r = run_rag("ask", "refund a charge", "--repo", shop)
    assert r.returncode == 2 and "tuned embedder is damaged" in r.stderr, r.stderr
    r = run_rag("index", shop, "--check")
    assert r.returncode == 4 and "model.safetensors has 1000 bytes" in r.stdout, r.stdout
    assert run_rag("index", shop, "--full", "--embedder", "all-MiniLM-L6-v2", "-q").returncode == 0  # the way back
    assert run_rag("index", shop, "--check").returncode == 0


def test_publishing_a_tuned_embedder_keeps_the_one_the_index_uses(shop, tiny_embedder):
    """QA sweep 7: a run killed after publishing, before re-embedding, left the index on the old
    embedder; the next run's clean-up deleted it, and the index could no longer answer."""
    import shutil
    from dataclasses import replace

    from conftest import run_rag
    from rag.llm.adapters import RETRIEVER, RETRIEVER_PREFIX, AdapterStore, write_record

    r = run_rag("finetune", shop, "--retriever", "--embedder", tiny_embedder, "--force", "-q", timeout=300)
    assert r.returncode == 0, r.stderr
    store = AdapterStore(str(shop / ".rag"))
    info = store.current_retriever()
    in_use = os.path.join(store.dir, info.embedder)
    # as the kill leaves it: the record names another embedder than the index is built with
    other = "retriever-20000101000000-aaaaaa"
    shutil.copytree(in_use, os.path.join(store.dir, other))
    write_record(os.path.join(store.dir, RETRIEVER), replace(info, embedder=other))
    written = store.new_path(RETRIEVER_PREFIX)
    shutil.copytree(in_use, written)
    store.publish_retriever(written, info)
    assert os.path.isdir(in_use) and os.path.isdir(os.path.join(store.dir, other))
    assert run_rag("ask", "refund a charge", "--repo", shop).returncode == 0

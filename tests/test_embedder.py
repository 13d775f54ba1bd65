"""The embedder: the NumPy query encoder against sentence-transformers, and a second local model."""
import json
import shutil

import numpy as np
import pytest

from rag.embedding.bert_numpy import NumpyBert, supports
from rag.embedding.bert_torch import TorchBert
from rag.embedding.embedder import embedder_path
from tiny_models import save_tiny_embedder


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    return save_tiny_embedder(tmp_path_factory.mktemp("tiny-bert"), tmp_path_factory.mktemp("tiny-st"))


TEXTS = ["support proxies with authentication", "x", "Fix GEXFwriter.add_edges when the key is None",
         "多语言查询", "a longer text " * 20]


@pytest.mark.parametrize("encoder", [NumpyBert, TorchBert])
@pytest.mark.parametrize("which", ["minilm", "tiny"])
def test_our_encoders_match_sentence_transformers(which, encoder, tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    path = embedder_path("all-MiniLM-L6-v2") if which == "minilm" else tiny_model_dir
    assert supports(path)
    expected = SentenceTransformer(path, device="cpu").encode(TEXTS, normalize_embeddings=True)
    got = encoder(path).embed(TEXTS)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_bulk_embedding_of_a_bert_model_does_not_import_sentence_transformers():
    import subprocess
    import sys

    code = ("import sys; from rag.embedding.embedder import Embedder; e = Embedder('all-MiniLM-L6-v2'); "
            "v = e.embed(['a text'] * 40); assert v.shape == (40, 384); "
            "print('sentence_transformers' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_unsupported_shapes_are_refused(tmp_path, tiny_model_dir):
    shutil.copytree(tiny_model_dir, tmp_path / "cls")
    pooling = tmp_path / "cls" / "1_Pooling" / "config.json"
    data = json.loads(pooling.read_text())
    data["pooling_mode"] = "cls"
    pooling.write_text(json.dumps(data))
    assert not supports(str(tmp_path / "cls"))  # goes through sentence-transformers instead
    assert not supports(str(tmp_path / "missing"))


def test_a_local_embedder_directory_indexes_and_answers(shop, tiny_model_dir):
    from graph.indexer import check
    from rag.retrieval.index_files import RetrievalExtension
    from rag.engine import Engine
    from rag.settings import RetrievalSettings

    settings = RetrievalSettings(embedder=tiny_model_dir)
    engine = Engine.open(str(shop), settings=settings, quick_start=True)
    res = engine.ask("add a product to the shopping cart")
    assert res.answer.module == "shop/cart.py"  # BM25 carries it; the tiny model is random
    # the embedder is part of the index settings: another one makes the index stale
    assert check(str(shop), extensions=[RetrievalExtension(settings)]).stale is False
    assert "settings changed" in check(str(shop), extensions=[RetrievalExtension()]).reason


def test_an_index_built_with_a_model_directory_is_used_by_naming_it(shop, tiny_model_dir, tmp_path):
    from conftest import run_rag

    assert run_rag("index", shop, "--embedder", tiny_model_dir, "-q").returncode == 0
    # --check embeds nothing: it says fresh without being told the model again (exit 2 was no --check code)
    r = run_rag("index", shop, "--check")
    assert r.returncode == 0 and "fresh" in r.stdout + r.stderr, r.stdout + r.stderr
    import shutil  # and when that directory is gone, it says so (sweep 13: "fresh", then every ask failed)
    moved = tmp_path / "moved-model"
    shutil.move(tiny_model_dir, moved)
    try:
        r = run_rag("index", shop, "--check")
        assert r.returncode == 4 and "the embedder directory it was built with" in r.stdout and "is gone" in r.stdout, r.stdout
    finally:
        shutil.move(moved, tiny_model_dir)
    labeled = tmp_path / "q.jsonl"
    labeled.write_text('{"query": "add a product to the shopping cart", "gold_files": ["shop/cart.py"]}\n')
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "hybrid", "--json")
    assert r.returncode == 2 and "a path it names itself" in r.stderr and r.stderr.count("\n") == 1
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "hybrid", "--json", "--embedder", tiny_model_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["results"][0]["acc@1"] == 100.0
    # rag finetune reads the same index: it takes the flag too
    dump = tmp_path / "examples.jsonl"
    r = run_rag("finetune", shop, "--dump-data", dump)
    assert r.returncode == 2 and "a path it names itself" in r.stderr and not dump.exists()
    r = run_rag("finetune", shop, "--dump-data", dump, "--embedder", tiny_model_dir)
    assert r.returncode == 0, r.stderr
    assert dump.read_text().count("\n") > 0
    # and so does rag serve (stdin closed: it serves nothing and exits once the index is loaded)
    r = run_rag("serve", shop, "--no-watch")
    assert r.returncode == 2 and "a path it names itself" in r.stderr and r.stderr.count("\n") == 1
    import subprocess

    from conftest import RAG

    r = subprocess.run(RAG + ["serve", str(shop), "--no-watch", "--embedder", tiny_model_dir], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "a path it names itself" not in r.stderr, r.stderr


def test_unknown_embedder_is_one_clear_error(shop):
    from conftest import run_rag

    r = run_rag("index", shop, "--embedder", "no-such-model")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "neither 'all-MiniLM-L6-v2' nor a local sentence-transformers directory" in r.stderr


def test_one_question_is_embedded_on_one_blas_thread(monkeypatch):
    """Sweep 17: beside a busy process, BLAS's default two threads took a median 0.54-0.73 s (up to 2.7 s) to
    embed a 1,000-character report through NumPy, one thread 0.30 s; a batch keeps the default."""
    from threadpoolctl import threadpool_info

    from rag.embedding.embedder import Embedder

    seen = []
    embed = NumpyBert.embed

    def counting(self, texts, batch_size=32):
        seen.append(max(i["num_threads"] for i in threadpool_info()))
        return embed(self, texts, batch_size)

    monkeypatch.setattr(NumpyBert, "embed", counting)
    embedder = Embedder("all-MiniLM-L6-v2")
    vector = embedder.embed_query("the cart total is wrong after a discount")
    embedder.embed(["the cart", "the checkout"])
    assert vector.shape == (384,) and seen[0] == 1
    assert seen[1] == max(i["num_threads"] for i in threadpool_info())  # the default again

"""BM25 from term counts: scores exactly as stock bm25s does from the tokens, and survives save and load."""
import random
from collections import Counter

import numpy as np

from rag.retrieval.sparse import SparseIndex, _bm25s


def corpus(n_docs=300, vocab=400, seed=0):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    # Zipf-like: a few words in most documents, most words rare, repeats within a document
    weights = [1 / (i + 1) for i in range(vocab)]
    docs = [rng.choices(words, weights, k=rng.randint(1, 120)) for _ in range(n_docs)]
    docs[5] = []  # an empty document (a file with no tokens)
    return docs, words


def test_term_count_build_scores_like_stock_bm25s(tmp_path):
    docs, words = corpus()
    ours = SparseIndex.build([dict(Counter(d)) for d in docs], k1=1.2, b=0.75)
    stock = _bm25s().BM25(k1=1.2, b=0.75, csc_backend="numpy")
    stock.index([d or ["\x00"] for d in docs], show_progress=False)
    rng = random.Random(1)
    for _ in range(100):
        query = rng.sample(words, 3)
        expected = np.asarray(stock.get_scores(query), dtype=np.float32)
        assert np.array_equal(ours.scores(query), expected)
    assert ours.scores(["w0"]).shape == (len(docs),)

    ours.save(str(tmp_path / "bm25"))
    loaded = SparseIndex.load(str(tmp_path / "bm25"))
    query = ["w1", "w17", "w250", "not-a-word"]
    assert np.array_equal(loaded.scores(query), ours.scores(query))
    assert loaded.scores(query)[5] == 0.0 and loaded.scores(query).max() > 0


def test_a_documents_terms_count_the_tokens_a_query_would_have():
    from rag.retrieval.tokenize import document_terms, tokenize

    text = "def parseHTTPResponse(raw):\n    # parse the HTTP response; raise on a bad parse\n    return parse(raw)\n"
    assert document_terms(text) == Counter(tokenize(text))
    assert document_terms(text)["pars"] >= 3  # stemmed pieces, counted across identifiers and prose


def test_definitions_on_one_line_are_tokenised_once(monkeypatch):
    """A minified bundle puts thousands of functions on one line: each was tokenised as that whole
    line (quadratic; 49 s to index 294 kB). Definitions sharing their lines now share their terms."""
    import rag.retrieval.corpus as corpus
    from rag.settings import RetrievalSettings

    calls = []
    real = corpus.document_terms
    monkeypatch.setattr(corpus, "document_terms", lambda text: calls.append(text) or real(text))
    line = "".join(f"function cartTotal{i}(items){{return items.price}};" for i in range(50))
    defs = [{"kind": "function", "start_line": 1, "end_line": 1} for _ in range(50)]
    defs.append({"kind": "function", "start_line": 2, "end_line": 2})
    file_terms, chunk_terms = corpus._terms_of("web/bundle.js", line + "\nfunction g(){}\n", defs,
                                               RetrievalSettings())
    assert len(calls) == 3  # the shared line once, the second line once, the whole file once
    assert len(chunk_terms) == 51 and chunk_terms[0] == chunk_terms[49] and "price" in chunk_terms[0]
    assert chunk_terms[50] != chunk_terms[0]

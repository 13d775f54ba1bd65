"""BM25 from term counts: Lucene's formula, any (k1, b) over one set of counts, saved and loaded with its
damage detected."""
import math
import random
from collections import Counter

import numpy as np
import pytest

from graph.errors import IndexStoreError
from rag.retrieval.sparse import TermCounts


def corpus(n_docs=300, vocab=400, seed=0):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    # Zipf-like: a few words in most documents, most words rare, repeats within a document
    weights = [1 / (i + 1) for i in range(vocab)]
    docs = [rng.choices(words, weights, k=rng.randint(1, 120)) for _ in range(n_docs)]
    docs[5] = []  # an empty document (a file with no tokens)
    return docs, words


def textbook_bm25(docs: list[list[str]], query: list[str], k1: float, b: float) -> list[float]:
    """Lucene's BM25 written out one document at a time, in Python floats."""
    n, mean = len(docs), sum(map(len, docs)) / len(docs)
    df = Counter(t for d in docs for t in set(d))
    out = []
    for d in docs:
        tf = Counter(d)
        out.append(sum(math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                       * tf[t] / (tf[t] + k1 * (1 - b + b * len(d) / mean)) for t in query if tf[t]))
    return out


@pytest.mark.parametrize("k1, b", [(1.2, 0.5), (2.0, 0.9), (1.2, 0.0), (0.5, 1.0)])
def test_scores_are_lucene_bm25_for_any_parameters_over_the_same_counts(k1, b):
    docs, words = corpus()
    counts = TermCounts.build([dict(Counter(d)) for d in docs])
    bm25 = counts.bm25(k1, b)
    rng = random.Random(1)
    for _ in range(50):
        query = rng.sample(words[:60], 3) + rng.sample(words, 2)
        query.append(query[0])  # a repeated token counts twice
        assert np.allclose(bm25.scores(query), textbook_bm25(docs, query, k1, b), rtol=1e-6, atol=0)
    assert bm25.scores(["w0"]).dtype == np.float32 and bm25.scores(["w0"]).shape == (len(docs),)
    assert bm25.scores(["not-a-word"]).max() == 0 and bm25.scores([]).shape == (len(docs),)
    assert bm25.scores(["w0"])[5] == 0


def test_the_length_normalisation_is_the_only_difference_between_two_parameter_sets():
    """Two documents with the same count of a term: b = 0 scores them alike, b = 1 favours the shorter."""
    counts = TermCounts.build([{"proxy": 2, "auth": 1}, {"proxy": 2, **{f"w{i}": 1 for i in range(40)}}, {"cart": 1}])
    flat, normalised = counts.bm25(1.2, 0.0).scores(["proxy"]), counts.bm25(1.2, 1.0).scores(["proxy"])
    assert flat[0] == flat[1] > 0
    assert normalised[0] > normalised[1] > 0


def test_counts_survive_save_and_load(tmp_path):
    docs, _ = corpus()
    counts = TermCounts.build([dict(Counter(d)) for d in docs])
    counts.save(str(tmp_path / "bm25"))
    loaded = TermCounts.load(str(tmp_path / "bm25"))
    query = ["w1", "w17", "w250", "not-a-word"]
    assert np.array_equal(loaded.bm25(1.2, 0.5).scores(query), counts.bm25(1.2, 0.5).scores(query))
    assert loaded.knows(["w1"]) and not loaded.knows(["not-a-word"])
    empty = TermCounts.build([])
    empty.save(str(tmp_path / "empty"))
    assert TermCounts.load(str(tmp_path / "empty")).bm25(1.2, 0.5).scores(["w1"]).shape == (0,)


@pytest.mark.parametrize("name, damage", [
    ("counts", lambda a: np.full_like(a, 7)),  # the same size: only the lengths tell
    ("documents", lambda a: a[::-1].copy()),
    ("offsets", lambda a: np.concatenate([a[:1], a[2:], a[-1:]])),
    ("lengths", lambda a: a + 1),
    ("counts", lambda a: np.zeros_like(a)),
    ("documents", lambda a: a.astype(np.float64)),
])
def test_counts_that_do_not_fit_together_are_damage(tmp_path, name, damage):
    docs, _ = corpus(n_docs=40)
    TermCounts.build([dict(Counter(d)) for d in docs]).save(str(tmp_path))
    path = tmp_path / f"{name}.npy"
    np.save(path, damage(np.load(path)))
    with pytest.raises(IndexStoreError, match="damaged|unreadable"):
        TermCounts.load(str(tmp_path))


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


def test_weighed_by_some_documents_scores_those_as_if_the_others_were_not_there():
    docs, words = corpus()
    counted = np.array([i % 3 != 0 for i in range(len(docs))])  # a third of the documents left out of the statistics
    query = words[:3] + words[50:53] + words[300:302]
    weighed = TermCounts.build([Counter(d) for d in docs]).weighed_by(counted).bm25(1.2, 0.75).scores(query)
    alone = textbook_bm25([d for d, c in zip(docs, counted) if c], query, 1.2, 0.75)
    assert np.allclose(weighed[counted], alone, rtol=1e-5)
    assert weighed[~counted].max() > 0  # the others are still scored, on the same scale


def test_templates_leave_the_bm25_scores_of_code_as_they_were(tmp_path):
    from rag.engine import Engine

    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "cart.py").write_text('"""The cart: items, quantities and the total price."""\n\n\n'
                                               'def total(items):\n    return sum(i.price for i in items)\n')
    (tmp_path / "shop" / "login.py").write_text('"""Sign in with an email address and a password."""\n\n\n'
                                                'def sign_in(email, password):\n    return email\n')
    tokens = ["cart", "price", "email", "sign"]
    before = Engine.open(str(tmp_path)).retriever
    scores = dict(zip(before.files, before.sparse_files.scores(tokens)))
    (tmp_path / "shop" / "templates").mkdir()
    for i in range(6):  # pages that say "cart" and "email" over and over
        (tmp_path / "shop" / "templates" / f"page{i}.html").write_text("<h1>Your cart</h1>" + "<p>email cart price</p>" * 20)
    after = Engine.open(str(tmp_path), refresh=True).retriever
    assert len(after.files) == len(before.files) + 6
    again = dict(zip(after.files, after.sparse_files.scores(tokens)))
    assert all(abs(again[f] - scores[f]) < 1e-5 for f in scores)

"""BM25 over token lists (bm25s), saved in its own safe format (NumPy arrays + JSON, no pickle)."""
from __future__ import annotations

import math
import sys
from functools import cache
from itertools import chain

import numpy as np

from graph.errors import IndexStoreError


def _bm25s():
    """bm25s, imported without SciPy unless SciPy is loaded already.

    bm25s imports scipy.sparse eagerly, only for an optional way of building its matrix; the NumPy
    way (used here) gives the same arrays. SciPy's import took ~0.3 s of a 1.7 s cold `rag ask` and
    of a 3.3 s incremental `rag index` on this machine.
    """
    if "bm25s" in sys.modules or "scipy" in sys.modules:
        import bm25s
        return bm25s
    sys.modules["scipy"] = None  # `import scipy.sparse` now raises ImportError, which bm25s expects
    try:
        import bm25s
    finally:
        del sys.modules["scipy"]
    return bm25s


@cache
def _bm25_class():
    """bm25s.BM25 that indexes documents given as term counts ({token: count}), with whole-array NumPy.

    bm25s documents `build_index_from_tokens`/`build_index_from_ids` as the methods to override for a
    different way of building. Its own way takes token lists, counts them with a `Counter` and scores
    one document at a time: ~0.3 s of a 2.4 s incremental `rag index` on networkx. BM25 reads nothing
    but the counts, and the counts are a third of the tokens (networkx: 183k (document, term) pairs for
    653k tokens), so the index keeps them and this scores every pair at once. The formulas are bm25s's
    Lucene variant (its default, the one used here), written out rather than taken from its private
    helpers: the saved index is what bm25s would build (a test compares the scores).
    """
    bm25s = _bm25s()

    class TermCountBM25(bm25s.BM25):
        def build_index_from_tokens(self, corpus_tokens, show_progress=True, leave_progress=False):
            """`corpus_tokens`: one {token: count} per document (what `index` passes on as it is)."""
            if (self.method, self.idf_method) != ("lucene", "lucene"):
                raise ValueError(f"BM25 method {self.method!r} is not supported here (only 'lucene')")
            self.nonoccurrence_array = None  # as bm25s's own build sets it for this method
            documents = corpus_tokens
            # map/chain over builtins iterate in C: generator expressions here took longer than scoring
            vocab = {t: i for i, t in enumerate(dict.fromkeys(chain.from_iterable(documents)))}
            n_docs, n_vocab = len(documents), len(vocab)
            n_terms = np.fromiter(map(len, documents), dtype=np.int64, count=n_docs)
            pairs = int(n_terms.sum())
            vocab_idx = np.fromiter(map(vocab.__getitem__, chain.from_iterable(documents)), dtype=np.int64, count=pairs)
            tf = np.fromiter(chain.from_iterable(map(dict.values, documents)), dtype=np.int64, count=pairs)
            doc_idx = np.repeat(np.arange(n_docs, dtype=np.int64), n_terms)
            lengths = np.bincount(doc_idx, weights=tf, minlength=n_docs)  # tokens per document
            idf = lucene_idf(np.bincount(vocab_idx, minlength=n_vocab), n_docs).astype(self.dtype)
            tfc = lucene_tf(tf.astype(self.dtype), lengths[doc_idx], lengths.mean(), self.k1, self.b)
            data, indices, indptr = column_major(idf[vocab_idx] * tfc, doc_idx.astype(self.int_dtype),
                                                 vocab_idx, n_vocab)
            scores = {"data": data.astype(self.dtype), "indices": indices, "indptr": indptr, "num_docs": n_docs}
            return scores, vocab

    return TermCountBM25


def lucene_idf(doc_freqs: np.ndarray, n_docs: int) -> np.ndarray:
    """log(1 + (N - df + 0.5) / (df + 0.5)) per term, in float64 with `math.log` as bm25s computes it
    (few distinct frequencies: computed once each)."""
    distinct, which = np.unique(doc_freqs, return_inverse=True)
    return np.array([math.log(1 + (n_docs - int(df) + 0.5) / (int(df) + 0.5)) for df in distinct])[which]


def lucene_tf(tf: np.ndarray, length: np.ndarray, mean_length: float, k1: float, b: float) -> np.ndarray:
    """The term-frequency part, saturating with k1 and normalised for document length with b."""
    return tf / (k1 * ((1 - b) + b * length / mean_length) + tf)


def column_major(data: np.ndarray, rows: np.ndarray, cols: np.ndarray, n_cols: int):
    """(data, row indices, column pointers) of a sparse matrix in CSC layout, each column's rows in order:
    the layout bm25s scores a query from (one slice per query term)."""
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=n_cols), out=indptr[1:])
    order = np.argsort((cols.astype(np.int64) << 32) | rows.astype(np.int64))
    return data[order], rows[order], indptr


class SparseIndex:
    def __init__(self, bm25):
        self._bm25 = bm25

    @classmethod
    def build(cls, documents: list[dict[str, int]], k1: float, b: float) -> SparseIndex:
        """`documents`: each one's term counts ({token: count})."""
        bm25 = _bm25_class()(k1=k1, b=b, csc_backend="numpy")
        # bm25s cannot index an empty corpus or vocabulary; a placeholder token keeps shapes right
        bm25.index([doc or {"\x00": 1} for doc in documents] or [{"\x00": 1}], show_progress=False)
        return cls(bm25)

    def save(self, directory: str) -> None:
        self._bm25.save(directory, show_progress=False)

    @classmethod
    def load(cls, directory: str) -> SparseIndex:
        try:
            return cls(_bm25s().BM25.load(directory, mmap=False, allow_pickle=False, show_progress=False))
        except Exception as e:  # damaged bytes fail in many ways (NumPy's header parser raises TokenError)
            raise IndexStoreError(f"the sparse index at {directory} is unreadable ({type(e).__name__}: {e}); "
                                  "`rag index` repairs it") from None

    def knows(self, query_tokens: list[str]) -> bool:
        """Whether any of the tokens is a term of the index: one that gives some document a score (a
        Lucene BM25 idf is positive for every indexed term)."""
        return any(t in self._bm25.vocab_dict for t in query_tokens)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every document (unknown tokens contribute nothing)."""
        if not query_tokens:  # e.g. a query in a script the tokenizer has no words for
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)
        # a BM25 score is a sum of non-negative terms: anything else comes from damaged bytes of the index
        # (the same size as sound ones, so loading it did not notice), never to be ranked with
        if len(scores) and not (np.isfinite(scores).all() and scores.min() >= 0):
            raise IndexStoreError("the sparse index is damaged (scores that are not numbers or below zero): "
                                  "`rag index --full` rebuilds it")
        return scores

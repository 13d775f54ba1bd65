"""BM25 over token lists (bm25s), saved in its own safe format (NumPy arrays + JSON, no pickle)."""
from __future__ import annotations

import sys

import numpy as np

from graph.errors import IndexError_


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


class SparseIndex:
    def __init__(self, bm25):
        self._bm25 = bm25

    @classmethod
    def build(cls, documents: list[list[str]], k1: float, b: float) -> SparseIndex:
        bm25 = _bm25s().BM25(k1=k1, b=b, csc_backend="numpy")
        # bm25s cannot index an empty corpus or vocabulary; a placeholder token keeps shapes right
        bm25.index([doc or ["\x00"] for doc in documents] or [["\x00"]], show_progress=False)
        return cls(bm25)

    def save(self, directory: str) -> None:
        self._bm25.save(directory, show_progress=False)

    @classmethod
    def load(cls, directory: str) -> SparseIndex:
        try:
            return cls(_bm25s().BM25.load(directory, mmap=False, allow_pickle=False, show_progress=False))
        except (OSError, ValueError, KeyError) as e:
            raise IndexError_(f"the sparse index at {directory} is unreadable ({e}); "
                              "`rag index --full` rebuilds it") from None

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every document (unknown tokens contribute nothing)."""
        if not query_tokens:  # e.g. a query in a script the tokenizer has no words for
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

"""Dense vectors in FAISS: exact inner product on normalised vectors, HNSW past a size limit."""
from __future__ import annotations

import numpy as np

from graph.errors import IndexStoreError

HNSW_NEIGHBOURS = 32
SIMILARITY_BOUND = 1.001  # cosine similarity of unit vectors, with room for float32 rounding
APPROXIMATE_TOP = 1024  # an HNSW index scores only this many nearest vectors; the rest get `fill`


class DenseIndex:
    def __init__(self, index):
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int) -> DenseIndex:
        import faiss

        dimension = vectors.shape[1]
        if len(vectors) <= exact_limit:
            index = faiss.IndexFlatIP(dimension)
        else:
            index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def save(self, path: str) -> None:
        # through Python's own file: faiss's C path cannot name a file outside the locale's encoding
        # (a repository under "dépôt/" with LANG=C was an internal error)
        import faiss

        with open(path, "wb") as f:
            f.write(faiss.serialize_index(self._index).tobytes())

    @classmethod
    def load(cls, path: str) -> DenseIndex:
        import faiss

        try:
            with open(path, "rb") as f:
                return cls(faiss.deserialize_index(np.frombuffer(f.read(), dtype=np.uint8)))
        except RuntimeError as e:
            raise IndexStoreError(f"the dense index {path} is unreadable ({str(e).splitlines()[0][:120]}); "
                              "`rag index --full` rebuilds it") from None

    def __len__(self) -> int:
        return self._index.ntotal

    def scores(self, query: np.ndarray, fill: float = -1.0, top: int | None = None) -> np.ndarray:
        """Similarity of the query to every vector; with `top`, only the best `top` are computed exactly."""
        import faiss

        n = self._index.ntotal
        out = np.full(n, fill, dtype=np.float32)
        if n == 0:
            return out
        if top is None and not isinstance(self._index, faiss.IndexFlat):
            top = APPROXIMATE_TOP
        k = n if top is None else min(top, n)
        sims, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        out[ids[0][keep]] = sims[0][keep]
        # both sides are unit vectors: a similarity outside [-1, 1] (or not a number) is a damaged file,
        # which must not be ranked with as if it were sound (a cheap look, on every question). FAISS
        # leaves out a vector whose similarity is not a number (its id comes back as -1), so an exact
        # index that returns fewer than all of its vectors when asked for all of them is damaged too.
        exact_and_short = k == n and isinstance(self._index, faiss.IndexFlat) and not keep.all()
        if exact_and_short or not (np.isfinite(out).all() and -SIMILARITY_BOUND <= out.min() and out.max() <= SIMILARITY_BOUND):
            raise IndexStoreError("the dense index is damaged (similarities outside [-1, 1]): `rag index` repairs it")
        return out

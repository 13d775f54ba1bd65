"""The Python API: `Engine.open(path).ask("which module handles X?")`.

An engine keeps its index and models loaded between calls. Opening a repository without an index
builds one (progress on stderr through the callback); a stale index is used as it is and said so,
unless `refresh=True` brings it up to date first.
"""
from __future__ import annotations

import json
import time

from graph.errors import RagError
from graph.indexer import Changes, IndexOptions, Progress, check, check_repo, default_index_dir, index
from graph.store import IndexStore
from rag.artifacts import RetrievalExtension
from rag.fusion import softmax_top
from rag.query import QueryError
from rag.results import Answer, AskResult, Candidate
from rag.retriever import LEVELS, METHODS, Retriever
from rag.settings import RetrievalSettings


class Engine:
    def __init__(self, repo: str, store: IndexStore, retriever: Retriever, stale: Changes):
        self.repo = repo
        self.store = store
        self.retriever = retriever
        self.stale = stale  # what changed since the index was built (empty when fresh)

    @classmethod
    def open(cls, path: str = ".", *, index_dir: str | None = None,
             settings: RetrievalSettings = RetrievalSettings(), refresh: bool = False,
             progress: Progress | None = None, embedder=None, quick_start: bool = False) -> Engine:
        """`quick_start` (the CLI's one-shot use) embeds queries without loading torch: a faster
        start, slower queries. A long-lived engine loads torch once and answers faster."""
        repo = check_repo(path)
        extension = RetrievalExtension(settings, embedder)
        options = IndexOptions(index_dir=index_dir)
        store = IndexStore(index_dir or default_index_dir(repo))
        changes = check(repo, options, [extension])
        if refresh or not store.exists() or _lacks_retrieval(store, settings):
            index(repo, options, progress, extensions=[extension])
            changes = Changes()
        manifest = store.manifest()
        retriever = Retriever(store, manifest, settings, embedder=extension.embedder() if embedder else None)
        if not quick_start and settings.w_dense and hasattr(retriever.embedder(), "load"):
            retriever.embedder().load()
        return cls(repo, store, retriever, changes)

    def ask(self, query: str, k: int = 10, level: str = "file", method: str = "hybrid") -> AskResult:
        if not isinstance(k, int) or k < 1:
            raise QueryError(f"k must be a positive whole number, not {k!r}")
        if level not in LEVELS:
            raise QueryError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
        if method not in METHODS:
            raise QueryError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
        start = time.perf_counter()
        parsed = self.retriever.parse(query)
        hits = self.retriever.search(parsed, k=k, level=level, method=method)
        retrieve_ms = (time.perf_counter() - start) * 1000
        candidates = [Candidate(h.module, h.kind, h.score, h.summary, h.why) for h in hits]
        answer = None
        if candidates:
            import numpy as np

            confidence = float(softmax_top(np.array([c.score for c in candidates]))[0])
            answer = Answer(candidates[0].module, round(confidence, 4))
        warnings = []
        if parsed.truncated:
            warnings.append(f"the query was longer than {len(parsed.text)} characters: only the start was used")
        if self.stale.stale:
            what = self.stale.reason or f"{len(self.stale.added) + len(self.stale.modified) + len(self.stale.deleted)} files changed"
            warnings.append(f"the index is stale ({what}); answering from it (--refresh updates it first)")
        total_ms = (time.perf_counter() - start) * 1000
        return AskResult(query=query, level=level, method=method, answer=answer, candidates=candidates,
                         timing_ms={"retrieve": round(retrieve_ms, 1), "total": round(total_ms, 1)},
                         warnings=warnings)


def _lacks_retrieval(store: IndexStore, settings: RetrievalSettings) -> bool:
    """An index written without the retrieval part (or with other retrieval settings) must be rebuilt."""
    try:
        manifest = store.manifest()
    except RagError:
        return True
    wanted = json.loads(json.dumps(settings.index_settings()))  # compared as it reads back from JSON
    return manifest.settings.get("extensions", {}).get("retrieval") != wanted

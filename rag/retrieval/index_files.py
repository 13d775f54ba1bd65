"""The retrieval part of the index: sparse and dense indexes written into each snapshot.

    retrieval/corpus.json          candidate files, their definitions, and the hash of every embedded text
    retrieval/sparse-files/        term counts of whole files, for BM25 (rag/retrieval/sparse.py: NumPy arrays + JSON)
    retrieval/sparse-chunks/       term counts of definitions, for BM25
    retrieval/dense-files.faiss    summary embeddings (+ .npy: the same vectors, the cache for rebuilds)
    retrieval/dense-chunks.faiss   definition embeddings, when their weight is not zero
    retrieval/past-changes.json, retrieval/sparse-past-changes/   the history's commits (rag/retrieval/past_changes.py)

Rebuilds embed only texts whose hash is new: every other vector is taken from the previous snapshot, or
from what a stopped build embedded (rag/retrieval/embedding_checkpoint.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from functools import partial

import numpy as np

from graph.generated import generated_sources
from graph.headers import implementations
from graph.build import symbol_id
from graph.errors import IndexStoreError
from graph.indexer import BuildContext, as_stored, load_graph, load_modules
from graph.store import IndexStore, Manifest, jsonl_lines
from rag.retrieval.corpus import Corpus, build_corpus, chunk_text, embedded_text
from rag.retrieval.dense import DenseIndex
from rag.retrieval import embedding_checkpoint
from rag.retrieval.past_changes import META as PAST_META, SPARSE as PAST_SPARSE, PastChanges
from rag.settings import RetrievalSettings
from rag.retrieval.sparse import TermCounts

DIR = "retrieval"
CORPUS = f"{DIR}/corpus.json"
TERMS = f"{DIR}/terms.jsonl"  # each candidate file's term counts by path and content hash: rebuilds skip tokenising


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class RetrievalExtension:
    name = "retrieval"

    def __init__(self, settings: RetrievalSettings = RetrievalSettings(), embedder=None, index_dir: str | None = None,
                 vectors: dict[str, np.ndarray] | None = None, loading: bool = True):
        """`index_dir`: the index this builds, where an "auto" embedder looks for a tuned one.
        `vectors`: texts already embedded with this embedder, by text_hash (what `rag finetune
        --retriever` embedded to judge a tuned embedder), not embedded again. Without `loading`, it only
        compares settings (`rag index --check`) and never loads the embedder."""
        from rag.embedding.embedder import choose_embedder

        self.retrieval = replace(settings, embedder=choose_embedder(settings.embedder, index_dir, loading))
        self.loading = loading
        self.index_dir = index_dir
        self._embedder = embedder  # injected in tests; loaded on first use otherwise
        self._given_vectors = vectors or {}

    def settings(self) -> dict:
        return self.retrieval.index_settings()

    def embedder(self):
        if not self.loading:
            raise RuntimeError("this extension only compares settings: it loads no embedder")
        if self._embedder is None:
            from rag.embedding.embedder import embedder_location, shared_embedder

            self._embedder = shared_embedder(embedder_location(self.retrieval.embedder, self.index_dir))
        return self._embedder

    def build(self, ctx: BuildContext):
        s = self.retrieval
        terms = _previous_terms(ctx.store, ctx.previous)
        corpus = build_corpus(ctx.graph, ctx.modules, {f.path: f.text for f in ctx.sources}, s,
                              hashes={f.path: f.sha256 for f in ctx.sources}, cache=terms)
        kept = {f"{fid} {h}" for fid, h in ((f.path, f.sha256) for f in ctx.sources)}
        file_counts = TermCounts.build(corpus.file_terms)
        chunk_counts = TermCounts.build([c.terms for c in corpus.chunks])
        chunk_texts = [c.dense_text for c in corpus.chunks] if s.w_dense_chunk > 0 else []
        summary_hashes = [text_hash(t) for t in corpus.summaries]
        chunk_hashes = [text_hash(t) for t in chunk_texts]
        previous_meta = _previous_meta(ctx.store, ctx.previous)
        unchanged = _unchanged_dense(ctx.previous, previous_meta, self.settings(), summary_hashes, chunk_hashes)
        taken_up = {} if unchanged else embedding_checkpoint.take_up(
            ctx.store.unfinished_path(embedding_checkpoint.FOLDER), s.embedder)
        cache = {} if unchanged else {**taken_up,
                                      **_previous_vectors(ctx.store, ctx.previous, previous_meta, s.embedder),
                                      **self._given_vectors}
        meta = {
            "files": corpus.files, "lines": corpus.lines,
            "chunks": [[c.file, c.qualname, c.start_line] for c in corpus.chunks],
            "summary_hashes": summary_hashes,
            "chunk_hashes": chunk_hashes,
            "embedder": s.embedder,
            "named": {n: sorted(v for _, v, k in ctx.graph.out_edges(n, keys=True) if k == "contains")
                      for n, a in ctx.graph.nodes(data=True) if a["kind"] == "named"},
            "callees": callee_files(ctx.graph, corpus),
            "implementations": give_way_pairs(ctx.graph, corpus.files),
        }
        past_sparse, past_meta = PastChanges.build(ctx.history, corpus.files)
        payload = [
            (CORPUS, [json.dumps(meta, ensure_ascii=False)]),
            (f"{DIR}/{PAST_META}", [json.dumps(past_meta, ensure_ascii=False)]),
            (f"{DIR}/{PAST_SPARSE}", past_sparse.save),
            (TERMS, jsonl_lines({"key": k, "file": v[0], "chunks": v[1]} for k, v in sorted(terms.items()) if k in kept)),
            (f"{DIR}/sparse-files", file_counts.save),
            (f"{DIR}/sparse-chunks", chunk_counts.save),
        ]
        for name, texts in [("files", corpus.summaries)] + ([("chunks", chunk_texts)] if chunk_texts else []):
            if unchanged:  # the same texts as before: the previous files are the answer (no FAISS, no HNSW build)
                previous = os.path.join(ctx.store.dir, ctx.previous.snapshot, DIR)
                payload += [(f"{DIR}/dense-{name}{ext}", partial(_link_or_copy, os.path.join(previous, f"dense-{name}{ext}")))
                            for ext in (".npy", ".faiss")]
            else:
                vectors = self._vectors(texts, cache, set(taken_up), ctx)
                payload += [(f"{DIR}/dense-{name}.npy", partial(_save_npy, array=vectors)),
                            (f"{DIR}/dense-{name}.faiss", DenseIndex.build(vectors, s.exact_search_limit).save)]
        return payload, {"embedder": s.embedder}

    def _vectors(self, texts: list[str], cache: dict[str, np.ndarray], taken_up: set[str],
                 ctx: BuildContext) -> np.ndarray:
        """The vectors of `texts`, embedding those `cache` lacks (`taken_up`: the hashes a stopped build
        embedded, counted as done)."""
        hashes = [text_hash(t) for t in texts]
        missing = sorted({h: t for h, t in zip(hashes, texts) if h not in cache}.items())
        if missing:
            progress = (lambda done, total: ctx.progress("embed", done, total)) if ctx.progress else None
            cache.update(embedding_checkpoint.embed_in_parts(
                lambda batch, said: self.embedder().embed(batch, progress=said), missing,
                lambda: ctx.store.unfinished_dir(embedding_checkpoint.FOLDER), self.retrieval.embedder, progress,
                taken_up=len(taken_up.intersection(hashes))))
        dimension = next(iter(cache.values())).shape[0] if cache else self.embedder().dimension
        if not texts:
            return np.zeros((0, dimension), dtype=np.float32)
        return np.stack([cache[h] for h in hashes]).astype(np.float32)


def dense_texts(store: IndexStore, manifest: Manifest) -> tuple[list[str], list[str]]:
    """The texts a snapshot's dense indexes embed, in their order: each file's, each definition's (none
    when definitions are not embedded). Rebuilt from the snapshot's graph and modules, and checked
    against the hashes it recorded of what it embedded."""
    meta = store.read_json(manifest, CORPUS)
    files = meta["files"]
    modules = {m.id: m for m in load_modules(store, manifest)}
    summaries = [embedded_text(f, modules[f].summary) if f in modules else "" for f in files]
    chunks = []
    if meta["chunk_hashes"]:
        graph = load_graph(store, manifest)
        for i, qualname, _ in meta["chunks"]:
            node = symbol_id(files[i], qualname)
            chunks.append(chunk_text(files[i], qualname, graph.nodes[node].get("doc", "") if node in graph else ""))
    if [text_hash(t) for t in summaries] != meta["summary_hashes"] or [text_hash(t) for t in chunks] != meta["chunk_hashes"]:
        raise IndexStoreError(f"the index at {store.dir} does not match what its dense indexes embedded; "
                              "`rag index --full` rebuilds it")
    return summaries, chunks


def callee_files(graph, corpus: Corpus) -> list[list[int]]:
    """Per definition of the corpus, the other candidate files whose definitions it calls (the call
    graph at file level): where a report's named function hands the work on."""
    from graph.build import CALLS

    index = {f: i for i, f in enumerate(corpus.files)}
    out = []
    for c in corpus.chunks:
        node = symbol_id(corpus.files[c.file], c.qualname)
        called = set()
        if node in graph:
            for _, target, key in graph.out_edges(node, keys=True):
                i = index.get(graph.nodes[target].get("path"), c.file) if key == CALLS else c.file
                if i != c.file:
                    called.add(i)
        out.append(sorted(called))
    return out


def _previous_meta(store: IndexStore, manifest: Manifest | None) -> dict | None:
    """corpus.json of the snapshot being replaced; None when there is none, it has none, or it is unusable."""
    if manifest is None or "retrieval" not in manifest.settings.get("extensions", {}):
        return None
    try:
        return store.read_json(manifest, CORPUS)
    except Exception:  # a cache only: anything wrong with it means building again, not failing
        return None


def _unchanged_dense(manifest: Manifest | None, meta: dict | None, settings: dict, summary_hashes: list[str],
                     chunk_hashes: list[str]) -> bool:
    """Whether the snapshot being replaced embedded exactly these texts, in this order, the same way."""
    if manifest is None or meta is None or manifest.settings["extensions"]["retrieval"] != as_stored(settings):
        return False
    return (meta.get("embedder") == settings["embedder"] and meta.get("summary_hashes") == summary_hashes
            and meta.get("chunk_hashes") == chunk_hashes)


def _link_or_copy(source: str, target: str) -> None:
    # snapshots are never modified once written, so the new one may share the file with the old
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


def _previous_vectors(store: IndexStore, manifest: Manifest | None, meta: dict | None,
                      embedder: str) -> dict[str, np.ndarray]:
    """Vectors of the snapshot being replaced, by text hash, if the same embedder made them; else empty."""
    if manifest is None or meta is None:
        return {}
    try:
        if meta["embedder"] != embedder:
            return {}
        out = {}
        for hashes, name in ((meta["summary_hashes"], "dense-files.npy"), (meta["chunk_hashes"], "dense-chunks.npy")):
            if hashes:
                vectors = np.load(os.path.join(store.dir, manifest.snapshot, DIR, name), allow_pickle=False)
                out.update(zip(hashes, vectors))
        return out
    except Exception:  # a cache only: anything wrong with it means embedding again, not failing
        return {}


def _previous_terms(store: IndexStore, manifest: Manifest | None) -> dict:
    """Term counts of the snapshot being replaced; empty when there is none, it has none, or it is unusable."""
    if manifest is None or "retrieval" not in manifest.settings.get("extensions", {}):
        return {}
    try:
        return {row["key"]: (row["file"], row["chunks"]) for row in store.read_jsonl(manifest, TERMS)}
    except Exception:  # a cache only
        return {}


def give_way_pairs(graph, files: list[str]) -> list[list[int]]:
    """[stand-in, source] pairs of candidate files (indexes into `files`) where the second is where a
    change belongs: a C/C++ header and its implementation (graph/headers.py), a generated file and the
    grammar or interface definition it is generated from (graph/generated.py)."""
    at = {f: i for i, f in enumerate(files)}
    pairs = list(implementations(graph).items()) + list(generated_sources(graph).items())
    return [[at[h], at[s]] for h, s in pairs if h in at and s in at]

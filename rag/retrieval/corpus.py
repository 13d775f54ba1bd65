"""The retrieval corpus: per candidate file, its sparse document, its definitions and dense texts.

Pure functions of the graph, the modules and the files' text.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING


from graph.modules import Module
from rag.settings import RetrievalSettings
from rag.retrieval.tokenize import document_terms, tokenize

if TYPE_CHECKING:
    from graph.code_graph import CodeGraph


@dataclass
class Chunk:
    file: int  # index into Corpus.files
    qualname: str
    start_line: int
    terms: dict[str, int]  # token -> count, the sparse document
    dense_text: str


@dataclass
class Corpus:
    files: list[str]  # candidate file module IDs
    file_terms: list[dict[str, int]]  # token -> count, each file's sparse document
    summaries: list[str]  # dense text per file
    chunks: list[Chunk]
    lines: list[int]


def path_tokens(module_id: str) -> list[str]:
    stem = module_id.rsplit(".", 1)[0] if "." in module_id.rsplit("/", 1)[-1] else module_id
    return tokenize(stem.replace("/", " "))


TermCache = dict[str, tuple[dict[str, int], list[dict[str, int]]]]  # "path sha" -> (file terms, terms per definition)


def embedded_text(file_id: str, summary: str) -> str:
    """What the dense index embeds for a file (and what `rag finetune --retriever` trains it to match)."""
    return f"{file_id}: {summary}"


def chunk_text(file_id: str, qualname: str, doc: str) -> str:
    """What the dense index embeds for a definition."""
    return f"{file_id} {qualname}: {doc}".strip()


def build_corpus(graph: CodeGraph, modules: list[Module], texts: dict[str, str],
                 settings: RetrievalSettings, hashes: dict[str, str] | None = None,
                 cache: TermCache | None = None) -> Corpus:
    """With `hashes` (path -> content hash) and a `cache` of earlier terms, unchanged files are not
    tokenised again; the cache is filled with what this call tokenised."""
    files = sorted(m.id for m in modules if m.kind == "file" and m.role in settings.roles and m.id in texts)
    by_id = {m.id: m for m in modules}
    definitions: dict[str, list[dict]] = {}
    for _, a in graph.nodes(data=True):
        if a["kind"] in ("class", "function") and a["path"] in texts:
            definitions.setdefault(a["path"], []).append(a)
    jargon = _named_module_words(graph)
    cache = {} if cache is None else cache
    file_terms, summaries, chunks = [], [], []
    for i, fid in enumerate(files):
        defs = sorted(definitions.get(fid, ()), key=lambda a: (a["start_line"], a["qualname"]))
        key = f"{fid} {hashes[fid]}" if hashes else None
        cached = cache.get(key) if key else None
        if cached is None or len(cached[1]) != len(defs):
            cached = _terms_of(fid, texts[fid], defs, settings)
            if key:
                cache[key] = cached
        # Counter addition makes a new dict: the cached terms stay as they were
        file_terms.append(dict(Counter(cached[0]) + Counter(jargon[fid])) if fid in jargon else cached[0])
        summaries.append(embedded_text(fid, by_id[fid].summary))
        for d, terms in zip(defs, cached[1]):
            chunks.append(Chunk(i, d["qualname"], d["start_line"], terms, chunk_text(fid, d["qualname"], d.get("doc", ""))))
    return Corpus(files, file_terms, summaries, chunks, [by_id[f].lines for f in files])


def _terms_of(fid: str, text: str, defs: list[dict], settings: RetrievalSettings):
    ptoks = path_tokens(fid)
    lines = text.splitlines()
    chunk_terms = []
    # definitions sharing their lines share their terms: a minified bundle's thousands of functions on
    # one line were each tokenised as the whole line (quadratic: 49 s for 294 kB), now once
    by_span: dict[tuple[int, int], dict] = {}
    for d in defs:
        end = d["end_line"] if d["kind"] == "function" else min(d["end_line"], d["start_line"] + settings.class_chunk_lines)
        span = (d["start_line"], end)
        if span not in by_span:
            by_span[span] = dict(document_terms("\n".join(lines[span[0] - 1:end])) + Counter(ptoks))
        chunk_terms.append(by_span[span])
    return dict(document_terms(text) + Counter(ptoks * settings.path_repeat)), chunk_terms


def _named_module_words(graph: CodeGraph) -> dict[str, list[str]]:
    """The team's words for a named module (rag.toml id, aliases, description), given to its files,
    so that a question in that jargon finds them. Aliases count twice: they are chosen words."""
    words: dict[str, list[str]] = {}
    for node, a in graph.nodes(data=True):
        if a["kind"] != "named":
            continue
        tokens = tokenize(node.replace("/", " ")) + tokenize(a.get("doc", ""))
        tokens += [t for alias in a.get("aliases", ()) for t in tokenize(alias)] * 2
        for _, member, key in graph.out_edges(node, keys=True):
            if key == "contains":
                words.setdefault(member, []).extend(tokens)
    return words

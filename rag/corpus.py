"""The retrieval corpus: per candidate file, its sparse document, its definitions and dense texts.

Pure functions of the graph, the modules and the files' text.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from graph.modules import Module
from rag.settings import RetrievalSettings
from rag.tokenize import document_tokens, tokenize


@dataclass
class Chunk:
    file: int  # index into Corpus.files
    qualname: str
    start_line: int
    tokens: list[str]
    dense_text: str


@dataclass
class Corpus:
    files: list[str]  # candidate file module IDs
    file_tokens: list[list[str]]
    summaries: list[str]  # dense text per file
    chunks: list[Chunk]
    lines: list[int]


def path_tokens(module_id: str) -> list[str]:
    stem = module_id.rsplit(".", 1)[0] if "." in module_id.rsplit("/", 1)[-1] else module_id
    return tokenize(stem.replace("/", " "))


def build_corpus(graph: nx.MultiDiGraph, modules: list[Module], texts: dict[str, str],
                 settings: RetrievalSettings) -> Corpus:
    files = sorted(m.id for m in modules if m.kind == "file" and m.role in settings.roles and m.id in texts)
    by_id = {m.id: m for m in modules}
    definitions: dict[str, list[dict]] = {}
    for _, a in graph.nodes(data=True):
        if a["kind"] in ("class", "function") and a["path"] in texts:
            definitions.setdefault(a["path"], []).append(a)
    jargon = _named_module_words(graph)
    file_tokens, summaries, chunks = [], [], []
    for i, fid in enumerate(files):
        text = texts[fid]
        ptoks = path_tokens(fid)
        file_tokens.append(document_tokens(text) + ptoks * settings.path_repeat + jargon.get(fid, []))
        summaries.append(f"{fid}: {by_id[fid].summary}")
        lines = text.splitlines()
        for d in sorted(definitions.get(fid, ()), key=lambda a: (a["start_line"], a["qualname"])):
            end = d["end_line"] if d["kind"] == "function" else min(d["end_line"],
                                                                     d["start_line"] + settings.class_chunk_lines)
            body = "\n".join(lines[d["start_line"] - 1:end])
            chunks.append(Chunk(i, d["qualname"], d["start_line"], document_tokens(body) + ptoks,
                                f"{fid} {d['qualname']}: {d.get('doc', '')}".strip()))
    return Corpus(files, file_tokens, summaries, chunks, [by_id[f].lines for f in files])


def _named_module_words(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
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

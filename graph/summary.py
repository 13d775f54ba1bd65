"""Summaries and keywords of modules, from what the code says about itself.

A summary is what `rag ask` shows a person and what the LLM reads, so it is prose first (the
module's own docstring, header comment or README), then its main symbols with their first doc
sentence, then its neighbours (what it imports, who imports it). It is deterministic and bounded
(MAX_WORDS), cut by dropping whole items rather than mid-sentence.
"""
from __future__ import annotations

import heapq
import math
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING


from graph.roles import SOURCE, TEST
from graph.symbols import CLASS, FileSymbols
from graph.text import clip_words, content_words, counted, first_sentence, listing, split_identifier, word_count

if TYPE_CHECKING:
    from graph.code_graph import CodeGraph

MAX_WORDS = 120
LEAD_WORDS = 40
SYMBOL_DOC_WORDS = 12
KEYWORDS = 12


@dataclass(frozen=True)
class SymbolImportance:
    """Points that decide which definitions a summary names first: the ones a reader looks for."""
    top_level: float = 3.0  # not nested in a class or a function
    public: float = 2.0  # no leading underscore
    documented: float = 1.5
    is_class: float = 1.0
    per_log_use: float = 2.0  # times log(1 + uses from other files: calls and inheritance)
    length_cap: int = 200  # lines beyond this do not make a definition more important
    lines_per_point: float = 100.0


IMPORTANCE = SymbolImportance()

_LANGUAGE_NAMES = {"python": "Python", "javascript": "JavaScript", "typescript": "TypeScript", "tsx": "TSX",
                   "java": "Java", "go": "Go", "c": "C", "cpp": "C++", "rust": "Rust",
                   "ruby": "Ruby", "php": "PHP", "csharp": "C#", "kotlin": "Kotlin",
                   "swift": "Swift", "scala": "Scala", "vue": "Vue", "svelte": "Svelte", "objc": "Objective-C",
                   "dart": "Dart", "lua": "Lua", "elixir": "Elixir",
                   "protobuf": "Protocol Buffers", "yacc": "Yacc", "lex": "Lex", "antlr": "ANTLR",
                   "template": "Template"}
_PACKAGE_FILES = ("__init__.py", "mod.rs", "lib.rs", "index.ts", "index.js", "package-info.java", "doc.go")


@dataclass
class GraphFacts:
    """Look-ups over the whole graph that summaries and keywords need, computed once."""

    definitions: dict[str, list[str]]  # file -> its definition nodes
    external_refs: dict[str, int]  # definition node -> calls/inherits into it from other files
    imports: dict[str, set[str]]  # file -> files it imports
    importers: dict[str, set[str]]  # file -> files importing it
    children: dict[str, list[str]]  # directory -> files and directories it contains
    _importance: dict[str, float] = field(default_factory=dict)  # definition node -> score, memoised
    _best: dict[tuple[str, int], list[tuple[float, str]]] = field(default_factory=dict)  # best_symbols, memoised

    @classmethod
    def of(cls, g: CodeGraph) -> GraphFacts:
        definitions: dict[str, list[str]] = {}
        external_refs: dict[str, int] = {}
        imports: dict[str, set[str]] = {}
        importers: dict[str, set[str]] = {}
        children: dict[str, list[str]] = {}
        attrs = dict(g.nodes(data=True))  # a plain dict for the many look-ups below
        for n, a in attrs.items():
            if a["kind"] in ("class", "function"):
                definitions.setdefault(a["path"], []).append(n)
        for src, dst, key in g.edges(keys=True):
            if key == "imports":
                imports.setdefault(src, set()).add(dst)
                importers.setdefault(dst, set()).add(src)
            elif key in ("calls", "inherits") and attrs[src].get("path") != attrs[dst].get("path"):
                external_refs[dst] = external_refs.get(dst, 0) + 1
            elif key == "contains" and attrs[src]["kind"] == "directory":
                children.setdefault(src, []).append(dst)
        return cls(definitions, external_refs, imports, importers, children)

    def best_symbols(self, g: CodeGraph, file: str, limit: int) -> list[tuple[float, str]]:
        """(-importance, definition) of the file's `limit` most important definitions, best first, memoised."""
        best = self._best.get((file, limit))
        if best is None:
            best = heapq.nsmallest(limit, ((-self.importance(g, sid), sid) for sid in self.definitions.get(file, ())))
            self._best[(file, limit)] = best
        return best

    def importance(self, g: CodeGraph, sid: str) -> float:
        score = self._importance.get(sid)
        if score is None:
            a, w = g.nodes[sid], IMPORTANCE
            score = (w.top_level * (a["qualname"] == a["name"]) + w.public * (not a["name"].startswith("_"))
                     + w.documented * bool(a.get("doc")) + w.is_class * (a["kind"] == "class")
                     + w.per_log_use * math.log1p(self.external_refs.get(sid, 0))
                     + min(a["end_line"] - a["start_line"], w.length_cap) / w.lines_per_point)
            self._importance[sid] = score
        return score


@dataclass
class SummaryInputs:
    kind: str
    name: str
    doc: str
    language: str | None
    symbols: list[tuple[str, str, str]]  # (qualified name, subkind, doc) of main symbols
    files: list[str]
    subdirs: list[str]
    imports: list[str]
    importers: list[str]
    aliases: list[str]
    file_roles: list[str] = field(default_factory=list)  # a directory's files' roles (graph/roles.py), as `files`

    @classmethod
    def collect(cls, g: CodeGraph, facts: GraphFacts, mid: str, kind: str, member_files: list[str],
                symbols: list[str]) -> SummaryInputs:
        attrs = g.nodes[mid]
        doc = attrs.get("doc", "")
        if kind == "directory" and not doc:
            doc = next((g.nodes[f].get("doc", "") for f in member_files
                        if posixpath.dirname(f) + "/" == mid and posixpath.basename(f) in _PACKAGE_FILES
                        and g.nodes[f].get("doc")), "")
        inside = set(member_files)
        imports = {t for f in member_files for t in facts.imports.get(f, ()) if t not in inside}
        importers = {s for f in member_files for s in facts.importers.get(f, ()) if s not in inside}
        children = facts.children.get(mid, []) if kind == "directory" else []
        return cls(kind=kind, name=attrs["name"], doc=doc, language=attrs.get("language"),
                   symbols=[(g.nodes[s]["qualname"], g.nodes[s]["subkind"], g.nodes[s].get("doc", "")) for s in symbols],
                   files=sorted(c for c in children if g.nodes[c]["kind"] == "file") if kind == "directory"
                   else member_files,
                   subdirs=sorted(c for c in children if g.nodes[c]["kind"] == "directory"),
                   imports=_rank_neighbours(facts, imports), importers=_rank_neighbours(facts, importers),
                   aliases=list(attrs.get("aliases", ())),
                   file_roles=[g.nodes[c].get("role", SOURCE) for c in children if g.nodes[c]["kind"] == "file"]
                   if kind == "directory" else [])


def summarize(x: SummaryInputs) -> str:
    parts = [_lead(x)]
    if x.kind == "named" and x.aliases:
        parts.append("Also called: " + ", ".join(x.aliases) + ".")
    if x.kind != "file" and x.files:
        # a directory's files are its children; a named module's may lie anywhere, so keep their paths
        listed = [posixpath.basename(f) for f in x.files] if x.kind == "directory" else x.files
        parts.append("Files: " + listing(listed, 6) + ".")
    if x.subdirs:
        parts.append("Subdirectories: " + listing([posixpath.basename(d.rstrip("/")) + "/" for d in x.subdirs], 5) + ".")
    symbol_items = []
    for name, subkind, doc in x.symbols:
        item = f"{name} ({subkind})"
        # a file led by its main function's doc (a TypeScript module of one operator) says it once
        sentence = "" if first_sentence(doc, 10_000).rstrip(".") in x.doc else first_sentence(doc, SYMBOL_DOC_WORDS)
        # the items are joined by "; ": a sentence's own end (or a dangling comma: express's "…with the
        # given `path`,") would double the punctuation
        symbol_items.append(f"{item}: {sentence.rstrip('.,;:')}" if sentence.rstrip('.,;:') else item)
    text = " ".join(parts)
    if symbol_items:
        kept = []
        for item in symbol_items:
            if word_count(text) + word_count("; ".join(kept + [item])) + 2 > MAX_WORDS - 12:
                break
            kept.append(item)
        if kept:
            text += " Main symbols: " + "; ".join(kept) + "."
    for label, items in (("Imports", x.imports), ("Imported by", x.importers)):
        if items:
            line = f" {label}: {listing(items, 3)}."
            if word_count(text) + word_count(line) <= MAX_WORDS:
                text += line
    return text.strip()


def _lead(x: SummaryInputs) -> str:
    doc = x.doc.strip()
    if doc:
        lead = doc if word_count(doc) <= LEAD_WORDS else _sentences_within(doc, LEAD_WORDS)
        return lead if lead.endswith((".", "!", "?", "…", "。", "！", "？")) else lead.rstrip(":;,") + "."  # not "directory:."
    language = _LANGUAGE_NAMES.get(x.language or "", "")
    if x.kind == "file":
        if x.symbols:
            top_level = [s[0] for s in x.symbols if "." not in s[0]] or [s[0] for s in x.symbols]
            return f"{language} file defining {', '.join(top_level[:3])}.".strip()
        return f"{language} file with no definitions.".strip()
    if x.kind == "directory":  # what it holds, and what it defines (its subdirectories' definitions too)
        # the files by what they are for: Go keeps its tests beside the code ("15 source files" were 7 and 8
        # `_test.go`: sweep 16)
        roles = x.file_roles or [SOURCE] * len(x.files)
        tests = roles.count(TEST)
        contents = [c for c in (_count(roles.count(SOURCE), "source file", "source files"), _count(tests, "test file", "test files"),
                                _count(len(roles) - roles.count(SOURCE) - tests, "other file", "other files"),
                                _count(len(x.subdirs), "subdirectory", "subdirectories")) if c]
        top_level = [s[0] for s in x.symbols if "." not in s[0]][:3]
        lead = ("Directory of " + (", ".join(contents[:-1]) + " and " if len(contents) > 1 else "") + contents[-1]) \
            if contents else "Empty directory"
        return lead + (f", defining {', '.join(top_level)}." if top_level else ".")
    return f"Named module {x.name}."


def _count(n: int, one: str, many: str) -> str:
    return "" if n == 0 else counted(n, one, many)


def _sentences_within(text: str, max_words: int) -> str:
    out = ""
    rest = text
    while rest:
        sentence = first_sentence(rest, 10_000)
        if out and word_count(out) + word_count(sentence) > max_words:
            break
        out = (out + " " + sentence).strip()
        rest = rest[len(sentence):].strip() if rest.startswith(sentence) else ""
        if word_count(out) >= max_words:
            return clip_words(out, max_words)
    return out


def _rank_neighbours(facts: GraphFacts, nodes) -> list[str]:
    """Neighbour files, most-imported first (a rough measure of how central they are)."""
    return sorted(nodes, key=lambda n: (-len(facts.importers.get(n, ())), n))


# --- main symbols ----------------------------------------------------------------------------

def main_symbols(g: CodeGraph, facts: GraphFacts, member_files: list[str], limit: int) -> list[str]:
    """The most telling definitions of these files: public, top-level, documented, used elsewhere.

    The best `limit` of a directory are among the best `limit` of each of its files: merging those
    keeps a deep tree from scoring every definition once per enclosing directory. A name several files
    define (each test's `main`, each locale's `error`) is listed once, by its best definition: "defining
    main, main, main" says less than one name.
    """
    out, seen = [], set()
    for _, sid in heapq.merge(*(facts.best_symbols(g, f, limit) for f in member_files)):  # each list is sorted
        name = g.nodes[sid]["qualname"]
        if name not in seen:
            seen.add(name)
            out.append(sid)
            if len(out) == limit:
                break
    return out


# --- keywords --------------------------------------------------------------------------------

def keywords_for_all(g: CodeGraph, members: dict[str, list[str]],
                     file_weights: dict[str, dict[str, float]]) -> dict[str, list[str]]:
    """Keywords of every module: identifier pieces and doc words weighted by salience (tf-idf over files).

    `file_weights` maps every file to `keyword_weights(its parse result)`, kept with the parse results.
    """
    df = Counter(t for weights in file_weights.values() for t in weights)
    n = max(len(file_weights), 1)
    idf = {t: math.log(1 + n / (1 + count)) for t, count in df.items()}
    unseen_idf = math.log(1 + n)  # a directory's own name, doc or alias words may be in no file
    out = {}
    for mid, files in members.items():
        attrs = g.nodes[mid]
        weights: Counter = Counter()
        if attrs["kind"] == "file":
            weights.update(file_weights[mid])
        else:
            for f in files:
                weights.update(file_weights[f])
            _add(weights, content_words(attrs.get("name", "")), 3.0)
            _add(weights, content_words(attrs.get("doc", "")), 1.0)
            for alias in attrs.get("aliases", ()):
                _add(weights, content_words(alias), 3.0)
        out[mid] = heapq.nsmallest(KEYWORDS, weights, key=lambda t: (-weights[t] * idf.get(t, unseen_idf), t))
    return out


def keyword_weights(fs: FileSymbols) -> dict[str, float]:
    """A file's keyword candidates and their weights: a pure function of its parse result, so it is
    computed where the file is parsed (in parallel) and kept with it (reused by an incremental build).

    The weights are multiples of 1/4, exact in binary, so sums do not depend on the order of addition.
    """
    weights: Counter = Counter()
    stem = posixpath.splitext(posixpath.basename(fs.path))[0]
    _add(weights, [w for w in split_identifier(stem) if len(w) > 2], 3.0)
    _add(weights, content_words(fs.doc), 0.5)
    for d in fs.definitions:
        w = 2.0 if d.kind == CLASS else (1.0 if d.qualname == d.name else 0.5)
        _add(weights, content_words(d.name), w)
        _add(weights, content_words(first_sentence(d.doc)), 0.25)
    return dict(weights)


def _add(weights: Counter, words, w: float) -> None:
    for word in words:
        weights[word] += w

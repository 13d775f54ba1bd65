"""Hybrid retrieval over one index snapshot: BM25 (files and definitions), embeddings, a size prior
and files the query names, fused into one ranking of files, rolled up to directories on request."""
from __future__ import annotations

import copy
import os
import posixpath
from dataclasses import dataclass

import numpy as np

from graph.build import ROOT
from graph.headers import is_header
from graph.indexer import load_modules
from graph.languages import TEMPLATE
from graph.store import IndexStore, Manifest
from rag.retrieval.index_files import CORPUS, DIR
from rag.retrieval.dense import DenseIndex
from rag.retrieval.fusion import best_per_group, fuse
from rag.retrieval.past_changes import AsOf, PastChange, PastChanges, file_scores as past_change_scores
from rag.retrieval.question import ParsedQuery, parse_query
from rag.results import Candidate
from rag.settings import RetrievalSettings
from rag.retrieval.sparse import Bm25, TermCounts

LEVELS = ("file", "dir")
METHODS = ("hybrid", "bm25", "dense")
# signals added as they are, not standardised: each is non-zero for one or a few files, and a
# z-score would make a single hit worth ~17 (rag/settings.py has their weights)
BOOSTS = frozenset({"mention", "frame", "named", "named_in_code", "module", "callee", "history", "executed"})


@dataclass
class NamedCode:
    """The files defining code names a query uses (file -> the names): named in its title or prose
    (`Permutation`, `simplify()`), and named only in its code blocks or traceback, where a report's
    example calls the public API (`symbols`, `Symbol`) whatever the change is about."""
    prose: dict[int, list[str]]
    code: dict[int, list[str]]


class Retriever:
    def __init__(self, store: IndexStore, manifest: Manifest, settings: RetrievalSettings, embedder=None):
        self.settings = settings
        meta = store.read_json(manifest, CORPUS)
        self.files: list[str] = meta["files"]
        self._file_index = {f: i for i, f in enumerate(self.files)}
        self._known = frozenset(self.files)
        self.lines = np.asarray(meta["lines"], dtype=np.float64)
        self.chunks = meta["chunks"]
        self._named: dict[str, list[str]] = meta["named"]
        self.chunk_file = np.asarray([c[0] for c in self.chunks], dtype=np.int64)
        snapshot = os.path.join(store.dir, manifest.snapshot, DIR)
        self.modules = {m.id: m for m in load_modules(store, manifest)}
        file_counts = _weighed_by_code(TermCounts.load(os.path.join(snapshot, "sparse-files")),
                                       [self.modules[f].language for f in self.files])
        self.sparse_files = file_counts.bm25(settings.bm25_k1, settings.bm25_b)
        self.sparse_files_long = file_counts.bm25(settings.bm25_long_k1, settings.bm25_long_b)
        self.sparse_chunks = TermCounts.load(os.path.join(snapshot, "sparse-chunks")).bm25(settings.bm25_k1, settings.bm25_b)
        self.dense_files = DenseIndex.load(store.snapshot_path(manifest, f"{DIR}/dense-files.faiss"))
        self.dense_chunks = (DenseIndex.load(store.snapshot_path(manifest, f"{DIR}/dense-chunks.faiss"))
                             if meta["chunk_hashes"] else None)
        self._embedder = embedder
        self._embedder_name = meta["embedder"]
        self._index_dir = store.dir
        self._snapshot = snapshot
        self.manifest = manifest  # of the snapshot this retriever reads (another may replace it on disk)
        self._past_changes: PastChanges | None = None
        self._callees: list[list[int]] | None = meta.get("callees")  # absent from indexes of rag <= 0.1.21
        self._implementations = [tuple(pair) for pair in meta.get("implementations", ())]  # rag >= 0.1.24
        self._definitions: dict[str, tuple[int, ...]] | None = None
        self._centrality: np.ndarray | None = None
        self._definers: dict[str, tuple[int, ...]] = {}

    def definitions(self, name: str) -> tuple[int, ...]:
        """The definitions (chunk indexes) named `name`: a qualified name (`Text.from_ansi`) or any tail
        of one (`from_ansi`)."""
        if self._definitions is None:  # built on first use: a one-shot CLI query that names no code never pays
            found: dict[str, list[int]] = {}
            for c, (_, qualname, _) in enumerate(self.chunks):
                parts = qualname.split(".")
                for i in range(len(parts)):
                    found.setdefault(".".join(parts[i:]), []).append(c)
            self._definitions = {k: tuple(v) for k, v in found.items()}
        return self._definitions.get(name, ())

    def definers(self, name: str) -> tuple[int, ...]:
        """The files defining `name`: where it is the whole qualified name (`Symbol`, the class), when it
        is anywhere, else where a qualified name ends with it (`AskFiniteHandler.Symbol`, a method)."""
        if name not in self._definers:
            found = self.definitions(name)
            exact = [c for c in found if self.chunks[c][1] == name]
            self._definers[name] = tuple(sorted({int(self.chunk_file[c]) for c in exact or found}))
        return self._definers[name]

    def callees(self, named: dict[int, list[str]]) -> np.ndarray:
        """Per file, how much of the named definitions' calls go there (each definition's calls share
        one): from the code a report names to the code it hands the work on to."""
        out = np.zeros(len(self.files))
        if not self._callees:
            return out
        for f, names in named.items():
            for name in names:
                for c in self.definitions(name):
                    called = self._callees[c]
                    if self.chunk_file[c] == f and called:
                        out[called] += 1.0 / len(called)
        return out / out.max() if out.any() else out

    def centrality(self) -> np.ndarray:
        """Per file, log(1 + how many other files call into it): the core that much of the code
        relies on, where a symptom seen anywhere is often fixed (zero for an index without call links)."""
        if self._centrality is None:
            callers = [set() for _ in self.files]
            for c, called in enumerate(self._callees or ()):
                for f in called:
                    callers[f].add(int(self.chunk_file[c]))
            self._centrality = np.log1p(np.array([len(c) for c in callers], dtype=np.float64))
        return self._centrality

    def named_definitions(self, identifiers: list[str]) -> dict[int, list[str]]:
        """Files defining a code name of `identifiers` (file -> the names), when at most
        `settings.max_definers` files define it. A dotted name is looked up by its longest defined tail: `enum.Flag` as `Flag`."""
        out: dict[int, list[str]] = {}
        for identifier in identifiers:
            parts = identifier.split(".")
            for i in range(len(parts)):
                files = self.definers(".".join(parts[i:]))
                if files:
                    if len(files) <= self.settings.max_definers:
                        for f in files:
                            names = out.setdefault(f, [])
                            if ".".join(parts[i:]) not in names:  # `mux.ServeHTTP` and `ServeHTTP`: one name
                                names.append(".".join(parts[i:]))
                    break
        return out

    def past_changes(self) -> PastChanges | None:
        """The history's commits (loaded on first use); None for an index without them (rag <= 0.1.22)."""
        if self._past_changes is None and os.path.isdir(os.path.join(self._snapshot, "sparse-past-changes")):
            self._past_changes = PastChanges.load(self._snapshot, self.settings.bm25_k1, self.settings.bm25_b)
        return self._past_changes

    def similar_changes(self, q: ParsedQuery, as_of: AsOf | None = None) -> list[PastChange]:
        past = self.past_changes()
        return past.similar(q.head_tokens, self.settings.history_commits, as_of) if past is not None else []

    def with_dense(self, embedder, file_vectors: np.ndarray, chunk_vectors: np.ndarray | None) -> Retriever:
        """This retriever with its dense signals from another embedder: `embedder` embeds the
        questions, the vectors (one row per file and per definition, in this index's order:
        index_files.dense_texts) stand for the index's. How `rag finetune --retriever` ranks with a
        tuned embedder before deciding to re-embed the index with it."""
        if len(file_vectors) != len(self.files) or (self.dense_chunks is not None) != (chunk_vectors is not None) \
                or (chunk_vectors is not None and len(chunk_vectors) != len(self.chunks)):
            raise ValueError("the vectors do not match this index's files and definitions")
        other = copy.copy(self)
        other._embedder = embedder
        other.dense_files = DenseIndex.build(file_vectors, self.settings.exact_search_limit)
        other.dense_chunks = (DenseIndex.build(chunk_vectors, self.settings.exact_search_limit)
                              if chunk_vectors is not None else None)
        return other

    def embedder(self):
        if self._embedder is None:
            from rag.embedding.embedder import embedder_location, shared_embedder, trusted

            name = trusted(self._embedder_name, self._index_dir, self.settings.embedder)
            self._embedder = shared_embedder(embedder_location(name, self._index_dir))
        return self._embedder

    def file_bm25(self, q: ParsedQuery) -> Bm25:
        """BM25 over whole files as this question is scored: a long one (an issue report) with a stronger
        length normalisation (RetrievalSettings.long_question_tokens)."""
        return self.sparse_files_long if len(q.tokens) >= self.settings.long_question_tokens else self.sparse_files

    def parse(self, query: str) -> ParsedQuery:
        return parse_query(query, self._known, self.settings.dense_query_chars)

    def signals(self, q: ParsedQuery, method: str = "hybrid", named: NamedCode | None = None,
                past: list[PastChange] | None = None, as_of: AsOf | None = None,
                executed: dict[str, list[str]] | None = None) -> dict[str, np.ndarray]:
        """Each signal's score for every candidate file. `named`, `past`: the query's named definitions
        (`named_code`) and similar past changes (`similar_changes`), when the caller has them already;
        `as_of`: the time the question is asked at (only older commits are evidence); `executed`: the
        functions the report's example called, by file (rag/reproduce/run.py)."""
        s, out, n = self.settings, {}, len(self.files)
        if method in ("hybrid", "bm25"):
            out["bm25"] = self.file_bm25(q).scores(q.tokens)
        if method == "hybrid" and s.w_chunk:
            out["chunk"] = self._best_definition_scores(q.tokens)
        if method in ("hybrid", "dense") and (s.w_dense or method == "dense"):
            vector = self.embedder().embed_query(q.dense_text)
            out["dense"] = self.dense_files.scores(vector)
            if method == "hybrid" and self.dense_chunks is not None and s.w_dense_chunk:
                chunk_sims = self.dense_chunks.scores(vector, top=512)
                out["dense_chunk"] = best_per_group(chunk_sims, self.chunk_file, n, -1.0)
        if method == "hybrid" and s.w_prior:
            out["prior"] = np.log1p(self.lines)
        if method == "hybrid" and s.w_central:
            out["central"] = self.centrality()
        if method == "hybrid" and q.title_tokens:
            if s.w_title:
                out["title"] = self.file_bm25(q).scores(q.title_tokens)
            if s.w_title_chunk:
                out["title_chunk"] = self._best_definition_scores(q.title_tokens)
        if method == "hybrid" and s.w_error and q.error_tokens:
            out["error"] = self._best_definition_scores(q.error_tokens)
        out["mention"] = self._indicator(q.mentioned_files)
        if method == "hybrid" and s.w_module and q.module_files:
            out["module"] = self._indicator(q.module_files)
        if method == "hybrid" and s.w_frame and q.innermost_file:
            out["frame"] = self._indicator([q.innermost_file])
        if method == "hybrid" and s.w_named_definition:
            named = self.named_code(q) if named is None else named
            out["named"] = self._shared_by_definers(named.prose)
            if s.w_named_in_code:
                out["named_in_code"] = self._shared_by_definers(named.code)
            if s.w_callee:
                out["callee"] = self.callees(named.prose | named.code)
        if method == "hybrid" and s.w_history:
            past = self.similar_changes(q, as_of) if past is None else past
            out["history"] = past_change_scores(past, n)
        if method == "hybrid" and s.w_executed and executed:
            out["executed"] = self._called(executed)
        return out

    def _called(self, executed: dict[str, list[str]]) -> np.ndarray:
        """log(1 + how many of a file's functions the example called): more of them, a little more
        evidence; the first one counts most."""
        out = np.zeros(len(self.files))
        for f, names in executed.items():
            if f in self._file_index:
                out[self._file_index[f]] = np.log1p(len(names))
        return out

    def _shared_by_definers(self, named: dict[int, list[str]]) -> np.ndarray:
        # a name defined in two files is weaker evidence for each
        out = np.zeros(len(self.files))
        for f, names in named.items():
            out[f] = max(1 / len(self.definers(name)) for name in names)
        return out

    def named_code(self, q: ParsedQuery) -> NamedCode:
        prose = self.named_definitions(q.prose_identifiers)
        code = self.named_definitions([i for i in q.identifiers if i not in set(q.prose_identifiers)])
        return NamedCode(prose, {f: names for f, names in code.items() if f not in prose})

    def best_definition(self, chunk_scores: np.ndarray, file: int) -> tuple[str, int] | None:
        """The definition of file number `file` that scores best (qualified name, first line), if it has any."""
        best = self._best_chunk(chunk_scores, file)
        return None if best is None else tuple(self.chunks[best][1:])

    def best_definitions(self, query: str | ParsedQuery, modules: list[str]) -> dict[str, tuple[str, int]]:
        """For each of the files `modules`, its definition that best matches the query's words (qualified
        name, first line); files with no definition, or none sharing a word with the query, are left out."""
        q = query if isinstance(query, ParsedQuery) else self.parse(query)
        scores = self.sparse_chunks.scores(q.tokens)
        out = {}
        for module in modules:
            i = self._file_index.get(module)
            best = self._best_chunk(scores, i) if i is not None else None
            if best is not None and scores[best] > 0:
                out[module] = tuple(self.chunks[best][1:])
        return out

    def _best_chunk(self, chunk_scores: np.ndarray, file: int) -> int | None:
        members = np.nonzero(self.chunk_file == file)[0]
        return int(members[np.argmax(chunk_scores[members])]) if len(members) else None

    def _best_definition_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 over definitions (their code), the best one per file."""
        if not len(self.chunk_file):  # no definitions: the index holds a placeholder document, no file's
            return np.zeros(len(self.files))
        return best_per_group(self.sparse_chunks.scores(tokens), self.chunk_file, len(self.files), 0.0)

    def _indicator(self, files: list[str]) -> np.ndarray:
        out = np.zeros(len(self.files))
        for f in files:
            if f in self._file_index:
                out[self._file_index[f]] = 1.0
        return out

    def file_scores(self, q: ParsedQuery, method: str = "hybrid", as_of: AsOf | None = None,
                    executed: dict[str, list[str]] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        scored = self._scored(q, method, as_of, executed)
        return scored.scores, scored.signals

    def _scored(self, q: ParsedQuery, method: str, as_of: AsOf | None = None,
                executed: dict[str, list[str]] | None = None) -> _Scored:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}: one of {', '.join(METHODS)}")
        # hybrid only: bm25 and dense stay the single-signal baselines that evaluation compares against
        named = self.named_code(q) if method == "hybrid" and self.settings.w_named_definition else NamedCode({}, {})
        past = self.similar_changes(q, as_of) if method == "hybrid" and self.settings.w_history else []
        signals = self.signals(q, method, named, past, executed=executed)
        weights = self.settings.weights() if method == "hybrid" else {method: 1.0, "mention": self.settings.w_mention}
        scores, named_files = fuse(signals, weights, unscaled=BOOSTS), named.prose | named.code
        gave_way = {}
        if method == "hybrid":
            scores, gave_way = self.implementations_first(scores, named_files)
        return _Scored(scores, signals, named_files, past, gave_way, executed or {})

    def implementations_first(self, scores: np.ndarray, named: dict[int, list[str]]) -> tuple[np.ndarray, dict]:
        """A C/C++ header ranked above the source file that implements it (graph/headers.py), or a generated
        file above the grammar or interface definition it is made from (graph/generated.py), gives way:
        the source takes a hair more than the header's score. Not when the question names something only
        the header defines (a struct's fields are asked of the header). Returns the scores and
        {source: header} for those that moved up."""
        gave_way = {}
        for h, src in self._implementations:
            if scores[h] >= scores[src] and not set(named.get(h, ())) - set(named.get(src, ())):
                if not gave_way:
                    scores = scores.copy()
                scores[src] = np.nextafter(scores[h], np.inf)
                gave_way[src] = h
        return scores, gave_way

    def matches_the_index(self, q: ParsedQuery) -> bool:
        """Whether the question names a file, or shares a word with some file of the index: without
        either, its candidates are the embedding's guesses ("zzzz qqqq wwww" had confidence 0.355)."""
        return bool(q.mentioned_files or q.module_files) or self.sparse_files.knows(q.tokens)

    def search(self, query: str | ParsedQuery, k: int = 10, level: str = "file", method: str = "hybrid",
               within: str = "", as_of: AsOf | None = None,
               executed: dict[str, list[str]] | None = None) -> list[Candidate]:
        """`within`: only modules under this directory of the repository ("pkg/sub/"); `as_of`: the
        time the question is asked at (only older commits are evidence); `executed`: the functions the
        report's example called, by file (`rag ask --run`)."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}: one of {', '.join(LEVELS)}")
        q = query if isinstance(query, ParsedQuery) else self.parse(query)
        return self._hits(q, self._scored(q, method, as_of, executed), k, level, within)

    def search_within(self, q: ParsedQuery, k: int, level: str, method: str, within: str, as_of: AsOf | None,
                      whole_k: int, executed: dict[str, list[str]] | None = None) -> tuple[list[Candidate], list[Candidate]]:
        """search() within a folder, and the whole repository's first `whole_k` from the same scores
        (what the folder's answer is weighed against), the question scored once."""
        scored = self._scored(q, method, as_of, executed)
        return self._hits(q, scored, k, level, within), self._hits(q, scored, whole_k, level, "")

    def _hits(self, q: ParsedQuery, scored: _Scored, k: int, level: str, within: str) -> list[Candidate]:
        scores = scored.scores
        if within:
            outside = np.array([not f.startswith(within) for f in self.files], dtype=bool)
            scores = np.where(outside, -np.inf, scores)
        if level == "file":
            order = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > -np.inf]
            evidence = _Evidence(self, q, scored)
            return [Candidate(self.files[i], "file", round(float(scores[i]), 4), self.modules[self.files[i]].summary,
                        evidence.why(int(i))) for i in order]
        return self._directory_hits(scores, k, within)

    def _directory_hits(self, file_scores: np.ndarray, k: int, within: str = "") -> list[Candidate]:
        """A directory scores as its best file directly inside; one holding only subdirectories, as its
        best file anywhere below, one point lower, and is no answer when a folder ranked above it scores
        through that same file (`packages/` below `packages/query-core/src/`, always 1.000 behind it, said
        nothing: sweep 16). Named modules score as their best member file.
        `within`: only directories under it, and named modules wholly under it."""
        direct: dict[str, float] = {}
        below: dict[str, float] = {}
        best_direct: dict[str, int] = {}  # the file each score comes from, for the evidence
        best_below: dict[str, int] = {}
        for i, f in enumerate(self.files):
            score = float(file_scores[i])
            parent = posixpath.dirname(f)
            key = parent + "/" if parent else ROOT
            if score > direct.get(key, -np.inf):
                direct[key], best_direct[key] = score, i
            while parent:
                parent = posixpath.dirname(parent)
                up = parent + "/" if parent else ROOT
                if score > below.get(up, -np.inf):
                    below[up], best_below[up] = score, i
        candidates, best_file, holding_only_folders = {}, {}, set()
        for m in self.modules.values():
            if m.kind == "directory" and m.role in self.settings.roles and m.id.startswith(within):
                if m.id in direct:
                    candidates[m.id], best_file[m.id] = direct[m.id], best_direct[m.id]
                elif m.id in below:
                    candidates[m.id] = below[m.id] - self.settings.nested_dir_penalty
                    best_file[m.id] = best_below[m.id]
                    holding_only_folders.add(m.id)
            elif m.kind == "named":
                files = self._named.get(m.id, ())
                members = [self._file_index[f] for f in files if f in self._file_index]
                if members and all(f.startswith(within) for f in files):
                    best_file[m.id] = max(members, key=lambda i: float(file_scores[i]))
                    candidates[m.id] = float(file_scores[best_file[m.id]])
        ranked, answered_through = [], set()  # the files the folders ranked so far score through
        for mid, score in sorted(((m, v) for m, v in candidates.items() if v > -np.inf), key=lambda kv: (-kv[1], kv[0])):
            if len(ranked) == k:
                break
            if mid in holding_only_folders and best_file[mid] in answered_through:
                continue
            ranked.append((mid, score))
            answered_through.add(best_file[mid])
        hits = []
        for mid, score in ranked:
            i = best_file.get(mid)
            why = [f"best file: {self.files[i]}"] if i is not None else []
            hits.append(Candidate(mid, self.modules[mid].kind, round(score, 4), self.modules[mid].summary, why))
        return hits


@dataclass
class _Scored:
    """A question's file scores and what made them, kept for the evidence."""
    scores: np.ndarray
    signals: dict[str, np.ndarray]
    named: dict[int, list[str]]  # file -> the definitions it has that the question names
    past: list[PastChange]  # the similar past changes, most similar first
    gave_way: dict[int, int]  # source file -> the header it implements, which ranked above it
    executed: dict[str, list[str]]  # file -> the functions the report's example called there


class _Evidence:
    """Why a file was retrieved, from the query's signals (computed once per query, for all hits)."""

    def __init__(self, retriever: Retriever, q: ParsedQuery, scored: _Scored):
        self.r, self.q, self.signals = retriever, q, scored.signals
        self.named_definitions, self.past, self.gave_way = scored.named, scored.past, scored.gave_way
        self.executed = scored.executed
        self._tokens = sorted(set(q.tokens)) if "bm25" in self.signals else []
        bm25 = retriever.file_bm25(q)
        self._per_token = np.stack([bm25.scores([t]) for t in self._tokens]) if self._tokens else None
        self._chunk_scores = retriever.sparse_chunks.scores(q.tokens) if "chunk" in self.signals else None

    def why(self, i: int) -> list[str]:
        r, q, why = self.r, self.q, []
        if r.files[i] in q.mentioned_files:
            why.append("named in the query")
        if "frame" in self.signals and self.signals["frame"][i]:
            why.append("the traceback's innermost frame in the repository")
        if "module" in self.signals and self.signals["module"][i]:
            why.append("named in the query as a module or file name")
        if i in self.named_definitions:
            why.append("defines " + ", ".join(self.named_definitions[i]) + ", named in the query")
        if "executed" in self.signals and self.signals["executed"][i]:
            names = self.executed[r.files[i]]
            named = [name for name in names if not name.startswith("<")][:4]  # <listcomp>, <lambda>: counted, not shown
            rest = len(names) - len(named)
            shown = (", ".join(named) + (f" and {rest} more" if rest else "")) if named else f"{rest} anonymous functions"
            why.append(f"the report's example called {shown}")
        if i in self.gave_way:
            stand_in = r.files[self.gave_way[i]]
            why.append(f"implements what {stand_in} declares" if is_header(stand_in) else f"{stand_in} is generated from it")
        if self._per_token is not None and self.signals["bm25"][i] > 0:
            weights = self._per_token[:, i]
            top = [self._tokens[j] for j in np.argsort(-weights, kind="stable")[:5] if weights[j] > 0]
            if top:
                why.append("keywords: " + ", ".join(dict.fromkeys(q.words.get(t, t) for t in top)))
        if self._chunk_scores is not None and self.signals["chunk"][i] > 0:
            best = r.best_definition(self._chunk_scores, i)
            if best is not None:
                why.append(f"symbol: {best[0]} (line {best[1]})")
        touched = next((c for c in self.past if i in c.files), None)  # the most similar one first
        if touched is not None:
            why.append(touched.describe())
        if "dense" in self.signals:
            why.append(f"summary similarity {float(self.signals['dense'][i]):.2f}")
        return why


def _weighed_by_code(counts: TermCounts, languages: list[str | None]) -> TermCounts:
    """BM25's statistics (each term's idf, the mean length) from the code files alone, applied to every
    file. A page's words are no measure of the code's vocabulary: in a small web application templates
    are nearly half of the files (hackathon-starter: 45 Pug views beside 57 code files), and with them
    counted, code questions lost their answer from the first place 28 times in 142 (4 gained); weighed by
    the code, code questions are answered as before and the views more often (bench/LOG.md). `languages`:
    each document's, as the index recorded it."""
    counted = np.array([language != TEMPLATE for language in languages], dtype=bool)
    return counts if counted.all() or not counted.any() else counts.weighed_by(counted)

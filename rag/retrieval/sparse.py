"""BM25 over documents given as term counts: the index keeps the counts, a question chooses k1 and b.

    counts = TermCounts.build([{"pars": 3, "respons": 1}, ...])   # one {term: count} per document
    counts.save(directory); counts = TermCounts.load(directory)  # NumPy arrays + JSON, no pickle
    counts.bm25(k1=1.2, b=0.5).scores(["pars", "http"])          # one score per document

The weights are Lucene's BM25, as bm25s computes them by default (the library this used until rag
0.1.30; a test compares the scores with a plain-Python BM25):

    score(d) = sum over the question's tokens t of  idf(t) * tf / (tf + k1 * (1 - b + b * len(d) / avg len))
    idf(t)   = log(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

Why not bm25s any longer: its index stores each (document, term) weight for one (k1, b), and long
questions want another b than short ones (RetrievalSettings.bm25_long_*): two indexes over the same
files, each with its own vocabulary, built twice and loaded twice. Weighing at query time costs a few
array operations on a term's postings the first time a question has it; `Bm25` keeps the result.
"""
from __future__ import annotations

import copy
import json
import math
import os
from itertools import chain

import numpy as np

from graph.errors import IndexStoreError

VOCABULARY = "vocabulary.json"  # the terms, in the order of their postings
ARRAYS = ("offsets", "documents", "counts", "lengths")  # saved as NAME.npy


class TermCounts:
    """How often each term occurs in each document, by term (a compressed sparse column matrix):
    term i's postings are `documents[offsets[i]:offsets[i + 1]]` (ascending) with their `counts`;
    `lengths` is each document's number of tokens."""

    def __init__(self, vocabulary: list[str], offsets: np.ndarray, documents: np.ndarray, counts: np.ndarray,
                 lengths: np.ndarray):
        self.vocabulary = {t: i for i, t in enumerate(vocabulary)}
        self.offsets, self.documents, self.counts, self.lengths = offsets, documents, counts, lengths
        n_docs = len(lengths)
        self.idf = lucene_idf(np.diff(offsets), n_docs).astype(np.float32)
        self.mean_length = float(lengths.mean()) if n_docs else 0.0

    def weighed_by(self, counted: np.ndarray) -> TermCounts:
        """The same counts, with each term's idf and the mean length taken over the documents `counted`
        marks (a boolean per document) and applied to all of them."""
        out = copy.copy(self)
        running = np.concatenate([[0], np.cumsum(counted[self.documents], dtype=np.int64)])
        n_counted = int(counted.sum())
        out.idf = lucene_idf(running[self.offsets[1:]] - running[self.offsets[:-1]], n_counted).astype(np.float32)
        out.mean_length = float(self.lengths[counted].mean()) if n_counted else 0.0
        return out

    def __len__(self) -> int:
        """The number of documents."""
        return len(self.lengths)

    @classmethod
    def build(cls, documents: list[dict[str, int]]) -> TermCounts:
        """`documents`: each one's term counts ({token: count}; empty for a document without tokens)."""
        # map/chain over builtins iterate in C: generator expressions here took longer than the rest
        vocabulary = list(dict.fromkeys(chain.from_iterable(documents)))
        column = {t: i for i, t in enumerate(vocabulary)}
        n_docs = len(documents)
        n_terms = np.fromiter(map(len, documents), dtype=np.int64, count=n_docs)
        pairs = int(n_terms.sum())
        terms = np.fromiter(map(column.__getitem__, chain.from_iterable(documents)), dtype=np.int64, count=pairs)
        counts = np.fromiter(chain.from_iterable(map(dict.values, documents)), dtype=np.int32, count=pairs)
        rows = np.repeat(np.arange(n_docs, dtype=np.int32), n_terms)
        order = np.argsort((terms << 32) | rows, kind="stable")  # by term, then document
        offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocabulary)), out=offsets[1:])
        lengths = np.bincount(rows, weights=counts, minlength=n_docs).astype(np.int64)
        return cls(vocabulary, offsets, rows[order], counts[order], lengths)

    def bm25(self, k1: float, b: float) -> Bm25:
        """BM25 with these parameters over these counts (shares them: no copy)."""
        return Bm25(self, k1, b)

    def save(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, VOCABULARY), "w", encoding="utf-8") as fh:
            json.dump(list(self.vocabulary), fh, ensure_ascii=False)
        for name in ARRAYS:
            np.save(os.path.join(directory, f"{name}.npy"), getattr(self, name), allow_pickle=False)

    @classmethod
    def load(cls, directory: str) -> TermCounts:
        """The counts saved in `directory`, checked for damage: arrays that do not fit together are an
        IndexStoreError naming the repair, never scores."""
        try:
            with open(os.path.join(directory, VOCABULARY), encoding="utf-8") as fh:
                vocabulary = json.load(fh)
            arrays = {name: np.load(os.path.join(directory, f"{name}.npy"), allow_pickle=False) for name in ARRAYS}
        except Exception as e:  # damaged bytes fail in many ways (NumPy's header parser raises TokenError)
            raise IndexStoreError(f"the sparse index at {directory} is unreadable ({type(e).__name__}); "
                                  "`rag index` repairs it") from None
        problem = _inconsistency(vocabulary, **arrays)
        if problem:
            raise IndexStoreError(f"the sparse index at {directory} is damaged ({problem}): `rag index` repairs it")
        return cls(vocabulary, **arrays)

    def knows(self, query_tokens: list[str]) -> bool:
        """Whether any of the tokens is a term of the index: one that gives some document a score (a
        Lucene BM25 idf is positive for every indexed term)."""
        return any(t in self.vocabulary for t in query_tokens)


class Bm25:
    """Lucene's BM25 over `TermCounts`, with its saturation `k1` and length normalisation `b`."""

    def __init__(self, counts: TermCounts, k1: float, b: float):
        self.counts, self.k1, self.b = counts, k1, b
        # the tf part's denominator less tf, per document: what b and k1 make of its length
        mean = counts.mean_length or 1.0
        self._norm = k1 * ((1 - b) + b * counts.lengths / mean)
        # each term's (documents, weights), computed when a question first has it: a warm Engine then adds
        # them up as fast as bm25s's precomputed ones, holding at most one float per posting
        self._postings: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def knows(self, query_tokens: list[str]) -> bool:
        return self.counts.knows(query_tokens)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every document (float32); a token counts as often as the question has it, one
        the index does not know contributes nothing."""
        c = self.counts
        scores = np.zeros(len(c), dtype=np.float32)
        for token in query_tokens:
            term = c.vocabulary.get(token)
            if term is None:
                continue
            postings = self._postings.get(term)
            if postings is None:
                start, end = c.offsets[term], c.offsets[term + 1]
                rows, tf = c.documents[start:end], c.counts[start:end].astype(np.float32)
                postings = self._postings[term] = (rows, (c.idf[term] * (tf / (self._norm[rows] + tf))).astype(np.float32))
            np.add.at(scores, *postings)  # in the question's order, as bm25s adds: the same floats
        return scores


def lucene_idf(doc_freqs: np.ndarray, n_docs: int) -> np.ndarray:
    """log(1 + (N - df + 0.5) / (df + 0.5)) per term, in float64 with `math.log` (few distinct
    frequencies: computed once each)."""
    distinct, which = np.unique(doc_freqs, return_inverse=True)
    return np.array([math.log(1 + (n_docs - int(df) + 0.5) / (int(df) + 0.5)) for df in distinct],
                    dtype=np.float64)[which]


def _inconsistency(vocabulary, offsets, documents, counts, lengths) -> str | None:
    """What does not fit in saved counts (the same size as sound ones, so loading did not notice),
    or None. Reads every posting once: ~1 ms per 100k."""
    if not isinstance(vocabulary, list) or not all(isinstance(t, str) for t in vocabulary):
        return "its vocabulary is not a list of terms"
    if any(a.ndim != 1 or a.dtype.kind != "i" for a in (offsets, documents, counts, lengths)):
        return "arrays of the wrong shape or type"
    if len(offsets) != len(vocabulary) + 1 or offsets[0] != 0 or offsets[-1] != len(documents) \
            or len(documents) != len(counts) or (np.diff(offsets) < 0).any():
        return "its offsets do not fit its postings"
    if len(documents) and (documents.min() < 0 or documents.max() >= len(lengths) or counts.min() < 1):
        return "postings out of range"
    if not np.array_equal(np.bincount(documents, weights=counts, minlength=len(lengths)), lengths):
        return "its document lengths do not add up"
    first_of_a_term = np.zeros(len(documents), dtype=bool)
    first_of_a_term[offsets[:-1][np.diff(offsets) > 0]] = True
    if (np.diff(documents)[~first_of_a_term[1:]] <= 0).any():  # each term's documents ascend
        return "a term's postings out of order"
    return None

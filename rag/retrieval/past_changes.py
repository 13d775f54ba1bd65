"""Past changes as evidence: commits whose message resembles a question point at the files they touched.

This is what a developer asks a colleague ("who touched this last time we had that bug?"). At index
time the kept commits of the history (graph/history.py) that touched a candidate file get a BM25
index over their messages; the question's title and opening prose (what the embedding reads,
ParsedQuery.head_tokens) find the most similar ones, and each gives its score, shared among the files
it touched, to those files. The signal is scaled so that its best file gets 1
and added as a boost (rag/retrieval/retriever.py: BOOSTS): a file that a close past change touched rises; a
question no past change resembles leaves the ranking as it was.

Measured on the dev sets with each query seeing only commits older than itself (bench/README.md: past changes),
this plain form (the top commits' scores split evenly among their files) did as well as or better than
weighing recent commits more, dividing by how often a file changes, or sharpening the scores; its
weight and number of commits are RetrievalSettings' w_history and history_commits. A whole issue report
matched every commit that shares a word with its examples, output and traceback; its head is what reads
like a commit message (2026-12-05: issue reports 66.2 -> 68.2 Acc@1, the commit sets unchanged).

    retrieval/past-changes.json     per commit: short hash, time, date, subject, candidate file indexes
    retrieval/sparse-past-changes/  the term counts of the commits' messages, for BM25
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from graph.history import History
from graph.errors import IndexStoreError
from rag.retrieval.sparse import Bm25, TermCounts
from rag.retrieval.tokenize import document_terms

META = "past-changes.json"
SPARSE = "sparse-past-changes"
SUBJECT_CHARS = 100


@dataclass(frozen=True)
class AsOf:
    """A point in time for a question about the past (`rag eval` on history): only commits older than
    `time` (seconds since the epoch), and never `commit` itself, count as evidence."""
    time: int
    commit: str = ""


@dataclass(frozen=True)
class PastChange:
    hash: str
    date: str
    subject: str
    score: float
    files: tuple[int, ...]

    def describe(self) -> str:
        subject = self.subject + ("…" if len(self.subject) >= SUBJECT_CHARS else "")  # stored cut at that length
        return f'similar past change: {self.hash[:7]} "{subject}" ({self.date[:10]})'


class PastChanges:
    def __init__(self, sparse: Bm25, meta: dict):
        self._sparse = sparse
        self.hashes: list[str] = meta["hashes"]
        self.dates: list[str] = meta["dates"]
        self.subjects: list[str] = meta["subjects"]
        self.files: list[list[int]] = meta["files"]
        self.times = np.asarray(meta["times"], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.hashes)

    @staticmethod
    def build(history: History, candidate_files: list[str]) -> tuple[TermCounts, dict]:
        """The index and table of the commits that touched a candidate file."""
        index = {f: i for i, f in enumerate(candidate_files)}
        rows = []
        for commit, paths in zip(history.commits, history.current_paths()):
            files = sorted({index[p] for p in paths if p in index})
            if files:
                rows.append((commit, files))
        sparse = TermCounts.build([document_terms(c["message"]) for c, _ in rows])
        meta = {"hashes": [c["hash"] for c, _ in rows], "times": [c["time"] for c, _ in rows],
                "dates": [c["date"] for c, _ in rows],
                "subjects": [c["message"].split("\n", 1)[0][:SUBJECT_CHARS] for c, _ in rows],
                "files": [files for _, files in rows]}
        return sparse, meta

    @classmethod
    def load(cls, directory: str, k1: float, b: float) -> PastChanges:
        """The past changes of a snapshot, their messages matched with BM25's `k1` and `b`; damage
        (bytes that do not parse, a table of the wrong shape) is an IndexStoreError naming the repair,
        never an internal error."""
        try:
            with open(os.path.join(directory, META), encoding="utf-8") as fh:
                meta = json.load(fh)
            past = cls(TermCounts.load(os.path.join(directory, SPARSE)).bm25(k1, b), meta)
            if not (len(past.dates) == len(past.subjects) == len(past.files) == len(past.times) == len(past)
                    == len(past._sparse.counts)):
                raise ValueError("its columns differ in length")
            return past
        except IndexStoreError:
            raise
        except Exception as e:
            raise IndexStoreError(f"the index's past changes in {directory} are damaged ({type(e).__name__}); "
                                  "`rag index` repairs it") from None

    def similar(self, tokens: list[str], k: int, as_of: AsOf | None = None) -> list[PastChange]:
        """The `k` commits whose messages match `tokens` best (score > 0), best first."""
        if not len(self) or not tokens:
            return []
        scores = self._sparse.scores(tokens).astype(np.float64)
        if as_of is not None:
            scores[self.times >= as_of.time] = 0.0
            if as_of.commit:
                scores[[i for i, h in enumerate(self.hashes) if h.startswith(as_of.commit)]] = 0.0
        top = np.argsort(-scores, kind="stable")[:k]
        return [PastChange(self.hashes[i], self.dates[i], self.subjects[i], float(scores[i]), tuple(self.files[i]))
                for i in top if scores[i] > 0]


def file_scores(changes: list[PastChange], n_files: int) -> np.ndarray:
    """Each file's share of the similar changes' scores, scaled so that the best file has 1."""
    out = np.zeros(n_files)
    for change in changes:
        out[list(change.files)] += change.score / len(change.files)
    return out / out.max() if out.any() else out

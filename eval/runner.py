"""Run every method over the same labeled queries in one process and collect the metrics."""
from __future__ import annotations

import hashlib
import resource
import time
from dataclasses import dataclass, field

from eval.dataset import LabeledQuery, gold_ids
from eval.methods import get_method
from eval.paired import PairedComparison, compare_ranks
from eval.metrics import accuracy_by_confidence, directory_of, percentile
from graph.build import ROOT
from rag.ranking_metrics import accuracy_at, dedupe, first_rank, mean_reciprocal_rank, strict_accuracy_at


@dataclass
class QueryResult:
    line: int
    id: str
    query: str
    gold: list[str]
    rank: int | None  # of the first gold module, 1-based; None: not in the returned list
    top: list[str]  # the first five returned
    ms: float
    confidence: float | None = None  # of the answer; None when the method abstained
    share: float | None = None  # retrieval's softmax share behind it (what bench/calibration.py fits)
    # the whole question's fingerprint (`query` is its first line, cut short): what `rag eval --compare`
    # pairs questions by when they have no id (reports often open alike: "### Bug report")
    query_sha: str = ""


def fingerprint(query: str) -> str:
    """A short, stable name of a question's whole text.

    >>> fingerprint("### Bug report: the cart forgets") != fingerprint("### Bug report: the total is wrong")
    True
    """
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:16]


@dataclass
class MethodResult:
    method: str
    level: str
    n: int
    accuracy: dict[int, float]  # lenient Acc@k
    strict: dict[int, float]  # strict Acc@k
    mrr: float
    p50_ms: float
    p95_ms: float
    peak_rss_mb: float  # of the whole process so far (it only grows): compare with care
    gold_not_in_candidates: int  # queries whose gold is nowhere in the returned list
    # how often the first answer was right per band of its confidence (abstentions left out)
    by_confidence: list[dict] = field(default_factory=list)
    queries: list[QueryResult] = field(default_factory=list)


@dataclass(frozen=True)
class MethodComparison:
    baseline: str  # the method named first
    method: str
    level: str
    paired: PairedComparison  # `method` against `baseline` on the same questions


@dataclass
class EvalReport:
    dataset: str
    repo: str
    ks: list[int]
    n: int
    missing_gold: list[str]  # gold modules that are not in the index (each scored as a miss)
    results: list[MethodResult]
    paired: list[MethodComparison] = field(default_factory=list)
    # gold files at the repository's top level, which no folder holds: misses at the folder level
    top_level_gold: list[str] = field(default_factory=list)
    # gold folders or named modules (module IDs no file ranking gives): misses at --level file
    folder_gold: list[str] = field(default_factory=list)
    # methods asked for at a level they do not rank (the LLM's at --level dir): "method (level)"
    left_out: list[str] = field(default_factory=list)


def against_first(results: list[MethodResult]) -> list[MethodComparison]:
    """Every method against the first one named (the baseline), at the same level, question by question."""
    out = []
    for level in dict.fromkeys(r.level for r in results):
        baseline, *others = [r for r in results if r.level == level]
        out += [MethodComparison(baseline.method, other.method, level,
                                 compare_ranks([q.rank for q in baseline.queries], [q.rank for q in other.queries]))
                for other in others]
    return out


def folder_golds(gold: list[str], modules: dict) -> list[str]:
    """A question's gold at the folder level: a file's folder; a folder or a named module (rag.toml)
    as it is (each was taken for a file at the top level, "./", and scored a miss)."""
    return sorted({g if g in modules and modules[g].kind in ("directory", "named") else directory_of(g) for g in gold})


def evaluate(engine, dataset_path: str, queries: list[LabeledQuery], methods: list[str], levels: list[str],
             ks: list[int], progress=None) -> EvalReport:
    known = set(engine.retriever.modules)
    files = {m for m in known if not m.endswith("/")}
    golds = [gold_ids(q, known, files) for q in queries]
    missing = sorted({g for gold in golds for g in gold if g not in known})
    depth = max(max(ks), 10)
    results = []
    pairs = [(name, level) for name in methods for level in levels if level in get_method(name).levels]
    total, done = len(pairs) * len(queries), 0
    for name in methods:
        method = get_method(name)
        for level in (level for level in levels if (name, level) in pairs):
            level_golds = golds if level == "file" else [folder_golds(gold, engine.retriever.modules) for gold in golds]
            rows, rankings = [], []
            for q, gold in zip(queries, level_golds):
                start = time.perf_counter()
                answer = method.rank(engine, q.query, depth, level, q.as_of)
                ms = (time.perf_counter() - start) * 1000
                ranked = dedupe(answer.modules)
                rankings.append(ranked)
                rows.append(QueryResult(q.line, q.id, q.query.splitlines()[0][:120], gold,
                                        first_rank(ranked, gold), ranked[:5], round(ms, 2), answer.confidence, answer.share,
                                        fingerprint(q.query)))
                done += 1
                if progress:
                    progress("eval", done, total)
            ranks = [r.rank for r in rows]
            times = [r.ms for r in rows]
            results.append(MethodResult(
                method=name, level=level, n=len(rows),
                accuracy={k: round(100 * accuracy_at(ranks, k), 1) for k in ks},
                strict={k: round(100 * strict_accuracy_at(rankings, level_golds, k), 1) for k in ks},
                mrr=round(mean_reciprocal_rank(ranks), 3),
                p50_ms=round(percentile(times, 50), 1), p95_ms=round(percentile(times, 95), 1),
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                gold_not_in_candidates=sum(1 for r in ranks if r is None),
                by_confidence=accuracy_by_confidence([r.confidence for r in rows], ranks),
                queries=rows))
    top_level = sorted({g for gold in golds for g in gold
                        if "dir" in levels and folder_golds([g], engine.retriever.modules) == [ROOT]})
    modules = engine.retriever.modules
    folders = sorted({g for gold in golds for g in gold if "file" in levels and g in known and modules[g].kind != "file"})
    left_out = [f"{name} ({level})" for name in methods for level in levels if (name, level) not in pairs]
    return EvalReport(dataset_path, engine.repo, ks, len(queries), missing, results, against_first(results), top_level,
                      folders, left_out)

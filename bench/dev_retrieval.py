"""Retrieval accuracy on the three dev sets, every method side by side (file level).

    python bench/dev_retrieval.py [--sources DIR] [--sets rich,scrapy,networkx] [--full] [--busy]

A hit is any gold file in the top k (strict@5: every gold file in the top 5). Prints Acc@1/3/5/10,
MRR and strict@5 per method and set, and the warm per-query latency (median, p95); `--busy` measures
while another process keeps one core busy.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "dev")
KS = (1, 3, 5, 10)


def score(rankings: list[list[str]], golds: list[list[str]]) -> dict:
    hits = {k: 0 for k in KS}
    rr = 0.0
    strict = sum(set(gold) <= set(ranked[:5]) for ranked, gold in zip(rankings, golds))
    for ranked, gold in zip(rankings, golds):
        pos = next((i for i, m in enumerate(ranked) if m in set(gold)), None)
        if pos is not None:
            rr += 1 / (pos + 1)
            for k in KS:
                hits[k] += pos < k
    n = len(golds)
    return {**{f"acc@{k}": round(100 * hits[k] / n, 1) for k in KS}, "mrr": round(rr / n, 3),
            "strict@5": round(100 * strict / n, 1), "n": n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources")))
    ap.add_argument("--sets", default="rich,scrapy,networkx")
    ap.add_argument("--methods", default="bm25,dense,hybrid")
    ap.add_argument("--full", action="store_true", help="rebuild the indexes first")
    ap.add_argument("--busy", action="store_true", help="time the queries while another process keeps a core busy")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    from busy import busy_core

    from graph.indexer import IndexOptions, index
    from rag.retrieval.index_files import RetrievalExtension
    from rag.engine import Engine

    results = {}
    for name in args.sets.split(","):
        repo = os.path.realpath(os.path.join(args.sources, name))
        if args.full:
            t = time.perf_counter()
            index(repo, IndexOptions(full=True), extensions=[RetrievalExtension()])
            print(f"{name}: indexed in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        engine = Engine.open(repo)
        rows = [json.loads(line) for line in open(os.path.join(DEV, f"{name}.jsonl"))]
        golds = [r["gold_files"] for r in rows]
        for method in args.methods.split(","):
            rankings, times = [], []
            engine.ask(rows[0]["query"], k=10, method=method)  # warm
            with busy_core(args.busy):
                for r in rows:
                    t = time.perf_counter()
                    res = engine.ask(r["query"], k=10, method=method)
                    times.append((time.perf_counter() - t) * 1000)
                    rankings.append([c.module for c in res.candidates])
            s = score(rankings, golds)
            s["p50_ms"] = round(statistics.median(times), 1)
            s["p95_ms"] = round(sorted(times)[int(0.95 * len(times)) - 1], 1)
            results[(name, method)] = s
            print(name, method, s, file=sys.stderr)
    print("| set | method | Acc@1 | Acc@3 | Acc@5 | Acc@10 | MRR | strict@5 | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (name, method), s in results.items():
        print(f"| {name} | {method} | {s['acc@1']} | {s['acc@3']} | {s['acc@5']} | {s['acc@10']} | {s['mrr']} "
              f"| {s['strict@5']} | {s['p50_ms']} | {s['p95_ms']} |")


if __name__ == "__main__":
    main()

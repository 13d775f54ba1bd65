"""`rag finetune --retriever` on the three dev sets: hybrid retrieval with the bundled embedder against
the tuned one, side by side, over a grid of dense weights (chosen on one set, checked on the others).

    python bench/retriever_tuning.py [--sources DIR] [--work DIR] [--sets rich,scrapy,networkx]
                                     [--weights 0.5,0.75,1,1.5] [--out FILE]

Per set: the sources are copied to --work/<set> (so the dev sources keep their own index), indexed
with the bundled embedder, and `rag finetune --retriever --force` is run there (timed; forced, so that
the dev figures show the tuned embedder even where the held-out check would have declined it — the
report says what the check decided). Then every dev query's signals are computed once per index and
fused with each dense weight. The sources have no git history: the dev labels never reach training.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
DEV = os.path.join(HERE, "dev")


def accuracy(engine, rows: list[dict], w_dense: float) -> dict:
    """Acc@1, Acc@5 and MRR of hybrid retrieval with this dense weight (file level, any gold file)."""
    import numpy as np

    from rag.retrieval.fusion import fuse

    retriever = engine.retriever
    s = replace(retriever.settings, w_dense=w_dense)
    weights = {"bm25": s.w_bm25, "chunk": s.w_chunk, "dense": s.w_dense, "prior": s.w_prior}
    ranks = []
    for row, (q, signals) in zip(rows, _signals(engine, rows)):
        scores = fuse(signals, weights)
        for f in q.mentioned_files:
            if f in retriever._file_index:
                scores[retriever._file_index[f]] += 100.0
        order = [retriever.files[i] for i in np.argsort(-scores, kind="stable")[:10]]
        gold = set(row["gold_files"])
        ranks.append(next((i + 1 for i, m in enumerate(order) if m in gold), None))
    n = len(rows)
    return {"acc@1": round(100 * sum(r == 1 for r in ranks) / n, 1),
            "acc@5": round(100 * sum(r is not None and r <= 5 for r in ranks) / n, 1),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 3)}


_CACHE: dict = {}


def _signals(engine, rows):
    key = (engine.store.dir, engine.store.manifest().snapshot)
    if key not in _CACHE:
        out = []
        for row in rows:
            q = engine.retriever.parse(row["query"])
            out.append((q, engine.retriever.signals(q)))
        _CACHE[key] = out
    return _CACHE[key]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources")))
    ap.add_argument("--work", default="/tmp/rag-retriever-bench")
    ap.add_argument("--sets", default="rich,scrapy,networkx")
    ap.add_argument("--weights", default="0.5,0.75,1,1.5")
    ap.add_argument("--out", default=None, help="also write the figures as JSON here")
    args = ap.parse_args()
    from rag.engine import Engine
    from rag.settings import RetrievalSettings

    rag = os.path.join(os.path.dirname(sys.executable), "rag")
    weights = [float(w) for w in args.weights.split(",")]
    results = {}
    for name in args.sets.split(","):
        work = os.path.join(args.work, name)
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(os.path.realpath(os.path.join(args.sources, name)), work, symlinks=True,
                        ignore=shutil.ignore_patterns(".rag"))
        base_dir = os.path.join(args.work, f"{name}-base-index")
        shutil.rmtree(base_dir, ignore_errors=True)
        subprocess.run([rag, "index", work, "--quiet", "--embedder", "all-MiniLM-L6-v2"], check=True)
        shutil.copytree(os.path.join(work, ".rag"), base_dir)  # the untuned index, for the comparison
        t = time.perf_counter()
        p = subprocess.run([rag, "finetune", work, "--retriever", "--force", "--quiet"], capture_output=True, text=True)
        seconds = round(time.perf_counter() - t, 1)
        if p.returncode != 0:
            raise SystemExit(p.stderr)
        with open(os.path.join(work, ".rag", "finetune", "retriever_report.json")) as fh:
            report = json.load(fh)
        rows = [json.loads(line) for line in open(os.path.join(DEV, f"{name}.jsonl"))]
        base = Engine.open(work, index_dir=base_dir, settings=RetrievalSettings(), quick_start=True)
        tuned = Engine.open(work, settings=RetrievalSettings(), quick_start=True)
        results[name] = {
            "finetune_seconds": seconds, "pairs": report["pairs"],
            "held_out": {k: {m: report[k][m] for m in ("acc1", "mrr", "queries")}
                         for k in ("dense_before", "dense_after", "fused_before", "fused_after")},
            "check_would_keep": report["accepted"],
            "by_weight": {str(w): {"base": accuracy(base, rows, w), "tuned": accuracy(tuned, rows, w)} for w in weights},
        }
        print(name, json.dumps(results[name]), file=sys.stderr, flush=True)
    print("| set | rag finetune --retriever | held-out dense MRR before → after | w_dense | hybrid Acc@1 base → tuned | "
          "Acc@5 base → tuned | MRR base → tuned |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        held = f"{r['held_out']['dense_before']['mrr']} → {r['held_out']['dense_after']['mrr']}"
        for w, d in r["by_weight"].items():
            b, t = d["base"], d["tuned"]
            print(f"| {name} | {r['finetune_seconds']} s, {r['pairs']} pairs | {held} | {w} | {b['acc@1']} → {t['acc@1']} "
                  f"| {b['acc@5']} → {t['acc@5']} | {b['mrr']} → {t['mrr']} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()

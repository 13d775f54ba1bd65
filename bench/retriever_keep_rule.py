"""What `rag finetune --retriever`'s keep rule says about embedders tuned earlier, and what it used to say.

    python bench/retriever_keep_rule.py TREE [TREE ...] [--out FILE]

Each TREE is a checkout whose index (TREE/.rag) holds an embedder tuned by `rag finetune --retriever`
(the time-split trees of bench/time_split.py and bench/history_elsewhere.py, tuned there). The tuned
embedder and the bundled one are each put in the index (finetune/pipeline.py: judge_embedder, as the
command does before deciding) and the fused ranking of the same held-out queries compared:
finetune/retriever.py: accept decides on them. What the rule decided before (dense retrieval alone, the
tuned model against its base) is read from the tuning's own report. The later effect on each split's
queries is measured by bench/time_split.py and bench/history_elsewhere.py (bench/LOG.md).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def judge_tree(tree: str) -> dict:
    from finetune.examples import DataSettings, split_of
    from finetune.pipeline import judge_embedder, training_queries
    from finetune.retriever import accept
    from rag.embedding.embedder import Embedder
    from rag.engine import Engine
    from rag.llm.adapters import DIR, AdapterStore
    from rag.settings import DEFAULT_EMBEDDER, RetrievalSettings

    index_dir = os.path.join(tree, ".rag")
    store = AdapterStore(index_dir)
    info = store.current_retriever()
    if info is None:
        raise SystemExit(f"{tree}: its index holds no tuned embedder (`rag finetune --retriever --force` makes one)")
    engine = Engine.open(tree, settings=RetrievalSettings(embedder=_built_with(index_dir)))
    data = DataSettings()
    files = set(engine.retriever.files)  # as `rag finetune --retriever` takes them (finetune/pipeline.py)
    validation = [q for q in training_queries(engine, data)
                  if q.module in files and (q.split or split_of(q.source, data)) == "validation"]
    bundled = judge_embedder(engine, Embedder(DEFAULT_EMBEDDER), validation)
    tuned = judge_embedder(engine, Embedder(os.path.join(index_dir, DIR, info.embedder)), validation)
    before, after = np.asarray(bundled.after.reciprocal_ranks), np.asarray(tuned.after.reciprocal_ranks)
    report = info.report or {}
    dense = (report.get("dense_before") or report.get("before"), report.get("dense_after") or report.get("after"))
    return {
        "tree": os.path.basename(os.path.normpath(tree)), "judged_on": tuned.judged_on, "queries": tuned.after.queries,
        "fused_bundled": {"acc1": bundled.after.acc1, "mrr": bundled.after.mrr},
        "fused_tuned": {"acc1": tuned.after.acc1, "mrr": tuned.after.mrr},
        "better": int(np.sum((after == 1) & (before < 1))), "worse": int(np.sum((before == 1) & (after < 1))),
        "keep": accept(bundled.after, tuned.after),
        "dense_mrr": [d["mrr"] for d in dense] if all(dense) else None,
    }


def _built_with(index_dir: str) -> str:
    from graph.store import IndexStore

    return IndexStore(index_dir).manifest().settings["extensions"]["retrieval"]["embedder"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args()
    rows = []
    print("| tree | held-out | fused Acc@1 bundled → tuned | MRR | better / worse | keep (fused rule) | "
          "held-out dense MRR (the earlier rule's measure) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for tree in args.trees:
        r = judge_tree(tree)
        rows.append(r)
        dense = f"{r['dense_mrr'][0]} → {r['dense_mrr'][1]}" if r["dense_mrr"] else "?"
        print(f"| {r['tree']} | {r['queries']} {r['judged_on']} | {r['fused_bundled']['acc1']} → {r['fused_tuned']['acc1']} "
              f"| {r['fused_bundled']['mrr']} → {r['fused_tuned']['mrr']} | {r['better']} / {r['worse']} "
              f"| {'yes' if r['keep'] else 'no'} | {dense} |", flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()

"""Re-rank kept issue-report signals under other weights of one signal, without re-asking anything.

    python bench/reweigh_signals.py --signal dense --weights 0,0.75,1.5,3 LABEL=FILE[,FILE...] [LABEL=FILE ...]

Each pickle is what `bench/issue_reports.py --signals FILE` wrote: per report, the files, the gold
files and every hybrid signal as `Retriever.file_scores` computed it (a run's reports may come in
several files, one per repository). The scores are fused again as
hybrid fuses them (`rag.retrieval.fusion.fuse`: signals standardised, boosts as they are) with the
shipped weights except the one swept, and Acc@1 / @5 / MRR are printed per repository and overall,
for each pickle on the reports all of them share, and last with that signal alone: e.g. the same reports indexed with the bundled and
with a tuned embedder, each at its best dense weight.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def first_gold_rank(scores: np.ndarray, files: list[str], gold: list[str]) -> int | None:
    order = np.argsort(-scores, kind="stable")[:10]
    for rank, i in enumerate(order, 1):
        if files[i] in gold:
            return rank
    return None


def summary(ranks: list[int | None]) -> str:
    n = len(ranks)
    acc = lambda k: 100 * sum(1 for r in ranks if r and r <= k) / n  # noqa: E731
    return f"{acc(1):.1f} / {acc(5):.1f} / {sum(1 / r for r in ranks if r) / n:.3f}"


def main() -> None:
    from rag.retrieval.fusion import fuse
    from rag.retrieval.retriever import BOOSTS
    from rag.settings import RetrievalSettings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--signal", default="dense", help="the signal whose weight is swept (a RetrievalSettings weight)")
    ap.add_argument("--weights", default="0,0.375,0.75,1.5,3")
    ap.add_argument("pickles", nargs="+", metavar="LABEL=FILE")
    args = ap.parse_args()
    runs = {label: {i: row for path in paths.split(",") for i, row in pickle.load(open(path, "rb")).items()}
            for label, paths in (p.split("=", 1) for p in args.pickles)}
    shared = sorted(set.intersection(*(set(r) for r in runs.values())))
    repos = sorted({next(iter(runs.values()))[i]["repo"] for i in shared})
    shipped = RetrievalSettings().weights()
    print(f"| {args.signal} weight | run | " + " | ".join(f"{r} ({sum(next(iter(runs.values()))[i]['repo'] == r for i in shared)})"
                                                       for r in repos) + f" | all ({len(shared)}) |")
    print("| --- | --- |" + " --- |" * (len(repos) + 1))
    for w in (float(x) for x in args.weights.split(",")):
        weights = shipped | {args.signal: w}
        for label, rows in runs.items():
            ranks = {i: first_gold_rank(fuse(rows[i]["signals"], weights, unscaled=BOOSTS), rows[i]["files"], rows[i]["gold"])
                     for i in shared}
            cells = [summary([ranks[i] for i in shared if rows[i]["repo"] == r]) for r in repos]
            print(f"| {w:g}{' (shipped)' if w == shipped[args.signal] else ''} | {label} | " + " | ".join(cells)
                  + f" | {summary(list(ranks.values()))} |")
    for label, rows in runs.items():  # the swept signal as the only evidence
        ranks = {i: first_gold_rank(np.asarray(rows[i]["signals"][args.signal]), rows[i]["files"], rows[i]["gold"])
                 for i in shared}
        cells = [summary([ranks[i] for i in shared if rows[i]["repo"] == r]) for r in repos]
        print(f"| {args.signal} alone | {label} | " + " | ".join(cells) + f" | {summary(list(ranks.values()))} |")


if __name__ == "__main__":
    main()

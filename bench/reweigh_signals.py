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

from rag.ranking_metrics import accuracy_at, first_rank, mean_reciprocal_rank  # noqa: E402


def ranks_under(rows: dict, ids: list[str], score) -> dict[str, int | None]:
    """Rank of the first gold file within the top 10 of each report, its files ordered by `score(row)`."""
    return {i: first_rank([rows[i]["files"][j] for j in np.argsort(-score(rows[i]), kind="stable")[:10]], rows[i]["gold"])
            for i in ids}


def summary(ranks: list[int | None]) -> str:
    return f"{100 * accuracy_at(ranks, 1):.1f} / {100 * accuracy_at(ranks, 5):.1f} / {mean_reciprocal_rank(ranks):.3f}"


def row(first: str, label: str, ranks: dict[str, int | None], repo_of: dict[str, str], repos: list[str]) -> str:
    cells = [summary([r for i, r in ranks.items() if repo_of[i] == repo]) for repo in repos]
    return f"| {first} | {label} | " + " | ".join(cells) + f" | {summary(list(ranks.values()))} |"


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
    repo_of = {i: next(iter(runs.values()))[i]["repo"] for i in shared}
    repos = sorted(set(repo_of.values()))
    shipped = RetrievalSettings().weights()
    print(f"| {args.signal} weight | run | " + " | ".join(f"{r} ({list(repo_of.values()).count(r)})" for r in repos)
          + f" | all ({len(shared)}) |")
    print("| --- | --- |" + " --- |" * (len(repos) + 1))
    for w in (float(x) for x in args.weights.split(",")):
        weights = shipped | {args.signal: w}
        for label, rows in runs.items():
            ranks = ranks_under(rows, shared, lambda r: fuse(r["signals"], weights, unscaled=BOOSTS))
            print(row(f"{w:g}{' (shipped)' if w == shipped[args.signal] else ''}", label, ranks, repo_of, repos))
    for label, rows in runs.items():  # the swept signal as the only evidence
        ranks = ranks_under(rows, shared, lambda r: np.asarray(r["signals"][args.signal]))
        print(row(f"{args.signal} alone", label, ranks, repo_of, repos))

if __name__ == "__main__":
    main()

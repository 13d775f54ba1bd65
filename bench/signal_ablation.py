"""Each hybrid signal taken out in turn, on kept issue-report signals: what every lever is worth, per set.

    python bench/signal_ablation.py LABEL=FILE[,FILE...] [LABEL=FILE ...] > results/issues_heldout/ablation.md

Each pickle is what `bench/issue_reports.py --signals FILE` wrote. Unlike `bench/reweigh_signals.py`,
which compares runs on the reports they share, each LABEL here is its own set of reports (the 154
astropy/sympy reports, the 57 of seven other repositories): a row is the shipped weights with one
signal set to 0, re-fused as hybrid fuses them, and Acc@1 / @5 / MRR per set.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from reweigh_signals import ranks_under, summary  # noqa: E402


def main() -> None:
    from rag.retrieval.fusion import fuse
    from rag.retrieval.retriever import BOOSTS
    from rag.settings import RetrievalSettings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pickles", nargs="+", metavar="LABEL=FILE")
    args = ap.parse_args()
    sets = {label: {i: row for path in paths.split(",") for i, row in pickle.load(open(path, "rb")).items()}
            for label, paths in (p.split("=", 1) for p in args.pickles)}
    shipped = RetrievalSettings().weights()

    def cells(weights: dict[str, float]) -> str:
        return " | ".join(summary(list(ranks_under(rows, list(rows), lambda r: fuse(r["signals"], weights, unscaled=BOOSTS)).values()))
                          for rows in sets.values())

    print("| without | " + " | ".join(f"{label} ({len(rows)})" for label, rows in sets.items()) + " |")
    print("| --- |" + " --- |" * len(sets))
    print(f"| (nothing: the shipped weights) | {cells(shipped)} |")
    for signal, weight in shipped.items():
        if weight:  # a signal of weight 0 is not part of hybrid today
            print(f"| {signal} ({weight:g}) | {cells(shipped | {signal: 0.0})} |")


if __name__ == "__main__":
    main()

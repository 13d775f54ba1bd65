"""How hybrid puts its signals on one scale, measured: z-scores over every file (shipped) against others.

    python bench/normalisation.py signals.pkl [--pool 50,100,200] [--out FILE]

`signals.pkl` is what `bench/fusion_fit.py collect` wrote (every query of every set, every signal).
Hybrid standardises each scored signal over all candidate files before weighting it. In a big
repository most files score 0 on BM25, so the mean and the spread come from the long tail of
misses, and a file with a middling score can get a large z. The variants here rescale each scored
signal otherwise, with the shipped weights and the sparse boosts as they are, and print Acc@1 / @5 /
MRR per set (the issue reports also per repository):

- `z`: the shipped z-score over all files (the check: must reproduce hybrid's ranks);
- `z@N`: mean and spread from the signal's own top N files only (below them the values are clipped to
  the N-th file's, so the tail cannot outscore the pool);
- `max`: divided by the best file's value (0 for the worst), a range any query shares;
- `rrf`: 1 / (60 + rank) under that signal, scaled to z's typical size (what fusion by rank does).
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rag.ranking_metrics import accuracy_at, first_rank, mean_reciprocal_rank  # noqa: E402
from rag.retrieval.fusion import fuse, standardise  # noqa: E402
from rag.retrieval.retriever import BOOSTS  # noqa: E402
from rag.settings import RetrievalSettings  # noqa: E402


def z_over_top(values: np.ndarray, n: int) -> np.ndarray:
    """z-scores whose mean and spread come from the `n` best files; the rest clipped to the n-th value."""
    values = np.asarray(values, dtype=np.float64)
    if values.size <= n:
        return standardise(values)
    floor = np.partition(values, -n)[-n]
    top = values[values >= floor]
    sd = top.std()
    return np.zeros_like(values) if sd == 0 else (np.maximum(values, floor) - top.mean()) / sd


def by_max(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    low, high = values.min(), values.max()
    return np.zeros_like(values) if high == low else (values - low) / (high - low) * 3.0


def by_rank(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-np.asarray(values), kind="stable")
    rrf = np.empty(len(values))
    rrf[order] = 1.0 / (60 + np.arange(1, len(values) + 1))
    return rrf * 60 * 3.0  # the best file 3 (like a z-score's best), falling off with rank


def normalisers(pools: list[int]) -> dict:
    out = {"z": standardise}
    out |= {f"z@{n}": (lambda n: lambda v: z_over_top(v, n))(n) for n in pools}
    return out | {"max": by_max, "rrf": by_rank}


def fused(signals: dict, weights: dict, normalise) -> np.ndarray:
    """hybrid's fusion (rag.retrieval.fusion.fuse) with `normalise` in the place of its z-score."""
    scaled = {name: values if name in BOOSTS else normalise(values) for name, values in signals.items()
              if weights.get(name)}
    return fuse(scaled, weights, unscaled=frozenset(scaled))


def summary(ranks: list[int | None]) -> str:
    return f"{100 * accuracy_at(ranks, 1):.1f} / {100 * accuracy_at(ranks, 5):.1f} / {mean_reciprocal_rank(ranks):.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("signals")
    ap.add_argument("--pool", default="50,100,200", help="pool sizes N for the z@N variants")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    rows = pickle.load(open(args.signals, "rb"))
    weights = RetrievalSettings().weights()
    slices = {}
    for r in rows:
        slices.setdefault(r["set"], []).append(r["id"])
        if r["set"] == "issues":
            slices.setdefault(f"issues: {r['repo']}", []).append(r["id"])
    variants = normalisers([int(n) for n in args.pool.split(",")])
    lines = ["| normalisation | " + " | ".join(f"{s} ({len(ids)})" for s, ids in slices.items()) + " |",
             "| --- |" + " --- |" * len(slices)]
    for label, normalise in variants.items():
        ranks = {}
        for r in rows:
            scores = fused(r["signals"], weights, normalise)
            top = [r["files"][j] for j in np.argsort(-scores, kind="stable")[:10]]
            ranks[r["id"]] = first_rank(top, r["gold"])
        lines.append(f"| {label} | " + " | ".join(summary([ranks[i] for i in ids]) for ids in slices.values()) + " |")
        print(lines[-1], flush=True)
    text = "Acc@1 / Acc@5 / MRR, shipped weights (`python bench/normalisation.py SIGNALS`)\n\n" + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

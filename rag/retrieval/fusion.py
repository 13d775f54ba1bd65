"""Fusing retrieval signals into one ranking: standardise each signal, then weight and add."""
from __future__ import annotations

import numpy as np


def standardise(scores: np.ndarray) -> np.ndarray:
    """z-scores over the candidates; a flat signal (no information) becomes all zeros."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0 or (sd := scores.std()) == 0:  # (no std of nothing: NumPy would warn)
        return np.zeros_like(scores)
    return (scores - scores.mean()) / sd


def fuse(signals: dict[str, np.ndarray], weights: dict[str, float], unscaled: frozenset[str] = frozenset()) -> np.ndarray:
    """Weighted sum of standardised signals (those named in `unscaled` are taken as they are);
    signals with weight 0 are ignored."""
    total = None
    for name, weight in weights.items():
        if weight and name in signals:
            values = signals[name]
            part = weight * (np.asarray(values, dtype=np.float64) if name in unscaled else standardise(values))
            total = part if total is None else total + part
    if total is None:
        raise ValueError("no signal with a non-zero weight")
    return total


def best_per_group(values: np.ndarray, groups: np.ndarray, n_groups: int, fill: float) -> np.ndarray:
    """Max of `values` within each group (e.g. the best definition of each file), at least `fill`."""
    out = np.full(n_groups, fill, dtype=np.float64)
    if not len(values):
        return out
    groups = np.asarray(groups)
    if np.all(groups[1:] >= groups[:-1]):  # a file's definitions lie together: one pass per run (~10x np.maximum.at)
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        out[groups[starts]] = np.maximum(np.maximum.reduceat(np.asarray(values, dtype=np.float64), starts), fill)
    else:
        np.maximum.at(out, groups, values)
    return out


def softmax_top(scores: np.ndarray) -> np.ndarray:
    e = np.exp(scores - scores.max()) if scores.size else scores
    return e / e.sum() if scores.size else e

"""Is one method really better than another on the same questions? A paired comparison.

Two methods asked the same questions differ on few of them: most questions both answer right, or both
miss. Whether a difference of a few points is more than chance depends on those few, not on the
accuracies alone, so every figure here is paired, question by question:

- `wins` / `losses`: questions the candidate answers right at rank 1 and the baseline does not, and the
  reverse. Only these move Acc@1.
- `p_value`: the exact McNemar test (rag/ranking_metrics.py: `mcnemar_p`) on those questions: how often
  a coin deciding each of them would split them at least this unevenly.
- `acc1_interval`, `mrr_interval`: 95% paired bootstrap intervals of the differences (resampling
  questions, each with both methods' answers), in Acc@1 points and in MRR.

Ten questions: the candidate wins three, loses one, and moves one from rank 3 to rank 2:

>>> base = [1, 1, 1, 1, None, 2, 3, 1, None, 1]
>>> cand = [1, 1, 1, 2, 1, 1, 2, 1, 1, 1]
>>> c = compare_ranks(base, cand)
>>> c.wins, c.losses, c.acc1_delta, round(c.mrr_delta, 3)
(3, 1, 20.0, 0.217)
>>> c.describe()
'60.0 → 80.0: +20.0 points [...], 3 better / 1 worse, p = 0.625'
>>> round(c.p_value, 3)  # 3 to 1 is no evidence: a fair coin splits four that way 5 times in 8
0.625
>>> c.acc1_interval[0] < 0 < c.acc1_interval[1]
True

The same difference, ten times as often, is not chance:

>>> c = compare_ranks(base * 10, cand * 10)
>>> c.wins, c.losses, c.p_value < 0.01, c.acc1_interval[0] > 0
(30, 10, True, True)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.ranking_metrics import accuracy_at, first_place_changes, mcnemar_p, mean_reciprocal_rank

RESAMPLES = 10_000  # bootstrap resamples: the interval's ends move by about 0.1 point between seeds
BOOTSTRAP_CELLS = 2_000_000  # resampled positions drawn at once (16 MB)


@dataclass(frozen=True)
class PairedComparison:
    """A candidate method against a baseline on the same n questions (see the module's docstring)."""
    n: int
    baseline_acc1: float  # Acc@1 %, of the n questions
    candidate_acc1: float
    wins: int
    losses: int
    acc1_delta: float  # candidate − baseline, Acc@1 points
    acc1_interval: tuple[float, float]  # 95% paired bootstrap, points
    mrr_delta: float
    mrr_interval: tuple[float, float]
    p_value: float  # exact McNemar test on the questions only one of them answers right at rank 1

    @property
    def significant(self) -> bool:
        """At the usual 5% level: the split of wins and losses is unlikely to be chance."""
        return self.p_value < 0.05

    def describe(self) -> str:
        """One line for people: `66.0 → 71.0: +5.0 points [+1.5, +8.5], 14 better / 4 worse, p = 0.031`."""
        low, high = self.acc1_interval
        return (f"{self.baseline_acc1:.1f} → {self.candidate_acc1:.1f}: {self.acc1_delta:+.1f} points "
                f"[{low:+.1f}, {high:+.1f}], {self.wins} better / {self.losses} worse, p = {self.p_value:.3g}")

    def describe_mrr(self) -> str:
        """The MRR difference and its interval: `+0.016 [+0.009, +0.023]`."""
        low, high = self.mrr_interval
        return f"{self.mrr_delta:+.3f} [{low:+.3f}, {high:+.3f}]"


def compare_ranks(baseline: list[int | None], candidate: list[int | None], resamples: int = RESAMPLES,
                  seed: int = 0) -> PairedComparison:
    """Compare two methods' ranks of the first gold module (1-based, None: not found), question by question.

    Both lists must be in the same question order. The bootstrap is seeded, so the same ranks always
    give the same intervals.
    """
    base_first, cand_first = [r == 1 for r in baseline], [r == 1 for r in candidate]
    wins, losses = first_place_changes(base_first, cand_first)  # checks that both answered the same questions
    if not baseline:
        raise ValueError("no questions to compare")
    base_hit, cand_hit = np.array(base_first, dtype=float), np.array(cand_first, dtype=float)
    base_rr = np.array([1 / r if r else 0.0 for r in baseline])
    cand_rr = np.array([1 / r if r else 0.0 for r in candidate])
    n = len(baseline)
    hit_deltas, rr_deltas = _bootstrap_means([100 * (cand_hit - base_hit), cand_rr - base_rr], resamples, seed)
    base_acc1, cand_acc1 = round(100 * accuracy_at(baseline, 1), 1), round(100 * accuracy_at(candidate, 1), 1)
    return PairedComparison(
        n=n, baseline_acc1=base_acc1, candidate_acc1=cand_acc1, wins=wins, losses=losses,
        acc1_delta=round(cand_acc1 - base_acc1, 1),
        acc1_interval=_interval(hit_deltas, 1),
        mrr_delta=round(mean_reciprocal_rank(candidate) - mean_reciprocal_rank(baseline), 4),
        mrr_interval=_interval(rr_deltas, 4),
        p_value=mcnemar_p(wins, losses))


def _bootstrap_means(values: list[np.ndarray], resamples: int, seed: int) -> list[np.ndarray]:
    """Each array's mean over `resamples` resamples of its positions (the same resamples for all of
    them: they are paired), drawn in chunks so that a labeled set of many thousand questions needs no
    more memory than one of a few hundred."""
    n = len(values[0])
    rng = np.random.default_rng(seed)
    chunk = max(1, BOOTSTRAP_CELLS // n)
    means = [[] for _ in values]
    for start in range(0, resamples, chunk):
        picks = rng.integers(0, n, size=(min(chunk, resamples - start), n))
        for out, v in zip(means, values):
            out.append(v[picks].mean(axis=1))
    return [np.concatenate(m) for m in means]


def _interval(deltas: np.ndarray, digits: int) -> tuple[float, float]:
    low, high = np.percentile(deltas, [2.5, 97.5])
    return round(float(low), digits), round(float(high), digits)

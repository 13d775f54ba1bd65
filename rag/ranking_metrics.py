"""How good a ranking is, and whether one ranking of the same questions beats another: small pure
functions, the one definition that `rag eval` reports and `rag finetune` judges a tuned model by.

`rank` is the 1-based position of the first gold module in a ranking, or None when none is there.
Lenient Acc@k: any gold in the top k. Strict Acc@k: every gold in the top k. MRR: mean of 1/rank
(0 for a miss). Duplicates in a ranking count once, at their first position.

Three questions: the first answered right at once, the second on the third try, the third not at all:

>>> rankings = [["cart.py", "shop.py"], ["shop.py", "shop.py", "pay.py", "cart.py"], ["pay.py"]]
>>> golds = [["cart.py"], ["cart.py"], ["tax.py"]]
>>> ranks = [first_rank(r, g) for r, g in zip(rankings, golds)]
>>> ranks  # the duplicate shop.py counts once
[1, 3, None]
>>> accuracy_at(ranks, 1), round(accuracy_at(ranks, 3), 3)
(0.333..., 0.667)
>>> round(mean_reciprocal_rank(ranks), 3)  # (1 + 1/3 + 0) / 3
0.444

Strict accuracy asks for every gold module of a question:

>>> strict_accuracy_at([["a.py", "b.py", "c.py"]], [["a.py", "c.py"]], 2)
0.0
>>> strict_accuracy_at([["a.py", "b.py", "c.py"]], [["a.py", "c.py"]], 3)
1.0

Two rankings of the same questions differ only where one answers first and the other does not; whether
such a split is more than chance is McNemar's exact test on those questions alone:

>>> first_place_changes([r == 1 for r in [1, 2, 3, 1]], [r == 1 for r in [1, 1, 1, 2]])
(2, 1)
>>> round(mcnemar_p(9, 1), 4), mcnemar_p(1, 0), mcnemar_p(0, 0)
(0.0215, 1.0, 1.0)
>>> clearly_better(9, 1), clearly_better(3, 0), clearly_better(1, 9)
(True, False, False)
"""
from __future__ import annotations

from collections.abc import Sequence


def dedupe(ranked: list[str]) -> list[str]:
    return list(dict.fromkeys(ranked))


def first_rank(ranked: list[str], gold: list[str]) -> int | None:
    golds = set(gold)
    for i, module in enumerate(dedupe(ranked), 1):
        if module in golds:
            return i
    return None


def all_within(ranked: list[str], gold: list[str], k: int) -> bool:
    return bool(gold) and set(gold) <= set(dedupe(ranked)[:k])


def accuracy_at(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def strict_accuracy_at(rankings: list[list[str]], golds: list[list[str]], k: int) -> float:
    return sum(all_within(r, g, k) for r, g in zip(rankings, golds)) / len(golds) if golds else 0.0


def mean_reciprocal_rank(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r is not None) / len(ranks) if ranks else 0.0


def first_place_changes(baseline_first: Sequence[bool], candidate_first: Sequence[bool]) -> tuple[int, int]:
    """(questions the candidate answers first and the baseline does not, and the reverse): whether each
    ranking put a gold module first, for the same questions in the same order. Only these move Acc@1."""
    if len(baseline_first) != len(candidate_first):
        raise ValueError(f"the two rankings answered different numbers of questions ({len(baseline_first)} and "
                         f"{len(candidate_first)}); a paired comparison needs the same questions")
    pairs = list(zip(baseline_first, candidate_first))
    return sum(1 for b, c in pairs if c and not b), sum(1 for b, c in pairs if b and not c)


def mcnemar_p(wins: int, losses: int) -> float:
    """The two-sided exact McNemar p-value: a binomial test of `wins` against `wins + losses` at one
    half, how often a coin deciding each of those questions would split them at least this unevenly;
    1 when none differ."""
    from scipy.stats import binomtest

    return float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0


def clearly_better(wins: int, losses: int, level: float = 0.05) -> bool:
    """More questions won than lost, beyond chance at `level`."""
    return wins > losses and mcnemar_p(wins, losses) < level

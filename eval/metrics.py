"""Ranking metrics, as small pure functions.

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
"""
from __future__ import annotations

import math
import posixpath
from itertools import pairwise


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


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list: always one of the values.

    >>> percentile([12.0, 40.0, 15.0, 11.0], 50)
    12.0
    >>> percentile([12.0, 40.0, 15.0, 11.0], 95)
    40.0
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def directory_of(module_id: str) -> str:
    """The directory level of a gold file: its parent directory's module ID.

    >>> directory_of("scrapy/http/request/form.py"), directory_of("setup.py"), directory_of("rich/")
    ('scrapy/http/request/', './', 'rich/')
    """
    if module_id.endswith("/"):
        return module_id
    parent = posixpath.dirname(module_id)
    return parent + "/" if parent else "./"


def accuracy_by_confidence(confidences: list[float | None], ranks: list[int | None],
                           edges: tuple[float, ...] = (0.5, 0.8)) -> list[dict]:
    """How often the answer was right, per band of the confidence `rag ask` gave it: Acc@1 and Acc@3 (%)
    of the questions whose confidence lies in each band [low, high), the last band closed at 1. A
    question without an answer (confidence None: the model abstained) is in no band.

    A hybrid answer's confidence at file level is meant as the chance that it is right
    (rag/retrieval/confidence.py): here a user sees whether it kept that promise on questions with known
    answers. Other methods' and levels' confidence is retrieval's softmax share, which orders answers
    but is no probability.

    >>> bands = accuracy_by_confidence([0.99, 0.87, 0.6, 0.3], [1, 2, 3, None])
    >>> [(b["band"], b["n"], b["acc@1"], b["acc@3"]) for b in bands]
    [('[0, 0.5)', 1, 0.0, 0.0), ('[0.5, 0.8)', 1, 0.0, 100.0), ('[0.8, 1]', 2, 50.0, 100.0)]
    >>> [b["n"] for b in accuracy_by_confidence([None, 0.99], [1, 1])]
    [0, 0, 1]
    """
    bounds = (0.0, *edges, math.inf)
    out = []
    for low, high in pairwise(bounds):
        inside = [r for c, r in zip(confidences, ranks) if c is not None and low <= c < high]
        name = f"[{low:g}, {high:g})" if high != math.inf else f"[{low:g}, 1]"
        out.append({"band": name, "n": len(inside),
                    "acc@1": round(100 * accuracy_at(inside, 1), 1) if inside else None,
                    "acc@3": round(100 * accuracy_at(inside, 3), 1) if inside else None})
    return out

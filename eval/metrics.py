"""What `rag eval` reports beside the ranking metrics (rag/ranking_metrics.py): latency percentiles,
the directory level of a gold file, and how often answers of each confidence were right."""
from __future__ import annotations

import math
import posixpath
from itertools import pairwise

from rag.ranking_metrics import accuracy_at


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

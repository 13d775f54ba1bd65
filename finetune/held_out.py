"""How a ranking does on held-out queries, and how two rankings of the same queries differ.

What `rag finetune` judges a tuned model by: the embedder (`--retriever`) by the fused ranking with
its vectors in the index, the LLM adapter by `rag ask --llm` against `rag ask`, each on the held-out
commits (the newest ones, asked as at their commit).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class HeldOutScore:
    """Acc@1 and MRR over held-out queries, and each query's reciprocal rank (0: not ranked)."""
    acc1: float
    mrr: float
    queries: int
    reciprocal_ranks: list[float] = field(default_factory=list, repr=False)  # per query, in order

    @classmethod
    def of_ranks(cls, ranks: list[int | None]) -> HeldOutScore:
        """From the gold's rank per query (1 = first; None = not among those ranked)."""
        if not ranks:
            return cls(0.0, 0.0, 0)
        rr = [0.0 if r is None else 1 / r for r in ranks]
        return cls(round(100 * float(np.mean([r == 1 for r in ranks])), 2), round(float(np.mean(rr)), 4),
                   len(ranks), [round(x, 4) for x in rr])


def fused_score(retriever, queries) -> HeldOutScore:
    """The fused (hybrid) ranking, as `rag ask` answers: the gold's rank for each query (`text`,
    `module`, `as_of`: history only from before the query)."""
    position = {f: i for i, f in enumerate(retriever.files)}
    ranks = []
    for q in queries:
        scores, _ = retriever.file_scores(retriever.parse(q.text), as_of=q.as_of)
        order = np.argsort(-scores, kind="stable")  # as Retriever.search breaks ties
        ranks.append(1 + int(np.flatnonzero(order == position[q.module])[0]))
    return HeldOutScore.of_ranks(ranks)


def first_changes(before: HeldOutScore, after: HeldOutScore) -> tuple[int, int]:
    """(queries `after` answers first that `before` did not, and the reverse): the same queries, in the
    same order, ranked both ways.

    >>> first_changes(HeldOutScore.of_ranks([1, 2, 3, 1]), HeldOutScore.of_ranks([1, 1, 1, 2]))
    (2, 1)
    """
    was_first = np.asarray(before.reciprocal_ranks) == 1.0
    is_first = np.asarray(after.reciprocal_ranks) == 1.0
    return int(np.sum(is_first & ~was_first)), int(np.sum(was_first & ~is_first))


def sign_test(better: int, worse: int) -> float:
    """The two-sided exact p-value of `better` against `worse` (McNemar's exact test on the queries
    one ranking answers first and the other not, as eval/paired.py computes it); 1 when none differ.

    >>> round(sign_test(9, 1), 4), sign_test(1, 0), sign_test(0, 0)
    (0.0215, 1.0, 1.0)
    """
    from scipy.stats import binomtest

    return float(binomtest(better, better + worse, 0.5).pvalue) if better + worse else 1.0


def clearly_better(better: int, worse: int, level: float = 0.05) -> bool:
    """More queries won than lost, beyond chance at `level`."""
    return better > worse and sign_test(better, worse) < level


def rank_of(modules: list[str], gold: str) -> int | None:
    """The gold's 1-based position in a ranked list of module IDs, None when it is not there."""
    return modules.index(gold) + 1 if gold in modules else None

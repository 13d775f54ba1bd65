"""How a ranking does on held-out queries, and how two rankings of the same queries differ.

What `rag finetune` judges a tuned model by: the embedder (`--retriever`) by the fused ranking with
its vectors in the index, the LLM adapter by `rag ask --llm` against `rag ask`, each on the held-out
commits (the newest ones, asked as at their commit).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rag.ranking_metrics import accuracy_at, first_place_changes, mean_reciprocal_rank


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
        rr = [0.0 if r is None else round(1 / r, 4) for r in ranks]
        return cls(round(100 * accuracy_at(ranks, 1), 2), round(mean_reciprocal_rank(ranks), 4), len(ranks), rr)


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
    return first_place_changes([rr == 1.0 for rr in before.reciprocal_ranks],
                               [rr == 1.0 for rr in after.reciprocal_ranks])

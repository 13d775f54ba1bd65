"""`rag finetune --retriever`: tune the sentence embedder on (query, module) pairs.

The pairs are the same generated queries the LLM trains on, each matched to the text the dense index
embeds for its module (`path: summary`). The loss is sentence-transformers' MultipleNegativesRankingLoss:
every other module in the batch is a negative (in-batch negatives), and so, when given, is a hard
negative per query (the retriever's best wrong answer). Batches never hold two queries about one
module, which would make a right answer count as a wrong one.

The loop is a plain torch loop around the library's model and loss: sentence-transformers' own
trainer needs the `datasets` package (pyarrow and friends, ~100 MB) for what is here twenty lines.

Whether to keep it is judged by what `rag ask` answers with: the fused (hybrid) ranking, with the
index's dense vectors as the tuned model embeds them, against the index as it stands, on the held-out
commits (the newest ones, history only from before each: the real questions nearest to those to come;
the held-out generated queries when the repository has no history). It is kept when it puts the changed
file first for more of them than it stops doing so, and ranks them no worse on average (MRR); a tie
keeps the index as it is. Dense retrieval alone (the tuning's own objective) improved on all ten
repositories measured, while later commits' fused answers got worse on four and better on four; this
rule agreed in sign with that later effect on five of those eight, the dense one on four (bench/LOG.md).
The held-out commits are few, so the rule mostly keeps nothing without evidence rather than predicting
well. `--force` keeps it regardless.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from finetune.held_out import HeldOutScore, first_changes
from finetune.settings import RetrieverSettings

# The base embedder is loaded for training with its attention dropout off. With dropout, PyTorch's fused
# attention (scaled_dot_product_attention) falls back to the plain one, which keeps every layer's
# batch x heads x tokens^2 attention weights and dropout mask for the backward pass: `rag finetune
# --retriever` peaked at 11 GB on sympy. Without it, on astropy with a 4-minute budget, the peak fell
# from 9.3 to 5.2 GB and 33 steps ran instead of 23, for a held-out score as good or better (bench/LOG.md);
# the other dropouts still regularise.
TRAINING_CONFIG = {"attention_probs_dropout_prob": 0.0}


@dataclass(frozen=True)
class Pair:
    query: str
    module: str  # the gold module
    negative: str | None = None  # a module the retriever ranks above the gold, or near it


@dataclass
class RetrieverReport:
    pairs: int
    steps: int
    seconds: float
    dense_before: HeldOutScore  # dense retrieval alone (what the tuning optimises), the base embedder
    dense_after: HeldOutScore
    fused_before: HeldOutScore  # the fused ranking `rag ask` answers with, the index as it stands
    fused_after: HeldOutScore  # ... with the tuned embedder in it
    judged_on: str  # "commits" or "generated queries": which held-out queries the fused scores are of
    accepted: bool  # the fused ranking with it answers more of them first, and no worse on average (accept())
    kept: bool  # it is now the index's embedder (accepted, or kept by request)
    settings: dict

    def to_dict(self) -> dict:
        return asdict(self)


def batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches in which no module appears twice (as gold or as hard negative): the loss
    takes every other row of a batch for a wrong answer, so a repeated module would teach that the
    right answer is wrong. Modules with the most pairs left go first, so batches stay full until the
    end; a batch of one (nothing to contrast with) is dropped."""
    queues: dict[str, list[Pair]] = {}
    for pair in rng.sample(pairs, len(pairs)):
        queues.setdefault(pair.module, []).append(pair)
    out = []
    while queues:
        order = sorted(queues, key=lambda m: (-len(queues[m]), rng.random()))
        batch, used = [], set()
        for module in order:
            pair = queues[module][-1]
            names = {module, pair.negative} - {None}
            if names & used:
                continue
            batch.append(queues[module].pop())
            used |= names
            if not queues[module]:
                del queues[module]
            if len(batch) == size:
                break
        if len(batch) > 1:
            out.append(batch)
    rng.shuffle(out)
    return out


def dense_score(encode: Callable[[list[str]], np.ndarray], queries: list[tuple[str, str]],
                texts: dict[str, str]) -> HeldOutScore:
    """Dense retrieval alone: every module text ranked for each (query, gold module)."""
    if not queries:
        return HeldOutScore.of_ranks([])
    names = sorted(texts)
    modules = encode([texts[n] for n in names])
    vectors = encode([q for q, _ in queries])
    sims = vectors @ modules.T
    position = {n: i for i, n in enumerate(names)}
    return HeldOutScore.of_ranks([1 + int(np.sum(row > row[position[gold]])) for row, (_, gold) in zip(sims, queries)])


def accept(before: HeldOutScore, after: HeldOutScore) -> bool:
    """More held-out queries answered first than no longer answered first, and an MRR no lower (the
    same queries, in the same order, ranked both ways; module docstring)."""
    better, worse = first_changes(before, after)
    return better > worse and bool(np.mean(after.reciprocal_ranks) >= np.mean(before.reciprocal_ranks))


def tune(model, pairs: list[Pair], texts: dict[str, str], settings: RetrieverSettings,
         on_step: Callable[[int, int, float], None] | None = None) -> int:
    """Train `model` (a SentenceTransformer) in place, for at most `settings.max_minutes`; returns the
    number of optimizer steps taken."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    loss_fn = MultipleNegativesRankingLoss(model)
    plan = [batches(pairs, settings.batch_size, rng) for _ in range(settings.epochs)]
    total = sum(len(p) for p in plan)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    warmup = max(1, int(total * settings.warmup_fraction))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    model.train()
    step = 0
    deadline = time.monotonic() + settings.max_minutes * 60
    for batch in (b for epoch in plan for b in epoch):
        if time.monotonic() > deadline:
            break
        columns = [[p.query for p in batch], [texts[p.module] for p in batch]]
        if settings.hard_negatives and all(p.negative for p in batch):
            columns.append([texts[p.negative] for p in batch])
        features = [_to_device(model.preprocess(c), model.device) for c in columns]
        loss = loss_fn(features, None)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        step += 1
        if on_step:
            on_step(step, total, float(loss.detach()))
    model.eval()
    return step


def _to_device(features: dict, device) -> dict:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}


def encoder(model, batch_size: int = 64) -> Callable[[list[str]], np.ndarray]:
    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)
    return encode


def capped(pairs: list[Pair], settings: RetrieverSettings) -> list[Pair]:
    if len(pairs) <= settings.max_pairs:
        return pairs
    rng = random.Random(settings.seed)
    return rng.sample(pairs, settings.max_pairs)

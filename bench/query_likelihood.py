"""Query likelihood as the LLM's signal: does log P(query | module) re-rank retrieval's candidates better
than the listwise prompt, zero-shot and after a LoRA tune on the repository's generated queries?

    python bench/query_likelihood.py [--sources DIR] [--sets rich,scrapy,networkx] [--n 60] [--k 5]
                                     [--steps 60] [--out FILE]

Pointwise re-ranking in the manner of UPR (Sachan et al., 2022): every candidate of hybrid's top k is
scored by the base model's log-probability of the query after "File ID: summary", and that score is
fused with retrieval's (z-scores, weight w). Then a LoRA (the shipped settings: r 16, the top 8 blocks)
is trained for `--steps` steps of 8 (summary, generated query) pairs of the set's training split, the
same queries `rag finetune` generates, and the scoring is repeated. One pass per query: each
candidate's text and the query after it are packed into one sequence, a candidate's tokens seeing only
its own (block-diagonal causal mask), and the vocabulary projection runs on the query positions only.
"""
import argparse
import json
import os
import random
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
DEV = os.path.join(HERE, "dev")
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, None)  # None: the model's score alone
SUMMARY_WORDS = 60
QUERY_TOKENS = 64


def context(module: str, summary: str) -> str:
    return f"File {module}: {' '.join(summary.split()[:SUMMARY_WORDS])}\nA developer's request for a change in this file:"


def query_ids(tokenizer, query: str) -> list[int]:
    return tokenizer(" " + query.strip(), add_special_tokens=False)["input_ids"][:QUERY_TOKENS]


def query_logprobs(llm, contexts: list[str], query: str) -> np.ndarray:
    """Mean log-probability of the query's tokens after each context, in one packed forward pass."""
    import torch

    tok = llm.tokenizer
    q = query_ids(tok, query)
    heads, tails, head_pos, tail_pos = [], [], [], []
    for c in contexts:
        p = tok(c, add_special_tokens=False)["input_ids"]
        heads.append(p[:-1])
        head_pos.append(list(range(len(p) - 1)))
        tails.append([p[-1]] + q[:-1])  # the context's last token predicts the query's first
        tail_pos.append(list(range(len(p) - 1, len(p) - 1 + len(q))))
    segments = [i for i, h in enumerate(heads) for _ in h] + [i for i, t in enumerate(tails) for _ in t]
    positions = [x for h in head_pos for x in h] + [x for t in tail_pos for x in t]
    seg, pos = np.array(segments), np.array(positions)
    visible = (seg[:, None] == seg[None, :]) & (pos[None, :] <= pos[:, None])
    mask = torch.from_numpy(np.where(visible, 0.0, float("-inf"))).to(llm.model.dtype)[None, None]
    ids = [t for h in heads for t in h] + [t for tail in tails for t in tail]
    with torch.no_grad():
        out = llm.model(torch.tensor([ids]), attention_mask=mask, position_ids=torch.tensor([positions]),
                        use_cache=False, logits_to_keep=len(contexts) * len(q))
    logprobs = torch.log_softmax(out.logits[0].float(), dim=-1).view(len(contexts), len(q), -1)
    target = torch.tensor(q)[None, :, None].expand(len(contexts), -1, 1)
    return logprobs.gather(2, target)[..., 0].mean(dim=1).numpy()


def score_set(engine, llm, rows, k: int) -> list[tuple]:
    out = []
    for r in rows:
        cands = engine.ask(r["query"], k=k).candidates
        lp = query_logprobs(llm, [context(c.module, c.summary) for c in cands], r["query"])
        out.append(([c.module for c in cands], [c.score for c in cands], lp.tolist(), r["gold_files"]))
    return out


def accuracy(scored, weight) -> tuple[float, float]:
    from rag.retrieval.fusion import standardise

    hits, rr = 0, 0.0
    for modules, retrieval, lp, gold in scored:
        fused = np.array(lp) if weight is None else standardise(np.array(retrieval)) + weight * standardise(np.array(lp))
        order = [modules[i] for i in np.argsort(-fused, kind="stable")]
        rank = next((i + 1 for i, m in enumerate(order) if m in gold), None)
        hits += rank == 1
        rr += 1 / rank if rank else 0.0
    return round(100 * hits / len(scored), 1), round(rr / len(scored), 3)


def train_adapter(engine, steps: int, out_dir: str) -> float:
    """LoRA on (context, generated query) pairs of the training split; returns the epochs run."""
    import torch

    from finetune.examples import DataSettings, split_of
    from finetune.pipeline import training_queries
    from finetune.settings import TrainSettings
    from finetune.train import with_lora
    from rag.llm.model import LocalLLM
    from rag.llm.ranker import end_token

    modules = engine.retriever.modules
    queries = [q for q in training_queries(engine) if q.module in modules
               and (q.split or split_of(q.source, DataSettings())) == "train"]
    random.Random(0).shuffle(queries)
    torch.manual_seed(0)
    llm = LocalLLM.load(device="cpu", dtype="float32", backend="transformers")
    tok, eos = llm.tokenizer, end_token(llm.tokenizer)
    model = with_lora(llm.model, TrainSettings())
    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-4)
    batch = 8
    for step in range(steps):
        pairs = [(tok(context(q.module, modules[q.module].summary), add_special_tokens=False)["input_ids"],
                  query_ids(tok, q.text) + [eos])
                 for q in (queries[(step * batch + i) % len(queries)] for i in range(batch))]
        width = max(len(p) + len(a) for p, a in pairs)
        ids = torch.full((batch, width), eos)
        labels = torch.full((batch, width), -100)
        attention = torch.zeros((batch, width), dtype=torch.long)
        for i, (p, a) in enumerate(pairs):
            ids[i, :len(p) + len(a)] = torch.tensor(p + a)
            labels[i, len(p):len(p) + len(a)] = torch.tensor(a)
            attention[i, :len(p) + len(a)] = 1
        model(input_ids=ids, attention_mask=attention, labels=labels).loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.save_pretrained(out_dir)
    return steps * batch / len(queries)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.path.join(HERE, "..", ".bench-sources"))
    ap.add_argument("--sets", default="rich,scrapy,networkx")
    ap.add_argument("--n", type=int, default=60, help="the first N queries of each set (0: all)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "query_likelihood", "scores.json"))
    args = ap.parse_args()
    from rag import Engine
    from rag.llm.model import LocalLLM

    results = {}
    for name in args.sets.split(","):
        rows = [json.loads(line) for line in open(os.path.join(DEV, f"{name}.jsonl"))]
        rows = rows[: args.n] if args.n else rows
        engine = Engine.open(os.path.join(args.sources, name))
        started = time.monotonic()
        base = score_set(engine, LocalLLM.load(), rows, args.k)
        per_query = (time.monotonic() - started) / len(rows)
        with tempfile.TemporaryDirectory() as adapter:
            started = time.monotonic()
            epochs = train_adapter(engine, args.steps, adapter)
            train_seconds = time.monotonic() - started
            tuned = score_set(engine, LocalLLM.load(adapter=adapter), rows, args.k)
        results[name] = {"queries": len(rows), "seconds_per_query": round(per_query, 2),
                         "train_seconds": round(train_seconds), "epochs": round(epochs, 2),
                         "base": base, "tuned": tuned}
        for label, scored in (("base", base), ("tuned", tuned)):
            row = " | ".join(f"{'alone' if w is None else w}: {accuracy(scored, w)[0]}" for w in WEIGHTS)
            print(f"{name} {label} ({len(rows)} queries) Acc@1 by weight — {row}", flush=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh)


if __name__ == "__main__":
    main()

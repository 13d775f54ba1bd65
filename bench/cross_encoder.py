"""Would a cross-encoder trained on the repository's own history re-rank retrieval's top candidates
better than retrieval alone? (issues 16 and 18; an experiment, nothing here is in the product)

    python bench/cross_encoder.py --tree TREE --set rich [--minutes 20] [--out DIR]

TREE is a time-split work tree of bench/time_split.py (indexed at the set's cut commit, its history
up to the cut only). A cross-encoder (the bundled MiniLM's weights under a fresh one-logit head)
reads a question and one candidate together (`path: summary`, and the candidate's definition that
best matches the question), and is trained on the commits before the cut that changed one source
file: per commit, the changed file against retrieval's other top candidates for the message, asked
as of the commit (a softmax over the group, the file to pick first). The newest tenth of those commits
is held out to choose the fusion weight; then the set's questions after the cut are asked: retrieval's
top 10, re-scored as z(retrieval) + w * z(cross-encoder) over those 10.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

DEV = os.path.join(HERE, "dev")
WEIGHTS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 1000.0)


def candidate_groups(engine, questions, k: int, with_gold: bool):
    """Per question (text, gold files, as_of): retrieval's top `k` (module, score, text); with
    `with_gold` the gold replaces the last candidate when retrieval missed it."""
    from rag.llm.listing import listing

    r = engine.retriever
    out = []
    for text, gold, as_of in questions:
        hits = r.search(text, k=k, as_of=as_of)
        modules, scores = [h.module for h in hits], [h.score for h in hits]
        if with_gold and not set(gold) & set(modules):
            if gold[0] not in r.modules:
                continue
            modules[-1], scores[-1] = gold[0], min(scores) - 1.0
        listed = listing(r, engine.repo, text, modules, None, definitions=True)
        texts = [f"{m.module}: {m.summary}" + (f" | {m.definition}" if m.definition else "") for m in listed]
        out.append({"query": r.parse(text).dense_text, "modules": modules, "scores": scores, "texts": texts,
                    "gold": list(gold)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", required=True)
    ap.add_argument("--set", required=True)
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--group", type=int, default=6)
    ap.add_argument("--groups-per-step", type=int, default=4)
    ap.add_argument("--max-length", type=int, default=160)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--residual", action="store_true",
                    help="train the fused score itself: a learned scale times z(retrieval) plus the cross-encoder's "
                         "logit (its head starts at zero, so training starts from retrieval's ranking), on groups "
                         "of retrieval's top --group that hold the gold")
    ap.add_argument("--generated", type=int, default=0,
                    help="also train on this many queries generated from the code (rag finetune's, sampled)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "history", "cross_encoder"))
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from eval.dataset import load_labeled
    from rag.ranking_metrics import first_rank
    from finetune.pipeline import training_queries
    from rag.embedding.embedder import DEFAULT_EMBEDDER, embedder_path
    from rag.engine import Engine
    from rag.retrieval.fusion import standardise

    torch.manual_seed(0)
    rng = random.Random(0)
    started = time.monotonic()
    engine = Engine.open(args.tree)
    queries = training_queries(engine)
    history = [q for q in queries if q.origin == "git"]
    generated = [q for q in queries if q.origin != "git"]
    train_q = [(q.text, [q.module], q.as_of) for q in history if q.split == "train"]
    train_q += [(q.text, [q.module], None) for q in rng.sample(generated, min(args.generated, len(generated)))]
    valid_q = [(q.text, [q.module], q.as_of) for q in history if q.split == "validation"]
    with open(os.path.join(DEV, "timesplit.json")) as fh:
        split = json.load(fh)[args.set]
    ids = set(split["eval_ids"])
    eval_q = [(q.query, q.gold_files, q.as_of) for q in load_labeled(os.path.join(DEV, f"{args.set}.jsonl"))
              if q.id in ids]
    train = candidate_groups(engine, train_q, args.group, with_gold=not args.residual)
    if args.residual:
        train = [g for g in train if set(g["gold"]) & set(g["modules"])]
    valid = candidate_groups(engine, valid_q, 10, with_gold=False)
    test = candidate_groups(engine, eval_q, 10, with_gold=False)
    print(f"groups: train {len(train)}, validation {len(valid)}, test {len(test)} "
          f"({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    path = embedder_path(DEFAULT_EMBEDDER)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1, attention_probs_dropout_prob=0.0)
    scale = torch.nn.Parameter(torch.tensor(1.0))
    if args.residual:
        torch.nn.init.zeros_(model.classifier.weight)

    def logits(query: str, texts: list[str]) -> torch.Tensor:
        features = tokenizer([query] * len(texts), texts, truncation="longest_first", max_length=args.max_length,
                             padding=True, return_tensors="pt")
        return model(**features).logits.squeeze(-1)

    def score(groups) -> list[np.ndarray]:
        model.eval()
        with torch.no_grad():
            return [logits(g["query"], g["texts"]).numpy() for g in groups]

    parameters = [{"params": model.parameters()}] + ([{"params": [scale], "lr": 1e-2}] if args.residual else [])
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, weight_decay=0.01)
    deadline = time.monotonic() + args.minutes * 60
    step, epoch, losses = 0, 0, []
    model.train()
    while time.monotonic() < deadline:
        order = rng.sample(range(len(train)), len(train))
        for at in range(0, len(order), args.groups_per_step):
            if time.monotonic() > deadline:
                break
            loss = 0.0
            for g in (train[i] for i in order[at: at + args.groups_per_step]):
                target = next(j for j, m in enumerate(g["modules"]) if m in g["gold"])
                scores = logits(g["query"], g["texts"])
                if args.residual:
                    prior = torch.tensor(standardise(np.array(g["scores"])), dtype=scores.dtype)
                    scores = scores + scale * prior
                loss = loss + torch.nn.functional.cross_entropy(scores[None], torch.tensor([target]))
            loss = loss / args.groups_per_step
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            step += 1
            losses.append(float(loss.detach()))
            if step % 25 == 0:
                print(f"step {step} epoch {epoch} loss {np.mean(losses[-25:]):.3f}", file=sys.stderr, flush=True)
        epoch += 1
    trained_s = time.monotonic() - started

    def table(groups, ce) -> dict[str, float]:
        out = {}
        for w in WEIGHTS:
            hits = []
            for g, c in zip(groups, ce):
                if args.residual:  # the trained combination is w = 1
                    fused = float(scale) * standardise(np.array(g["scores"])) + w * c
                else:
                    fused = standardise(np.array(g["scores"])) + w * standardise(c)
                ranked = [g["modules"][j] for j in np.argsort(-fused, kind="stable")]
                hits.append(first_rank(ranked, g["gold"]) == 1)
            out[str(w)] = round(100 * float(np.mean(hits)), 1)
        return out

    t0 = time.perf_counter()
    valid_ce, test_ce = score(valid), score(test)
    per_question_ms = 1000 * (time.perf_counter() - t0) / max(1, len(valid) + len(test))
    report = {"set": args.set, "retrieval_scale": round(float(scale), 3), "tree": args.tree, "steps": step, "epochs_started": epoch, "train_groups": len(train),
              "seconds": round(trained_s), "rerank_ms_per_question": round(per_question_ms, 1),
              "settings": vars(args), "validation": table(valid, valid_ce), "test": table(test, test_ce)}
    best = max(WEIGHTS, key=lambda w: (report["validation"][str(w)], -w))
    report["weight_chosen_on_validation"] = best
    report["test_at_chosen"] = report["test"][str(best)]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.set}.json"), "w") as fh:
        json.dump(report, fh, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "settings"}, indent=1))


if __name__ == "__main__":
    main()

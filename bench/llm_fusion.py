"""Should the LLM's score be fused with the retrieval score, and with what weight?

    python bench/llm_fusion.py [--sources DIR] [--n 50]

For the first N queries of each dev set: the hybrid top-10, the retrieval score of each candidate and
the untuned model's log-probability of each candidate ID (one model pass per query, then any weight
is a cheap recombination). fused = z(retrieval) + w * z(log-probability); w = 0 is hybrid alone. The
weight is chosen on scrapy (best MRR) and checked on rich and networkx.
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "..", "..", "shared", "bench", "dev")
WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 1000.0)  # 1000: the model alone


def z(x):
    x = np.asarray(x, dtype=float)
    return (x - x.mean()) / (x.std() or 1.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources")))
    ap.add_argument("--n", type=int, default=50)
    args = ap.parse_args()
    from rag.engine import Engine
    from rag.llm_ranker import score_options
    from rag.prompt import ABSTAIN, render

    table = {}
    for name in ("rich", "scrapy", "networkx"):
        engine = Engine.open(os.path.join(args.sources, name), quick_start=True)
        llm = engine.llm()
        rows = [json.loads(line) for line in open(os.path.join(DEV, f"{name}.jsonl"))][: args.n]
        per_query = []
        for r in rows:
            cands = engine.ask(r["query"], k=10).candidates
            prompt = render(llm.tokenizer, r["query"], [(c.module, c.summary) for c in cands])
            logprobs = score_options(llm, prompt.text, [c.module for c in cands] + [ABSTAIN])[:-1]
            per_query.append(([c.module for c in cands], [c.score for c in cands], logprobs, set(r["gold_files"])))
        for w in WEIGHTS:
            ranks = []
            for modules, retrieval, logprobs, gold in per_query:
                fused = z(logprobs) if w >= 1000 else z(retrieval) + w * z(logprobs)
                order = [modules[i] for i in np.argsort(-fused, kind="stable")]
                ranks.append(next((i + 1 for i, m in enumerate(order) if m in gold), None))
            acc1 = 100 * sum(r == 1 for r in ranks) / len(ranks)
            acc5 = 100 * sum(r is not None and r <= 5 for r in ranks) / len(ranks)
            mrr = sum(1 / r for r in ranks if r) / len(ranks)
            table[(name, w)] = (round(acc1, 1), round(acc5, 1), round(mrr, 3))
    best = max(WEIGHTS, key=lambda w: table[("scrapy", w)][2])
    print("| weight of the model | rich Acc@1 / @5 / MRR | scrapy | networkx |")
    print("| --- | --- | --- | --- |")
    for w in WEIGHTS:
        label = "model alone" if w >= 1000 else ("0 (hybrid)" if w == 0 else str(w))
        cells = [" / ".join(str(v) for v in table[(n, w)]) for n in ("rich", "scrapy", "networkx")]
        print(f"| {label}{' (best on scrapy)' if w == best else ''} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

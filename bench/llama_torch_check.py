"""The plain-torch Llama (rag/llm/llama_torch.py) against transformers on real prompts, side by side.

    python bench/llama_torch_check.py [--sources DIR] [--set rich] [--queries 30] [--dtype bfloat16]
                                      [--adapter auto|none]

For the first --queries queries of a dev set: the production prompt with hybrid retrieval's top 10,
every candidate scored (rag/llm_ranker.score_options) by both backends, alternating per query. Prints
the largest score difference, how often the two agree on the top candidate, and the median seconds
per query of each. With --adapter auto, both load the index's adapter (if it has one).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
DEV = os.path.join(HERE, "dev")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources")))
    ap.add_argument("--set", default="rich")
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--dtype", default=None, help="float32 or bfloat16 (default: as rag ask picks)")
    ap.add_argument("--adapter", default="none")
    args = ap.parse_args()

    import numpy as np

    from rag.llm.adapters import AdapterStore
    from rag.engine import Engine
    from rag.llm.model import LocalLLM
    from rag.llm.ranker import score_options
    from rag.llm.prompt import ABSTAIN, Listed, render

    engine = Engine.open(os.path.join(args.sources, args.set), quick_start=True)
    adapter = None
    if args.adapter == "auto" and (info := AdapterStore(engine.store.dir).current()) is not None:
        adapter = AdapterStore(engine.store.dir).path(info)
    backends = {b: LocalLLM.load(dtype=args.dtype, device="cpu", adapter=adapter, backend=b)
                for b in ("auto", "transformers")}
    with open(os.path.join(DEV, f"{args.set}.jsonl")) as fh:
        queries = [json.loads(line)["query"] for line in fh][: args.queries]
    diffs, agree, seconds = [], 0, {b: [] for b in backends}
    for query in queries:
        hits = engine.retriever.search(query, k=10)
        options = [h.module for h in hits] + [ABSTAIN]
        prompt = render(backends["auto"].tokenizer, query, [Listed(h.module, h.summary) for h in hits]).text
        assert prompt == render(backends["transformers"].tokenizer, query, [Listed(h.module, h.summary) for h in hits]).text
        scores = {}
        for name, llm in backends.items():
            t = time.perf_counter()
            scores[name] = score_options(llm, prompt, options)
            seconds[name].append(time.perf_counter() - t)
        diffs.append(float(np.abs(scores["auto"] - scores["transformers"]).max()))
        agree += int(np.argmax(scores["auto"]) == np.argmax(scores["transformers"]))
    print(json.dumps({
        "set": args.set, "queries": len(queries), "dtype": str(backends["auto"].model.dtype), "adapter": adapter,
        "max_abs_score_diff": round(max(diffs), 5), "median_abs_score_diff": round(statistics.median(diffs), 5),
        "same_top1": f"{agree}/{len(queries)}",
        "p50_s": {b: round(statistics.median(v), 3) for b, v in seconds.items()},
    }))


if __name__ == "__main__":
    main()

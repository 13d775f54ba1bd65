"""Should the LLM's score be fused with the retrieval score, with what weight, and when should the
model not be asked at all?

    python bench/llm_fusion.py [--sources DIR] [--sets rich,scrapy,networkx,issues] [--n 0] [--adapter auto|none] [--model DIR]
                               [--clones DIR --snapshots DIR] [--time-split WORK]

For each query of each dev set (the first N; 0: all): the hybrid top-k (k: what the adapter was trained
with, else 10), the retrieval score of each candidate and the model's log-probability of each candidate
ID (one model pass per query; every weight is then a cheap recombination). fused = z(retrieval) +
w * z(log-probability); w = 0 is hybrid alone. Gate: the model is asked only when retrieval's top-1
leads the top-2 by less than g. The weight and gate are chosen on scrapy (best Acc@1, then MRR) when it
is among the sets, and checked on the others. `--adapter auto` uses each repository's own adapter
(rag finetune), `none` the base model. The set `issues` is the issue reports, each asked at its base
commit from the indexes bench/issue_reports.py keeps (`--clones`, `--snapshots`); `issues_heldout` the
seven other repositories' reports, likewise (one --clones folder holding every repository's clone). `--time-split WORK`
asks only each commit set's queries after its cut commit (bench/dev/timesplit.json), of the index (and
adapter) at the cut that bench/time_split.py left in WORK: trained on the past, asked about the future.
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "dev")
WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, None)  # None: the model alone
GATES = (None, 0.25, 0.5, 1.0, 2.0)  # None: always ask the model


def scored_queries(engine, rows, adapter: str):
    from rag.llm.ranker import score_options
    from rag.llm.prompt import ABSTAIN

    llm, info = engine.llm(adapter)
    k = info.candidates if info and info.candidates else 10
    out = []
    for r in rows:
        cands = engine.ask(r["query"], k=k).candidates
        prompt, cands, _, _ = engine.llm_prompt(r["query"], cands, adapter)  # what `rag ask --llm` asks
        logprobs = score_options(llm, prompt.text, [c.module for c in cands] + [ABSTAIN])[:-1]
        out.append(([c.module for c in cands], np.array([c.score for c in cands]), logprobs, set(r["gold_files"])))
    return out


def issue_queries(rows, args):
    """The issue reports, each scored by an engine at its base commit (its LLM loaded once)."""
    import sys

    sys.path.insert(0, HERE)
    from issue_reports import checkout, open_at_commit

    out, engine, commit, llm = [], None, None, None
    for r in sorted(rows, key=lambda r: (r["repo"], r["base_commit_date"])):
        if r["base_commit"] != commit:
            tree = os.path.join(args.clones, r["repo"].split("/")[1])
            engine, commit = open_at_commit(tree, r["base_commit"], args.snapshots), r["base_commit"]
            engine.llm_settings = shape(engine.llm_settings, args)
            if args.prompt_definitions:  # read from the work tree: it must be at the report's commit
                checkout(tree, commit)
            if llm is not None:
                engine._llms = llm  # one model for every commit: the adapter choice is the same
        out += scored_queries(engine, [r], args.adapter)
        llm = engine._llms
    return out


def shape(settings, args):
    """The base model's prompt shape from the command line (an adapter brings its own)."""
    from dataclasses import replace

    return replace(settings, prompt_ranks=args.prompt_ranks, prompt_definitions=args.prompt_definitions,
                   model=args.model or settings.model)


def opened(tree: str, args):
    from rag.engine import Engine

    engine = Engine.open(tree)
    engine.llm_settings = shape(engine.llm_settings, args)
    return engine


def metrics(per_query, weight, gate) -> tuple[float, float, float]:
    from rag.retrieval.fusion import standardise

    ranks = []
    for modules, retrieval, logprobs, gold in per_query:
        lead = retrieval[0] - retrieval[1] if len(retrieval) > 1 else np.inf
        if gate is not None and lead >= gate:
            fused = retrieval
        elif weight is None:
            fused = logprobs
        else:
            fused = standardise(retrieval) + weight * standardise(logprobs)
        order = [modules[i] for i in np.argsort(-fused, kind="stable")]
        ranks.append(next((i + 1 for i, m in enumerate(order) if m in gold), None))
    n = len(ranks)
    return (round(100 * sum(r == 1 for r in ranks) / n, 1), round(100 * sum(r is not None and r <= 3 for r in ranks) / n, 1),
            round(sum(1 / r for r in ranks if r) / n, 3))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources")))
    ap.add_argument("--sets", default="rich,scrapy,networkx")
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--adapter", default="auto")
    ap.add_argument("--out", help="also write the raw per-query scores here (JSON)")
    ap.add_argument("--clones", help="for the set 'issues': the clones bench/issue_reports.py walks")
    ap.add_argument("--snapshots", help="for the set 'issues': the indexes bench/issue_reports.py kept")
    ap.add_argument("--time-split", metavar="WORK", help="the cut-commit work trees of bench/time_split.py")
    ap.add_argument("--prompt-ranks", action="store_true", help="the base model's prompt shows retrieval's ranks")
    ap.add_argument("--prompt-definitions", action="store_true",
                    help="the base model's prompt shows each candidate's best-matching definition")
    ap.add_argument("--model", default="", help="another base model (a local Hugging Face directory); "
                    "--adapter auto then takes an index's adapter only if it was trained for that model")
    args = ap.parse_args()
    split = json.load(open(os.path.join(DEV, "timesplit.json")))

    sets = args.sets.split(",")
    table, raw = {}, {}
    for name in sets:
        rows = [json.loads(line) for line in open(os.path.join(DEV, f"{name}.jsonl"))]
        rows = rows[: args.n] if args.n else rows
        if name.startswith("issues"):  # issues.jsonl, or issues_heldout.jsonl: reports at their base commits
            per_query = issue_queries(rows, args)
        elif args.time_split:
            cut = split[name]
            rows = [r for r in rows if r["id"] in set(cut["eval_ids"])]
            tree = os.path.join(args.time_split, f"{name}@{cut['cut_commit'][:12]}")
            per_query = scored_queries(opened(tree, args), rows, args.adapter)
        else:
            per_query = scored_queries(opened(os.path.join(args.sources, name), args), rows, args.adapter)
        raw[name] = [{"modules": m, "retrieval": r.tolist(), "logprobs": lp.tolist(), "gold": sorted(g)}
                     for m, r, lp, g in per_query]
        for w in WEIGHTS:
            for g in GATES:
                table[(name, w, g)] = metrics(per_query, w, g)
    chooser = "scrapy" if "scrapy" in sets else sets[0]
    best = max(((w, g) for w in WEIGHTS for g in GATES),
               key=lambda wg: (table[(chooser, *wg)][0], table[(chooser, *wg)][2]))
    print("| weight of the model | gate | " + " | ".join(f"{n} Acc@1 / @3 / MRR" for n in sets) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in sets) + " |")
    for w in WEIGHTS:
        for g in GATES:
            label = "model alone" if w is None else ("0 (hybrid)" if w == 0 else str(w))
            mark = f" (best on {chooser})" if (w, g) == best else ""
            cells = [" / ".join(str(v) for v in table[(n, w, g)]) for n in sets]
            print(f"| {label}{mark} | {'always' if g is None else g} | " + " | ".join(cells) + " |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(raw, fh)


if __name__ == "__main__":
    main()

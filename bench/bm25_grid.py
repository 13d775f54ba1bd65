"""BM25's k1 and b, re-scored offline: which parameters would rank each question's gold file where?

    python bench/bm25_grid.py reports --data bench/dev/issues.jsonl --snapshots SNAPS --out runs/154.pkl
    python bench/bm25_grid.py commits --set rich --source SRC/rich-14.3.3 --index-dir WORK/rich --out runs/rich.pkl
    python bench/bm25_grid.py table runs/*.pkl [--loro]

`reports` reads each base commit's kept index (`bench/issue_reports.py --snapshots`), `commits` indexes a
pinned source once with the shipped settings. Either way BM25 over whole files and over definitions
weighs the index's own term counts with each point of the grid, the BM25 signals of every question recomputed and fused with its other signals as hybrid
fuses them; the shipped point must reproduce the shipped ranking exactly (checked). `table` prints
Acc@1 / @5 / MRR per set and point, the same with the long questions' parameters used only from a
number of tokens on, and with `--loro` the point each repository's reports would get if it were chosen
on the other repositories' reports (leave one repository out).
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FILES = [(k1, b) for k1 in (1.2, 1.5, 2.0) for b in (0.5, 0.6, 0.75, 0.9)]  # over whole files
DEFINITIONS = [(1.2, 0.5), (1.2, 0.75)]  # over definitions
GRID = [(f, d) for f in FILES for d in DEFINITIONS]
SHIPPED = ((1.2, 0.5), (1.2, 0.5))  # rag 0.1.28 for every question; what short questions are scored with since
THRESHOLDS = (10, 20, 30, 40, 60)


def parameterised(retriever):
    """Per grid point, BM25 over the files and over the definitions: the index's own term counts,
    weighed with each point's (k1, b)."""
    files, definitions = retriever.sparse_files.counts, retriever.sparse_chunks.counts
    return {p: files.bm25(*p) for p in FILES}, {p: definitions.bm25(*p) for p in DEFINITIONS}


def ranks_under_grid(retriever, files_bm25, definitions_bm25, question: str, gold: list[str], as_of=None) -> dict:
    """The gold's rank (within the top 10) at every grid point, for one question."""
    from rag.ranking_metrics import first_rank
    from rag.retrieval.fusion import best_per_group, fuse
    from rag.retrieval.retriever import BOOSTS

    q = retriever.parse(question)
    scored = retriever._scored(q, "hybrid", as_of)
    n = len(retriever.files)
    best = lambda index, tokens: best_per_group(index.scores(tokens), retriever.chunk_file, n, 0.0)  # noqa: E731
    s = retriever.settings
    product = ((s.bm25_long_k1, s.bm25_long_b), SHIPPED[1]) if len(q.tokens) >= s.long_question_tokens else SHIPPED
    ranks = {}
    for point in GRID:
        signals = dict(scored.signals)
        signals["bm25"] = files_bm25[point[0]].scores(q.tokens)
        signals["chunk"] = best(definitions_bm25[point[1]], q.tokens)
        if "title" in signals:
            signals["title"] = files_bm25[point[0]].scores(q.title_tokens)
        if "title_chunk" in signals:
            signals["title_chunk"] = best(definitions_bm25[point[1]], q.title_tokens)
        fused, _ = retriever.implementations_first(fuse(signals, retriever.settings.weights(), unscaled=BOOSTS), scored.named)
        if point == product and not np.allclose(fused, scored.scores):
            raise SystemExit(f"the grid's point {point} does not reproduce the ranking it stands for: {question[:60]!r}")
        top = [retriever.files[j] for j in np.argsort(-fused, kind="stable")[:10]]
        ranks[point] = first_rank(top, gold)
    return {"ranks": ranks, "tokens": len(q.tokens)}


def reports(args) -> dict:
    from graph.store import IndexStore
    from rag.embedding.embedder import embedder_location, shared_embedder
    from rag.retrieval.retriever import Retriever
    from rag.settings import DEFAULT_EMBEDDER, RetrievalSettings

    settings = RetrievalSettings(embedder=DEFAULT_EMBEDDER)
    embedder = shared_embedder(embedder_location(DEFAULT_EMBEDDER, None))
    out, at = {}, None
    for r in (json.loads(line) for line in open(args.data, encoding="utf-8")):
        if r["base_commit"] != at:
            store = IndexStore(os.path.join(args.snapshots, r["base_commit"]))
            manifest = store.manifest()
            retriever = Retriever(store, manifest, settings, embedder=embedder)
            files_bm25, definitions_bm25 = parameterised(retriever)
            at = r["base_commit"]
        out[r["id"]] = {"set": args.label or os.path.basename(args.data).split(".")[0], "repo": r["id"].split("__")[0],
                        **ranks_under_grid(retriever, files_bm25, definitions_bm25, r["query"], r["gold_files"])}
        print(r["id"], out[r["id"]]["ranks"][SHIPPED], file=sys.stderr, flush=True)
    return out


def commits(args) -> dict:
    from eval.dataset import gold_ids, load_labeled
    from rag.engine import Engine

    engine = Engine.open(args.source, index_dir=args.index_dir, refresh=True)
    retriever = engine.retriever
    files_bm25, definitions_bm25 = parameterised(retriever)
    known = set(retriever.modules)
    files = {m for m in known if not m.endswith("/")}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dev", f"{args.set}.jsonl")
    return {f"{args.set}__{n}": {"set": args.set, "repo": args.set,
                                 **ranks_under_grid(retriever, files_bm25, definitions_bm25, q.query,
                                                    gold_ids(q, known, files), q.as_of)}
            for n, q in enumerate(load_labeled(path))}


def table(args) -> None:
    from rag.ranking_metrics import accuracy_at, mean_reciprocal_rank

    rows = {i: r for path in args.runs for i, r in pickle.load(open(path, "rb")).items()}
    sets = list(dict.fromkeys(r["set"] for r in rows.values()))

    def line(label, choose):
        cells = []
        for s in sets:
            mine = [r for r in rows.values() if r["set"] == s]
            ranks = [r["ranks"][choose(r)] for r in mine]
            better = sum(1 for r in mine if r["ranks"][choose(r)] == 1 != r["ranks"][SHIPPED])
            worse = sum(1 for r in mine if r["ranks"][SHIPPED] == 1 != r["ranks"][choose(r)])
            cells.append(f"{100 * accuracy_at(ranks, 1):.1f} / {100 * accuracy_at(ranks, 5):.1f} / "
                         f"{mean_reciprocal_rank(ranks):.3f} (+{better} −{worse})")
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("| files (k1, b), definitions (k1, b) | " + " | ".join(f"{s} ({sum(r['set'] == s for r in rows.values())})" for s in sets) + " |")
    print("| --- |" + " --- |" * len(sets))
    for point in GRID:
        line(f"{point[0]}, {point[1]}", lambda r, p=point: p)
    for t in THRESHOLDS:
        for files in ((2.0, 0.9), (1.2, 0.75), (2.0, 0.75)):
            line(f"from {t} tokens on: files {files}", lambda r, t=t, f=files: (f, SHIPPED[1]) if r["tokens"] >= t else SHIPPED)
    if args.loro:
        reported = {i: r for i, r in rows.items() if r["set"] not in ("rich", "scrapy", "networkx")}
        score = lambda ids, p: (accuracy_at([reported[i]["ranks"][p] for i in ids], 1),  # noqa: E731
                                mean_reciprocal_rank([reported[i]["ranks"][p] for i in ids]))
        before, after = [], []
        for repo in sorted({r["repo"] for r in reported.values()}):
            held = [i for i in reported if reported[i]["repo"] == repo]
            chosen = max(GRID, key=lambda p: score([i for i in reported if reported[i]["repo"] != repo], p))
            before += [reported[i]["ranks"][SHIPPED] for i in held]
            after += [reported[i]["ranks"][chosen] for i in held]
            print(f"{repo} ({len(held)}): chosen {chosen}, Acc@1 {100 * score(held, SHIPPED)[0]:.1f} → {100 * score(held, chosen)[0]:.1f}")
        print(f"all ({len(before)}): Acc@1 {100 * accuracy_at(before, 1):.1f} → {100 * accuracy_at(after, 1):.1f}, "
              f"MRR {mean_reciprocal_rank(before):.3f} → {mean_reciprocal_rank(after):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reports")
    r.add_argument("--data", required=True)
    r.add_argument("--snapshots", required=True)
    r.add_argument("--label", default="")
    r.add_argument("--out", required=True)
    c = sub.add_parser("commits")
    c.add_argument("--set", required=True, choices=("rich", "scrapy", "networkx"))
    c.add_argument("--source", required=True)
    c.add_argument("--index-dir", required=True)
    c.add_argument("--out", required=True)
    t = sub.add_parser("table")
    t.add_argument("runs", nargs="+")
    t.add_argument("--loro", action="store_true")
    args = ap.parse_args()
    if args.cmd == "table":
        return table(args)
    out = reports(args) if args.cmd == "reports" else commits(args)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        pickle.dump(out, f)


if __name__ == "__main__":
    main()

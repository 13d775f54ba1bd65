"""Learn hybrid's fusion weights from labeled queries, and measure any weights on every set.

    python bench/fusion_fit.py collect --clones DIR --snapshots DIR [--sources DIR] --out signals.pkl
    python bench/fusion_fit.py fit signals.pkl [--report FILE] [--loro]

`collect` computes every hybrid signal (rag/retrieval/retriever.py: Retriever.signals, each weight switched on)
for every query of the three commit-message dev sets (their pinned sources, indexed) and of the issue
reports (each at its base commit, from the indexes bench/issue_reports.py keeps in --snapshots).

`fit` trains a logistic regression (scikit-learn) on (query, file) pairs: the features are the signals
as hybrid fuses them (z-scores over the candidate files; the sparse boosts as they are), the label is
"a gold file"; only each query's top 100 files under the current weights take part, so that the model
learns to order the plausible candidates, not to tell them from the obvious misses. It is trained
on the commit sets plus one half of the issue reports (alternate reports of each repository, in base
commit order) and checked on the other half, and prints Acc@1/5 and MRR per set for the current
weights and the learned ones. A linear model keeps the ranking a weighted sum, as before: the learned
coefficients, scaled so that BM25's is 1, become RetrievalSettings' defaults.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
from dataclasses import replace

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

DEV = os.path.join(HERE, "dev")
COMMIT_SETS = ("rich", "scrapy", "networkx")
POOL = 100
DENSE_VARIANTS = (300, 500)


def all_signals_on():
    from rag.settings import RetrievalSettings

    # a weight only has to be non-zero for its signal to be computed
    return replace(RetrievalSettings(), w_title=1.0, w_title_chunk=1.0, w_error=1.0, w_frame=1.0, w_module=1.0, w_callee=1.0, w_named_in_code=1.0, w_central=1.0)


def collect(args) -> None:
    from issue_reports import open_at_commit
    from rag.engine import Engine
    from rag.retrieval.fusion import best_per_group

    settings = all_signals_on()
    out = []

    def record(retriever, row, set_name, repo):
        retriever.settings = settings
        q = retriever.parse(row["query"])
        sig = retriever.signals(q, "hybrid")
        # candidates that are not signals of the retriever (yet): the embedding of less of the
        # report, and of its title alone
        for chars in DENSE_VARIANTS:
            sig[f"dense_{chars}"] = retriever.dense_files.scores(retriever.embedder().embed_query(q.dense_text[:chars]))
        prose = prose_tokens(q)
        sig["bm25_head"] = retriever.sparse_files.scores(q.head_tokens)  # the title and opening prose alone
        sig["chunk_head"] = retriever._best_definition_scores(q.head_tokens)
        sig["bm25_prose"] = retriever.sparse_files.scores(prose)
        sig["chunk_prose"] = retriever._best_definition_scores(prose)
        for b, (files, chunks) in length_normalised(retriever).items():
            sig[f"bm25_b{b}"] = files.scores(q.tokens)
            sig[f"chunk_b{b}"] = best_per_group(chunks.scores(q.tokens), retriever.chunk_file, len(retriever.files), 0.0)
        title = row["query"].strip().splitlines()[0] if q.title_tokens else ""
        if title:
            sig["dense_title"] = retriever.dense_files.scores(retriever.embedder().embed_query(title))
        out.append({"id": row["id"], "set": set_name, "repo": repo, "gold": row["gold_files"],
                    "source": row.get("source", set_name), "files": retriever.files, "signals": {k: np.asarray(v, dtype=np.float32) for k, v in sig.items()}})

    for name in [s for s in COMMIT_SETS if s in args.sets]:
        engine = Engine.open(os.path.join(args.sources, name))
        for line in open(os.path.join(DEV, f"{name}.jsonl")):
            record(engine.retriever, json.loads(line), name, name)
        print(f"{name}: {sum(r['set'] == name for r in out)} queries", file=sys.stderr, flush=True)
    rows = [json.loads(line) | {"source": os.path.basename(path)}
            for path in args.data.split(",") for line in open(path)] if "issues" in args.sets else []
    rows.sort(key=lambda r: (r["repo"], r["base_commit_date"]))
    engine, commit = None, None
    for row in rows:
        repo = row["repo"].split("/")[1]
        if row["base_commit"] != commit:
            engine, commit = open_at_commit(os.path.join(args.clones, repo), row["base_commit"], args.snapshots), row["base_commit"]
        record(engine.retriever, row, "issues", repo)
    print(f"issues: {sum(r['set'] == 'issues' for r in out)} queries", file=sys.stderr)
    with open(args.out, "wb") as f:
        pickle.dump(out, f)


def prose_tokens(q) -> list[str]:
    """The query's tokens outside its code blocks, each at most MAX_TOKEN_REPEAT times (a variant to
    measure: BM25 over the prose alone)."""
    from collections import Counter

    from rag.retrieval.question import _FENCE, MAX_TOKEN_REPEAT
    from rag.retrieval.tokenize import tokenize

    counts, out = Counter(), []
    for token in tokenize(_FENCE.sub(" ", q.text)):
        counts[token] += 1
        if counts[token] <= MAX_TOKEN_REPEAT:
            out.append(token)
    return out


_LENGTH_NORMALISED = {}


def length_normalised(retriever) -> dict:
    """BM25 over the retriever's files and definitions with stronger length normalisation (b): the
    index's term counts weighed otherwise (a variant to measure, not what hybrid uses)."""
    key = id(retriever)
    if key not in _LENGTH_NORMALISED:
        _LENGTH_NORMALISED.clear()
        k1, files, chunks = retriever.settings.bm25_k1, retriever.sparse_files.counts, retriever.sparse_chunks.counts
        _LENGTH_NORMALISED[key] = {b: (files.bm25(k1, b / 100), chunks.bm25(k1, b / 100)) for b in (75, 90)}
    return _LENGTH_NORMALISED[key]


def issue_half(rows: list[dict]) -> dict[str, str]:
    """Alternate issue reports of each repository (in base-commit order) into halves "A" and "B"."""
    halves, seen = {}, {}
    for r in rows:
        if r["set"] == "issues":
            i = seen.get(r["repo"], 0)
            halves[r["id"]] = "AB"[i % 2]
            seen[r["repo"]] = i + 1
    return halves


def features(row: dict, names: list[str]) -> np.ndarray:
    """(files × signals): each signal as hybrid fuses it (a missing signal is all zeros)."""
    from rag.retrieval.fusion import standardise
    from rag.retrieval.retriever import BOOSTS

    n = len(row["files"])
    cols = []
    for name in names:
        values = row["signals"].get(name)
        if values is None:
            cols.append(np.zeros(n))
        else:
            cols.append(np.asarray(values, dtype=np.float64) if name in BOOSTS else standardise(values))
    return np.stack(cols, axis=1)


def prepared(rows: list[dict], names: list[str], base: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per query, (features, is-gold) of its top POOL files under the `base` weights; a gold file
    outside the pool is a miss under any weights."""
    out = []
    for row in rows:
        F = features(row, names)
        pool = np.argsort(-(F @ base), kind="stable")[:POOL]
        gold = set(row["gold"])
        out.append((F[pool], np.array([row["files"][j] in gold for j in pool])))
    return out


def ranks(prep: list[tuple[np.ndarray, np.ndarray]], weights) -> list[int | None]:
    """Rank of the first gold file (1-based, within the top 10) per query; `weights` a vector (a
    weighted sum, as hybrid ranks) or any function from a query's features to its files' scores."""
    out = []
    for F, is_gold in prep:
        scores = weights(F) if callable(weights) else F @ weights
        order = np.argsort(-scores, kind="stable")[:10]
        hit = np.nonzero(is_gold[order])[0]
        out.append(int(hit[0]) + 1 if len(hit) else None)
    return out


def mrr(r: list[int | None]) -> float:
    return sum(1 / x for x in r if x) / len(r) if r else 0.0


GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)


def coordinate_ascent(groups: list[list], weights: np.ndarray, free: list[int], guarded: list[list] = (),
                      rounds: int = 3, slack: float = 1.0) -> np.ndarray:
    """Weights that maximise the mean of the groups' MRR, one weight at a time over a coarse grid
    (few values: 77 training reports would let a fine one fit noise), BM25's held at 1. No `guarded`
    group's Acc@1 may fall more than `slack` points below where the starting weights put it."""
    weights = weights.copy()
    objective = lambda w: np.mean([mrr(ranks(g, w)) for g in groups])  # noqa: E731
    top1 = lambda g, w: 100 * sum(r == 1 for r in ranks(g, w)) / len(g)  # noqa: E731
    floors = [top1(g, weights) - slack for g in guarded]
    best = objective(weights)
    for _ in range(rounds):
        improved = False
        for j in free:
            for v in GRID:
                trial = weights.copy()
                trial[j] = v
                score = objective(trial)
                if score > best + 1e-6 and all(top1(g, trial) >= f for g, f in zip(guarded, floors)):
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights


def summary(r: list[int | None]) -> str:
    n = len(r)
    if not n:
        return "-"
    acc = lambda k: 100 * sum(1 for x in r if x is not None and x <= k) / n  # noqa: E731
    mrr = sum(1 / x for x in r if x) / n
    return f"{acc(1):5.1f} / {acc(5):5.1f} / {mrr:.3f}"


def fit(args) -> None:
    from sklearn.linear_model import LogisticRegression

    from rag.settings import RetrievalSettings

    rows = pickle.load(open(args.signals, "rb"))
    for pair in filter(None, args.use.split(",")):  # e.g. dense=dense_500: measure a variant in a signal's place
        name, variant = pair.split("=")
        for r in rows:
            if variant in r["signals"]:
                r["signals"][name] = r["signals"][variant]
    halves = issue_half(rows)
    current = RetrievalSettings().weights() | {name: 0.0 for name in filter(None, args.extra.split(","))}
    names = list(current)
    base = np.array([current[n] for n in names])
    prep = dict(zip((r["id"] for r in rows), prepared(rows, names, base)))
    free = [j for j, n in enumerate(names) if n != "bm25" and n not in args.fixed.split(",")]
    if args.loro:
        return leave_one_repository_out(rows, prep, names, base, free)
    train_sets = [[prep[r["id"]] for r in rows if r["set"] == s] for s in COMMIT_SETS]
    train_sets += [[prep[r["id"]] for r in rows if halves.get(r["id"]) == "A"]]
    train_sets = [g for g in train_sets if g]
    X = np.concatenate([F for g in train_sets for F, _ in g])
    y = np.concatenate([gold for g in train_sets for _, gold in g])
    w = np.concatenate([np.full(len(gold), 1.0 / (len(gold) * len(g))) for g in train_sets for _, gold in g])
    model = LogisticRegression(C=args.c, max_iter=5000).fit(X, y, sample_weight=w * len(w))
    logistic = model.coef_[0] / model.coef_[0][names.index("bm25")]
    print("logistic regression (bm25 = 1):", {n: round(float(v), 3) for n, v in zip(names, logistic)})
    ascent = coordinate_ascent(train_sets, base, free, guarded=train_sets[:len(COMMIT_SETS)])
    print("coordinate ascent on MRR (bm25 = 1):", {n: round(float(v), 3) for n, v in zip(names, ascent)})
    trees = boosted_trees(X, y, w, base, args.seed)
    table = ["| set | n | current Acc@1 / @5 / MRR | logistic | ascent | boosted trees |",
             "| --- | --- | --- | --- | --- | --- |"]
    slices = [(s, [r for r in rows if r["set"] == s]) for s in COMMIT_SETS]
    slices += [(f"issues {h} ({'train' if h == 'A' else 'check'})", [r for r in rows if halves.get(r["id"]) == h])
               for h in "AB"]
    slices += [(f"issues {repo}", [r for r in rows if r["set"] == "issues" and r["repo"] == repo])
               for repo in sorted({r["repo"] for r in rows if r["set"] == "issues"})]
    slices += [("issues all", [r for r in rows if r["set"] == "issues"])]
    for label, part in slices:
        g = [prep[r["id"]] for r in part]
        table.append(f"| {label} | {len(part)} | {summary(ranks(g, base))} | {summary(ranks(g, logistic))} | "
                     f"{summary(ranks(g, ascent))} | {summary(ranks(g, trees))} |")
    print("\n".join(table))
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"names": names, "current": base.tolist(), "logistic": logistic.tolist(),
                       "ascent": ascent.tolist(), "table": table}, f, indent=1)


def leave_one_repository_out(rows: list[dict], prep: dict, names: list[str], base: np.ndarray, free: list[int]) -> None:
    """Would weights fit across many repositories' reports answer a new repository's better than the
    shipped ones? For each repository with reports: coordinate ascent from the shipped weights on the
    commit sets and every other repository's reports (each its own group, so a big one does not
    outvote the rest; the commit sets guarded as in `fit`), measured on the one left out. Prints the
    weights each fit moved, and the ranks pooled per report file (`collect --data`)."""
    commit = [[prep[r["id"]] for r in rows if r["set"] == s] for s in COMMIT_SETS]
    commit = [g for g in commit if g]
    reports = [r for r in rows if r["set"] == "issues"]
    repos = sorted({r["repo"] for r in reports})
    ids_of = {repo: [r["id"] for r in reports if r["repo"] == repo] for repo in repos}
    left_out: dict[str, int | None] = {}  # report id -> its rank under the weights fit without its repository
    table = ["| repository left out | n | shipped Acc@1 / @5 / MRR | fit without it | weights moved |",
             "| --- | --- | --- | --- | --- |"]
    for repo in repos:
        others = [[prep[i] for i in ids_of[r]] for r in repos if r != repo]
        weights = coordinate_ascent(commit + others, base, free, guarded=commit)
        mine = [prep[i] for i in ids_of[repo]]
        left_out |= dict(zip(ids_of[repo], ranks(mine, weights)))
        moved = ", ".join(f"{n} {b:g}→{w:g}" for n, b, w in zip(names, base, weights) if w != b)
        table.append(f"| {repo} | {len(mine)} | {summary(ranks(mine, base))} | "
                     f"{summary([left_out[i] for i in ids_of[repo]])} | {moved} |")
    from eval.paired import compare_ranks

    pooled = {source: [r["id"] for r in reports if r["source"] == source] for source in sorted({r["source"] for r in reports})}
    pooled["all reports"] = [r["id"] for r in reports]
    for source, ids in pooled.items():
        paired = compare_ranks(ranks([prep[i] for i in ids], base), [left_out[i] for i in ids])
        table.append(f"| **{source}** (pooled) | {len(ids)} | {summary(ranks([prep[i] for i in ids], base))} | "
                     f"{summary([left_out[i] for i in ids])} | {paired.wins} better / {paired.losses} worse, "
                     f"p = {paired.p_value:.2g} |")
    print("\n".join(table))


def boosted_trees(X: np.ndarray, y: np.ndarray, w: np.ndarray, base: np.ndarray, seed: int):
    """Gradient-boosted trees (scikit-learn's histogram GBT, pointwise) over the signals plus the
    current fused score: non-linear, so a boost may count only where the text agrees. Shallow and
    regularised: 77 training reports beside 539 commit messages are little to learn interactions from.
    Returns the scoring function `ranks` takes."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    with_base = lambda F: np.column_stack([F, F @ base])  # noqa: E731
    model = HistGradientBoostingClassifier(max_depth=2, learning_rate=0.05, max_iter=100, l2_regularization=1.0,
                                           min_samples_leaf=40, random_state=seed)
    model.fit(with_base(X), y, sample_weight=w * len(w))
    return lambda F: model.predict_proba(with_base(F))[:, 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--clones", required=True)
    c.add_argument("--snapshots", required=True)
    c.add_argument("--sources", default=os.path.join(HERE, "..", ".bench-sources"))
    c.add_argument("--out", required=True)
    c.add_argument("--sets", default="rich,scrapy,networkx,issues", help="which sets, comma-separated")
    c.add_argument("--data", default=os.path.join(DEV, "issues.jsonl"),
                   help="the issue reports, comma-separated files (their repositories' clones all in --clones)")
    f = sub.add_parser("fit")
    f.add_argument("signals")
    f.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    f.add_argument("--report", default="")
    f.add_argument("--extra", default="", help="collected signals the retriever does not fuse yet, to weigh too")
    f.add_argument("--use", default="", help="signal=variant pairs: a collected variant in a signal's place")
    f.add_argument("--fixed", default="", help="weights (signal names, comma-separated) the ascent leaves as they are")
    f.add_argument("--seed", type=int, default=0, help="of the boosted trees")
    f.add_argument("--loro", action="store_true", help="leave one repository out: fit on the commit sets and the "
                                                       "other repositories' reports, measure on the one left out")
    args = ap.parse_args()
    collect(args) if args.command == "collect" else fit(args)


if __name__ == "__main__":
    main()

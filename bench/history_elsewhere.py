"""Past changes as evidence on repositories nothing was chosen on: a time split mined from each one's history.

    python bench/history_elsewhere.py --clones DIR --repos astropy,sympy,... [--work DIR] [--mine 400]
                                      [--cap 200] [--out DIR] [--splits DIR]

The history signal's weight and depth were chosen on rich, scrapy and networkx (bench/time_split.py).
Here the same judgement is made on other repositories, with labeled queries mined from their own
history the way `rag eval --from-git` mines them (rag/commit_queries.py: a commit that changes one or two
source files and describes the change in words, its files the gold). For each repository (a full-history
clone `DIR/NAME`, its default branch `origin/HEAD`, or its HEAD without one):

1. the newest `--mine` labeled queries of its default branch's tip;
2. a cut commit C: the last first-parent commit before the median date of those queries;
3. a copy checked out at C and indexed there (the history up to C, nothing later);
4. the queries committed after C whose gold files all exist at C (at most `--cap`, the oldest first)
   asked of it as `bench/time_split.py` asks them: `hybrid` (the history signal off) against
   `hybrid+history`, question by question (eval/paired.py).

Writes history_elsewhere.json and history_elsewhere.md to --out (bench/results/history/).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from time_split import checkout_copy, confidence_table, measure, paired_table, write_results  # noqa: E402


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout.strip()


def exists_at(repo: str, commit: str, path: str) -> bool:
    return subprocess.run(["git", "-C", repo, "cat-file", "-e", f"{commit}:{path}"], capture_output=True).returncode == 0


def split(name: str, clone: str, work: str, mine_n: int, cap: int) -> tuple[str, list[dict]]:
    """The cut commit and the labeled queries after it, mined from the default branch's tip."""
    from rag.commit_queries import mine

    try:
        tip = git(clone, "rev-parse", "origin/HEAD")
    except subprocess.CalledProcessError:  # a clone without a remote default branch: its own HEAD
        tip = git(clone, "rev-parse", "HEAD")
    tree = checkout_copy(clone, os.path.join(work, f"{name}@tip"), tip)
    rows, scanned = [], 0
    while len(rows) < mine_n:  # labeled queries are a minority of commits: read further back until enough
        scanned = max(2 * scanned, 2_000)
        result = mine(tree, last=scanned)
        rows = result.rows[:mine_n]
        if result.scanned < scanned:  # the whole history is read
            break
    dates = sorted(r["date"] for r in rows)
    median = dates[len(dates) // 2]
    cut = git(tree, "rev-list", "--first-parent", "-1", f"--before={median}", tip)
    after = [r for r in reversed(rows)  # oldest first
             if not _ancestor(tree, r["commit"], cut) and all(exists_at(tree, cut, p) for p in r["gold_files"])]
    return cut, after[:cap]


def fixed_split(name: str, clone: str, work: str, mine_n: int, cap: int, splits: str | None) -> tuple[str, list[dict]]:
    """The split kept in `splits/NAME.json` when there is one, else mined (and kept there): what a source
    file is changes with the code that mines it (a folder's role, a new language), so two versions of rag
    are compared on one split, not on each one's own."""
    path = os.path.join(splits, f"{name}.json") if splits else None
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            kept = json.load(f)
        return kept["cut"], kept["rows"]
    cut, rows = split(name, clone, work, mine_n, cap)
    if path:
        os.makedirs(splits, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"cut": cut, "rows": rows}, f)
    return cut, rows


def _ancestor(repo: str, commit: str, of: str) -> bool:
    return subprocess.run(["git", "-C", repo, "merge-base", "--is-ancestor", commit, of], capture_output=True).returncode == 0


def run_repo(name: str, clone: str, work: str, mine_n: int, cap: int, splits: str | None = None) -> dict:
    from eval.dataset import labeled_from_rows
    from rag.engine import Engine
    from rag.settings import RetrievalSettings

    cut, rows = fixed_split(name, clone, work, mine_n, cap, splits)
    tree = checkout_copy(clone, os.path.join(work, f"{name}@{cut[:12]}"), cut)
    start = time.perf_counter()
    engine = Engine.open(tree, refresh=True)
    index_s = time.perf_counter() - start
    queries = labeled_from_rows(rows, f"{name}'s mined queries")
    base = RetrievalSettings()
    results = measure(engine, queries, {"hybrid": replace(base, w_history=0.0), "hybrid+history": base}, time_aware=True)
    manifest = engine.store.manifest()
    return {"commit": cut, "cut_date": git(tree, "show", "-s", "--format=%cI", cut), "index_s": round(index_s, 1),
            "history_head": manifest.history_head, "past_changes": len(engine.retriever.past_changes() or ()),
            "results": results}


def markdown(report: dict) -> str:
    lines = ["### Time splits mined from other repositories' histories (index and history at the cut; queries after it)", "",
             "| repository | cut | past changes | n | configuration | Acc@1 | Acc@5 | MRR | p50 ms |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in report.items():
        for config, m in r["results"].items():
            lines.append(f"| {name} | `{r['commit'][:12]}` ({r['cut_date'][:10]}) | {r['past_changes']} | {m['n']} | {config} | "
                         f"{m['acc1']} | {m['acc5']} | {m['mrr']} | {m['p50_ms']} |")
    lines.append("")
    lines += paired_table(report, "hybrid", "hybrid+history")
    lines += confidence_table(report, "hybrid+history")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clones", required=True)
    ap.add_argument("--repos", required=True, help="clone names under --clones, comma-separated")
    ap.add_argument("--work", default="/tmp/rag-history-elsewhere")
    ap.add_argument("--mine", type=int, default=400, help="labeled queries mined from the tip (default 400)")
    ap.add_argument("--cap", type=int, default=200, help="queries asked per repository at most (default 200)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "history"))
    ap.add_argument("--splits", help="a folder of kept splits (NAME.json: cut and rows): used when there, written when not")
    args = ap.parse_args()
    report = {}
    for name in args.repos.split(","):
        report[name] = run_repo(name, os.path.join(args.clones, name), args.work, args.mine, args.cap, args.splits)
        print(name, {k: (v["n"], v["acc1"], v["acc5"]) for k, v in report[name]["results"].items()}, file=sys.stderr, flush=True)
    write_results(args.out, "history_elsewhere", report, markdown)


if __name__ == "__main__":
    main()

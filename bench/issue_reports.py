"""Real issue reports (SWE-bench Lite/Verified), each asked at its base commit: astropy and sympy
(`dev/issues.jsonl`, the default), or seven other repositories kept for a check (`--data
bench/dev/issues_heldout.jsonl`: pytest, sphinx, requests, pylint, xarray, seaborn, flask; or
`--data bench/dev/issues_moto.jsonl`: moto, from SWE-Gym).

    python bench/issue_reports.py --clones DIR [--snapshots DIR] [--data FILE] [--out DIR] [--limit N]
                                  [--repo NAME] [--after REPO=COMMIT,...] [--signals FILE] [--busy] [--embedder DIR]
                                  [--run REPO=PYTHON,...]

DIR holds full-history clones named after the repositories (`DIR/astropy`, `DIR/sympy`, `DIR/pytest`,
…; `git clone` them once). Each repository's base commits are visited in date order (`git checkout -f SHA`,
`git clean -fdx -e .rag`), the index is brought up to date incrementally at each
(`Engine.open(tree, refresh=True)`, as a CI user would), and every report of that commit is asked
warm. Hit = any gold file (lenient); strict = every gold file. Writes `report.json` (per repository
and overall: Acc@1/3/5/10, MRR, strict Acc@5, Acc@1/3 of `--level dir`, latency p50/p95), `queries.jsonl` (per query: gold
ranks and the top 10) and `misses.md` (the reports not answered at rank 1, for a look at each) to --out. `--signals FILE` also keeps every query's per-file signals (an .npz
pickle for offline fusion work: bench/reweigh_signals.py). `--snapshots DIR` keeps each base commit's index
(`DIR/<commit>/`) and answers from it on later runs without a checkout: a change to how queries are
read or ranked is then measured in minutes; a change to what the index holds needs a fresh DIR.
`--after sympy=SHA` asks only the reports filed after that base commit (a time split: an embedder or
model trained on the history up to SHA is judged on later reports only). `--embedder DIR` indexes and asks
with another sentence-transformers model than the bundled one (give it a --snapshots folder of its own).
`--run sympy=PYTHON` also asks each of that repository's reports as `rag ask --run` does (its Python
example run by PYTHON, an interpreter that can import the repository's code at its base commits, with
its dependencies), beside the plain answer, and adds to report.json the two side by side on those
reports (`run`); each such report's tree is checked out, snapshots or not.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from eval.methods import ranking  # noqa: E402
from eval.metrics import accuracy_by_confidence, directory_of, percentile  # noqa: E402
from graph.version import TOOL_VERSION  # noqa: E402
from rag.ranking_metrics import accuracy_at, first_rank, mean_reciprocal_rank, strict_accuracy_at  # noqa: E402
from rag.settings import DEFAULT_EMBEDDER  # noqa: E402

DEFAULT_DATA = os.path.join(HERE, "dev", "issues.jsonl")
K = 10


def git(tree: str, *args: str) -> None:
    subprocess.run(["git", "-C", tree, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def checkout(tree: str, commit: str) -> None:
    """Check out `commit` (a fetched snapshot may lack a few large data files: git then fails on them
    while HEAD still moves; they are not source), and remove what the previous commit left."""
    subprocess.run(["git", "-C", tree, "checkout", "-q", "-f", commit], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    head = subprocess.run(["git", "-C", tree, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    if head.stdout.strip() != commit:
        raise SystemExit(f"could not check out {commit} in {tree}")
    git(tree, "clean", "-q", "-fdx", "-e", ".rag")


def open_at_commit(tree: str, commit: str, snapshots: str, embedder: str = DEFAULT_EMBEDDER, tree_too: bool = False):
    """A warm engine over the repository at `commit`, its files embedded by `embedder`: from its kept
    snapshot when there is one (the tree checked out too when `tree_too`), else checked out and indexed
    incrementally (and kept, when `snapshots` is given)."""
    from graph.indexer import Changes
    from graph.store import IndexStore
    from rag.embedding.embedder import embedder_location, shared_embedder
    from rag.engine import Engine
    from rag.retrieval.retriever import Retriever
    from rag.settings import RetrievalSettings

    settings = RetrievalSettings(embedder=embedder)
    kept = os.path.join(snapshots, commit) if snapshots else ""
    if kept and os.path.isfile(os.path.join(kept, "manifest.json")):
        store = IndexStore(kept)
        manifest = store.manifest()
        if manifest.tool_version != TOOL_VERSION:  # what it holds may not be what this rag would build
            raise SystemExit(f"the snapshot {kept} was built by rag {manifest.tool_version}, not {TOOL_VERSION}: "
                             "give --snapshots a fresh folder")
        built_with = manifest.settings["extensions"]["retrieval"]["embedder"]
        if built_with != embedder:  # its vectors would not be comparable with the questions'
            raise SystemExit(f"the snapshot {kept} was embedded with {built_with}, not {embedder}: "
                             "give --snapshots a folder of its own for each embedder")
        retriever = Retriever(store, manifest, settings, embedder=shared_embedder(embedder_location(embedder, None)))
        if hasattr(retriever.embedder(), "load"):
            retriever.embedder().load()
        if tree_too:
            checkout(tree, commit)
        return Engine(tree, store, retriever, Changes())
    checkout(tree, commit)
    engine = Engine.open(tree, settings=settings, refresh=True)
    if kept:
        keep_snapshot(engine.store, kept)
    return engine


def keep_snapshot(store, kept: str) -> None:
    """Copy the store's current snapshot and manifest to `kept`, whole or not at all: built in a folder
    of its own and renamed, so that walks sharing a --snapshots folder never mix their copies (the one
    that finishes second drops its own)."""
    os.makedirs(os.path.dirname(kept), exist_ok=True)
    building = tempfile.mkdtemp(dir=os.path.dirname(kept), prefix=os.path.basename(kept) + ".tmp-")
    manifest = store.manifest()
    shutil.copytree(os.path.join(store.dir, manifest.snapshot), os.path.join(building, manifest.snapshot))
    shutil.copy(os.path.join(store.dir, "manifest.json"), os.path.join(building, "manifest.json"))
    try:
        os.replace(building, kept)
    except OSError:  # another walk kept this commit first
        shutil.rmtree(building)


def summarise(rows: list[dict]) -> dict:
    ranks = [r["rank"] for r in rows]
    latencies = [r["ms"] for r in rows]
    out = {"n": len(rows)}
    for k in (1, 3, 5, 10):
        out[f"acc@{k}"] = round(100 * accuracy_at(ranks, k), 1)
    out["mrr"] = round(mean_reciprocal_rank(ranks), 3)
    out["strict@5"] = round(100 * strict_accuracy_at([r["top"] for r in rows], [r["gold"] for r in rows], 5), 1)
    for k in (1, 3):  # `rag ask --level dir`: the folder the change belongs in
        out[f"dir_acc@{k}"] = round(100 * accuracy_at([r["dir_rank"] for r in rows], k), 1)
    out["by_confidence"] = accuracy_by_confidence([r["confidence"] for r in rows], ranks)
    out["p50_ms"] = round(percentile(latencies, 50), 1)
    out["p95_ms"] = round(percentile(latencies, 95), 1)
    return out


def with_and_without_the_example(rows: list[dict]) -> dict:
    """Plain answers and answers with the example run, on the same reports: overall, per repository, and
    on the reports whose example ran at least one statement."""
    ran = lambda row: dict(row, rank=row["run_rank"], top=row["run_top"], ms=row["run_ms"])  # noqa: E731
    out = {}
    for label, subset in (("all", rows), ("ran", [r for r in rows if r["run_ran"]])):
        for repo in [None] + sorted({r["repo"] for r in subset}):
            part = [r for r in subset if repo is None or r["repo"] == repo]
            keep = ("n", "acc@1", "acc@3", "acc@5", "acc@10", "mrr", "strict@5", "p50_ms", "p95_ms")
            out[f"{label}/{repo or 'overall'}"] = {
                "hybrid": {k: v for k, v in summarise(part).items() if k in keep},
                "hybrid+run": {k: v for k, v in summarise([ran(r) for r in part]).items() if k in keep},
                "gold_called": sum(bool(r["run_gold_called"]) for r in part)}
    return out


def misses_table(rows: list[dict], reports: dict[str, dict]) -> str:
    """The reports whose gold file is not first: its rank, the gold, what came first, and the title."""
    short = lambda path: path.split("/", 1)[-1]  # noqa: E731  (the package folder every path starts with)
    lines = ["| id | gold rank | gold (first two) | top answer | title |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        if row["rank"] == 1:
            continue
        gold = ", ".join(short(g) for g in row["gold"][:2]) + (" …" if len(row["gold"]) > 2 else "")
        title = reports[row["id"]]["query"].strip().splitlines()[0][:70]
        lines.append(f"| {row['id']} | {row['rank'] or '>10'} | {gold} | {short(row['top'][0])} | {title} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clones", required=True, help="folder with full-history clones named after the repositories: astropy/, sympy/, …")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "issues"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N reports of each repository")
    ap.add_argument("--repo", default="", help="only this repository (its name without the owner: sympy)")
    ap.add_argument("--after", default="", help="REPO=COMMIT,...: only that repository's reports based after COMMIT")
    ap.add_argument("--signals", default="", help="also write every query's per-file signals here")
    ap.add_argument("--snapshots", default="", help="keep (and reuse) each base commit's index here")
    ap.add_argument("--busy", action="store_true", help="time the questions while another process keeps a core busy")
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="index and ask with this embedder (a local "
                    "sentence-transformers directory) instead of the bundled one; give --snapshots a folder of its own")
    ap.add_argument("--run", default="", metavar="REPO=PYTHON,...",
                    help="also ask that repository's reports with their example run by PYTHON (rag ask --run)")
    args = ap.parse_args()
    from busy import busy_core
    from rag.settings import ExampleSettings

    pythons = dict(pair.split("=", 1) for pair in filter(None, args.run.split(",")))


    reports = [json.loads(line) for line in open(args.data)]
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for r in reports:
        name = r["repo"].split("/")[1]
        if not args.repo or name == args.repo:
            by_repo[name].append(r)
    cuts = dict(pair.split("=", 1) for pair in filter(None, args.after.split(",")))
    rows, signals, index_seconds = [], {}, {}
    for name, items in by_repo.items():
        items = sorted(items, key=lambda r: r["base_commit_date"])
        if name in cuts:  # dates carry their own UTC offsets: compared as instants, not as strings
            when = lambda r: datetime.fromisoformat(r["base_commit_date"])  # noqa: E731
            cut = next(when(r) for r in items if r["base_commit"].startswith(cuts[name]))
            items = [r for r in items if when(r) > cut]
        items = items[: args.limit or None]
        tree = os.path.join(args.clones, name)
        spent = []
        for i, r in enumerate(items):
            start = time.perf_counter()
            if i == 0 or r["base_commit"] != items[i - 1]["base_commit"]:
                engine = open_at_commit(tree, r["base_commit"], args.snapshots, args.embedder, name in pythons)
            spent.append(time.perf_counter() - start)
            engine.ask(r["query"], k=K)  # warm-up: the first question loads what later ones reuse
            with busy_core(args.busy):
                start = time.perf_counter()
                result = engine.ask(r["query"], k=K)
                ms = (time.perf_counter() - start) * 1000
            answer = ranking(result)
            top = answer.modules
            rank = first_rank(top, r["gold_files"])
            by_folder = ranking(engine.ask(r["query"], k=K, level="dir"))
            folders = by_folder.modules
            dir_rank = first_rank(folders, sorted({directory_of(g) for g in r["gold_files"]}))
            rows.append({"method": "hybrid", "level": "file", "id": r["id"], "repo": name, "gold": r["gold_files"], "rank": rank, "ms": round(ms, 1),
                         "confidence": answer.confidence, "share": answer.share,
                         "top": top, "dir_rank": dir_rank, "top_dirs": folders[:3], "dir_share": by_folder.share})
            if name in pythons:
                start = time.perf_counter()
                ran = engine.ask(r["query"], k=K, run=ExampleSettings(python=pythons[name]))
                example = ran.example
                rows[-1].update(run_rank=first_rank(ranking(ran).modules, r["gold_files"]), run_top=ranking(ran).modules,
                                run_ms=round((time.perf_counter() - start) * 1000, 1), run_ran=example.ran,
                                run_failed=example.failed, run_files=len(example.called), run_problem=example.problem,
                                run_gold_called=sorted(set(r["gold_files"]) & set(example.called)))
            if args.signals:
                retriever = engine.retriever
                parsed = retriever.parse(r["query"])
                scores, sig = retriever.file_scores(parsed)
                signals[r["id"]] = {"files": list(retriever.files), "gold": r["gold_files"], "repo": name,
                                    "scores": scores, "signals": sig}
            print(f"{name} {i + 1}/{len(items)} {r['id']}: rank {rank} ({ms:.0f} ms, index {spent[-1]:.1f} s)",
                  file=sys.stderr, flush=True)
        index_seconds[name] = {"median_s": round(sorted(spent)[len(spent) // 2], 2), "first_s": round(spent[0], 2)}
    report = {"overall": summarise(rows),
              "per_repo": {name: summarise([r for r in rows if r["repo"] == name]) for name in by_repo},
              "index": index_seconds}
    if pythons:
        report["run"] = with_and_without_the_example([r for r in rows if "run_rank" in r])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(args.out, "misses.md"), "w") as f:
        f.write("# Issue reports hybrid missed at rank 1 (bench/issue_reports.py)\n\n"
                + misses_table(rows, {r["id"]: r for r in reports}))
    with open(os.path.join(args.out, "queries.jsonl"), "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    if args.signals:
        with open(args.signals, "wb") as f:
            pickle.dump(signals, f)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

"""Indexing benchmark on the dev-set sources (networkx, scrapy, rich).

    python bench/index_bench.py [--sources DIR] [--repeat N] [--out bench/results/index.json]

For each repository, the graph build alone (graph/, no retrieval indexes: those are measured by
bench/ask_bench.py), each run in a fresh process, interpreter start-up and imports included:
  - full build, default jobs (one per core) and jobs=1: wall seconds, files/s
  - incremental re-index after appending a comment to one file (the file is restored afterwards):
    wall seconds of the process, and the in-process phase times (graph part = everything but parsing)
  - peak RSS of the full build, and the size of the index directory
Medians of --repeat runs. The sources come from bench/dev/fetch_sources.sh.

--large adds a big repository: the Python files of the transformers package installed in this
environment (2,860 files, 53 MB for transformers 5.23), copied aside so that the touch stays there.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCES = os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources"))
REPOS = {"networkx": "networkx/algorithms/cycles.py", "scrapy": "scrapy/http/request/__init__.py",
         "rich": "rich/progress.py"}
# ends as the `rag` console script does (rag/cli/__init__.py: entry), without the interpreter's final collections
GRAPH_INDEX = ("import gc, sys; from graph.indexer import IndexOptions, index; "
               "index(sys.argv[1], IndexOptions(index_dir=sys.argv[2], full=sys.argv[3] == 'full', jobs=int(sys.argv[4]))); "
               "gc.freeze()")


def run(repo: str, index_dir: str, full: bool, jobs: int = 0) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of a graph-only index run in a fresh process."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, sys.executable, "-c", GRAPH_INDEX,
                            repo, index_dir, "full" if full else "incremental", str(jobs)],
                           capture_output=True, text=True)
        wall = time.perf_counter() - t
        if p.returncode != 0:
            raise SystemExit(f"indexing {repo} failed: {p.stderr.strip()}")
        return wall, int(rss.read().split()[-1])


def in_process_incremental(repo: str, index_dir: str) -> dict:
    from graph.indexer import IndexOptions, index

    report = index(repo, IndexOptions(index_dir=index_dir))
    return {"seconds": report.seconds, "parsed": report.parsed, "timings": report.timings}


def earlier_rows(path: str, rows: list[dict]) -> list[dict]:
    """Rows of an earlier run for repositories this run did not measure (a run without --large keeps
    the last transformers row), marked as such."""
    try:
        with open(path) as fh:
            earlier = json.load(fh)["rows"]
    except (OSError, ValueError, KeyError):
        return []
    measured = {r["repo"] for r in rows}
    return [dict(r, earlier_run=True) for r in earlier if r["repo"] not in measured]


def dir_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def bench_repo(name: str, repo: str, touch: str, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        idx = os.path.join(tmp, "index")
        full, full_j1, rss = [], [], 0
        for _ in range(repeat):
            wall, peak = run(repo, idx, full=True)
            full.append(wall)
            rss = max(rss, peak)
            full_j1.append(run(repo, idx, full=True, jobs=1)[0])
        from graph.store import IndexStore

        manifest = IndexStore(idx).manifest()
        files = manifest.counts["files"]
        snapshot_bytes = dir_size(os.path.join(idx, manifest.snapshot))
        path = os.path.join(repo, touch)
        original = open(path, "rb").read()
        incremental, phases = [], []
        try:
            for i in range(repeat):
                with open(path, "ab") as fh:
                    fh.write(f"\n# bench touch {i}\n".encode())
                incremental.append(run(repo, idx, full=False)[0])
                with open(path, "ab") as fh:
                    fh.write(f"# bench touch again {i}\n".encode())
                phases.append(in_process_incremental(repo, idx))
        finally:
            with open(path, "wb") as fh:
                fh.write(original)
    inc_graph = statistics.median(p["seconds"] - p["timings"].get("parse", 0) for p in phases)
    return {
        "repo": name, "files": files, "modules": manifest.counts["modules"],
        "nodes": manifest.counts["nodes"], "edges": manifest.counts["edges"],
        "full_s": round(statistics.median(full), 2), "files_per_s": round(files / statistics.median(full)),
        "full_jobs1_s": round(statistics.median(full_j1), 2),
        "files_per_s_jobs1": round(files / statistics.median(full_j1)),
        "incremental_cli_s": round(statistics.median(incremental), 2),
        "incremental_in_process_s": round(statistics.median(p["seconds"] for p in phases), 2),
        "incremental_graph_part_s": round(inc_graph, 2),
        "incremental_phases": phases[len(phases) // 2]["timings"],
        "peak_rss_mb": round(rss / 1024), "index_mb": round(snapshot_bytes / 1e6, 1),
    }


def copy_transformers(dest: str) -> str:
    """The installed transformers package's Python files under dest/transformers (a repository root)."""
    import transformers

    package = os.path.dirname(transformers.__file__)
    root = os.path.join(dest, "transformers-src")
    shutil.copytree(package, os.path.join(root, "transformers"),
                    ignore=lambda d, names: [n for n in names if not n.endswith(".py")
                                             and not os.path.isdir(os.path.join(d, n))])
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", default=DEFAULT_SOURCES)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "index.json"))
    ap.add_argument("--large", action="store_true", help="also the transformers package's sources")
    args = ap.parse_args()
    rows = []
    for name, touch in REPOS.items():
        repo = os.path.join(args.sources, name)
        if not os.path.isdir(repo):
            raise SystemExit(f"{repo} is missing: run bench/dev/fetch_sources.sh {args.sources}")
        rows.append(bench_repo(name, os.path.realpath(repo), touch, args.repeat))
        print(json.dumps(rows[-1]), file=sys.stderr)
    if args.large:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(bench_repo("transformers", copy_transformers(tmp), "transformers/trainer.py", args.repeat))
            print(json.dumps(rows[-1]), file=sys.stderr)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"cores": os.cpu_count(), "repeat": args.repeat, "rows": rows + earlier_rows(args.out, rows)}, fh, indent=1)
    print("| repo | files | full build s (files/s) | jobs=1 s (files/s) | incremental: process s / in-process s "
          "/ graph part s | peak RSS MB | index MB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['repo']} | {r['files']} | {r['full_s']} ({r['files_per_s']}) | {r['full_jobs1_s']} "
              f"({r['files_per_s_jobs1']}) | {r['incremental_cli_s']} / {r['incremental_in_process_s']} / "
              f"{r['incremental_graph_part_s']} | {r['peak_rss_mb']} | {r['index_mb']} |")


if __name__ == "__main__":
    main()

"""Speed and memory of `rag ask` and of indexing with embeddings.

    python bench/ask_bench.py [--sources DIR] [--repeat 5]

- `rag --help`: wall seconds of the command (median)
- cold `rag ask` from the CLI on an existing index: wall seconds (median) and peak RSS
- warm Python API: per-query latency p50/p95 over the networkx dev queries, hybrid retrieval
- networkx full index build including embeddings: seconds and peak RSS (fresh process, no cache)
- incremental re-index after one file changes: seconds (fresh process; median of --repeat, each adding a function)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "dev")
RAG = [os.path.join(os.path.dirname(sys.executable), "rag")]


def timed(cmd) -> tuple[float, int]:
    """Wall seconds and peak RSS in MB of one command (GNU time reports the RSS)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.strip()}")
        return wall, int(rss.read().split()[-1]) // 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources")))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    repo = os.path.realpath(os.path.join(args.sources, "networkx"))
    out = {}
    out["help_s"] = round(statistics.median(timed(RAG + ["--help"])[0] for _ in range(args.repeat)), 3)

    with tempfile.TemporaryDirectory() as tmp:
        idx = os.path.join(tmp, "index")
        wall, rss = timed(RAG + ["index", repo, "--index-dir", idx, "-q"])
        out["index_full_s"], out["index_full_rss_mb"] = round(wall, 1), rss
        cold = [timed(RAG + ["ask", "shortest path between two nodes with negative weights", "--repo", repo,
                             "--index-dir", idx, "--json"]) for _ in range(args.repeat)]
        out["ask_cold_s"] = round(statistics.median(c[0] for c in cold), 2)
        out["ask_cold_rss_mb"] = max(c[1] for c in cold)
        touched = os.path.join(repo, "networkx", "algorithms", "cycles.py")
        original = open(touched, "rb").read()
        try:
            walls = []
            for i in range(args.repeat):  # a new function each time, so every run has a changed file to parse
                with open(touched, "ab") as fh:
                    fh.write(f'\n\ndef bench_added_function_{i}():\n    """Added by the benchmark."""\n'.encode())
                walls.append(timed(RAG + ["index", repo, "--index-dir", idx, "-q"])[0])
            out["index_incremental_s"] = round(statistics.median(walls), 2)
            out["index_incremental_range_s"] = [round(min(walls), 2), round(max(walls), 2)]
        finally:
            with open(touched, "wb") as fh:
                fh.write(original)

        from rag.engine import Engine

        t = time.perf_counter()
        engine = Engine.open(repo, index_dir=idx)  # a long-lived engine: loads the torch encoder once
        out["engine_open_s"] = round(time.perf_counter() - t, 2)
        rows = [json.loads(line) for line in open(os.path.join(DEV, "networkx.jsonl"))]
        engine.ask(rows[0]["query"])  # first call loads the query encoder
        times = []
        for r in rows:
            t = time.perf_counter()
            engine.ask(r["query"])
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["warm_p50_ms"] = round(statistics.median(times), 1)
        out["warm_p95_ms"] = round(times[int(0.95 * len(times)) - 1], 1)
        out["warm_process_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

"""Long bug reports written the way users file them (prose, code blocks, logs, tracebacks):
where does the gold file rank, BM25 alone and hybrid?

    python bench/long_reports.py [--sources DIR]

The reports are in bench/reports/long_reports.jsonl (hand-written against the pinned dev-set sources).
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", default=os.environ.get("RAG_BENCH_SOURCES", os.path.join(HERE, "..", ".bench-sources")))
    args = ap.parse_args()
    from rag.engine import Engine

    engines = {}
    print("| set | report | words | gold | rank bm25 | rank hybrid | hybrid top 3 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for line in open(os.path.join(HERE, "reports", "long_reports.jsonl")):
        r = json.loads(line)
        if r["set"] not in engines:
            engines[r["set"]] = Engine.open(os.path.join(args.sources, r["set"]), quick_start=True)
        ranks, top = {}, []
        for method in ("bm25", "hybrid"):
            ids = [c.module for c in engines[r["set"]].ask(r["query"], k=10, method=method).candidates]
            ranks[method] = next((i + 1 for i, m in enumerate(ids) if m in r["gold_files"]), ">10")
            top = ids[:3]
        title = r["query"].splitlines()[0][:60]
        print(f"| {r['set']} | {title} ({r['kind']}) | {len(r['query'].split())} | {', '.join(r['gold_files'])} "
              f"| {ranks['bm25']} | {ranks['hybrid']} | {', '.join(top)} |")


if __name__ == "__main__":
    main()

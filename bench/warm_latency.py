"""Warm `Engine.ask` latency of one code tree on one question set: for comparing two versions of rag
side by side on the same machine (run each from its own git worktree, alternating).

    PYTHONPATH=WORKTREE python bench/warm_latency.py REPO QUESTIONS.jsonl [--repeat 3]

REPO gets its own index (`rag index` into REPO/.rag: give each version its own copy of the tree);
QUESTIONS.jsonl is any labeled set (its `query` fields). Prints p50 and p95 in milliseconds, after ten
warm-up questions.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("questions")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from rag.engine import Engine

    questions = [json.loads(line)["query"] for line in open(args.questions, encoding="utf-8") if line.strip()]
    engine = Engine.open(args.repo)
    for q in questions[:10]:
        engine.ask(q)
    times = []
    for _ in range(args.repeat):
        for q in questions:
            start = time.perf_counter()
            engine.ask(q)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"p50 {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms over {len(times)} questions")


if __name__ == "__main__":
    main()

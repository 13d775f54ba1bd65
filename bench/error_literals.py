"""Would an index of error-message literals help issue reports? Measured before building one.

    python bench/error_literals.py --clones CLONES     # CLONES/astropy, CLONES/sympy with full history

For each report of bench/dev/issues.jsonl with an exception message of three or more words, the
longest run of plain words of the message is searched as a literal in the repository's Python source
at the report's base commit (`git grep -F`, tests left out), and set beside the gold files and the
rank hybrid gives the gold today (results/issues/queries-history.jsonl).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from rag.retrieval.issue_report import error_messages  # noqa: E402


def literal_files(clone: str, commit: str, message: str) -> set[str]:
    phrase = max(re.split(r"['\"`{}()\[\]<>:0-9]", message), key=lambda p: len(p.split())).strip()
    if len(phrase.split()) < 3:
        return set()
    found = subprocess.run(["git", "-C", clone, "grep", "-l", "-F", phrase, commit, "--", "*.py"],
                           capture_output=True, text=True).stdout.splitlines()
    return {line.split(":", 1)[1] for line in found if "/tests/" not in line and "test_" not in line}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clones", required=True)
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(os.path.join(HERE, "dev", "issues.jsonl"))]
    ranks = {json.loads(line)["id"]: json.loads(line).get("rank")
             for line in open(os.path.join(HERE, "results", "issues", "queries-history.jsonl"))}
    with_message = matched = 0
    for r in rows:
        messages = [m for _, m in error_messages(r["query"]) if len(m.split()) >= 3]
        if not messages:
            continue
        with_message += 1
        clone = os.path.join(args.clones, r["repo"].split("/")[1])
        files = set().union(*(literal_files(clone, r["base_commit"], m) for m in messages[:3]))
        hit = bool(files & set(r["gold_files"]))
        matched += hit
        print(f"{r['id']}\tgold rank today {ranks.get(r['id'])}\tliteral in gold: {hit}\t{sorted(files)[:4]}")
    print(f"reports with a message of 3+ words: {with_message} of {len(rows)}; its literal in a gold file: {matched}")


if __name__ == "__main__":
    main()

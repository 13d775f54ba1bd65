"""Would the changes a report links to point at its fix? Measured offline, before building anything.

    python bench/referenced_changes.py --clones CLONES DATA=SIGNALS [DATA=SIGNALS ...]

A report often names other issues or pull requests ("see #7428", ".../pull/6715", "gh-214"). A developer
follows the link: the change that closed it touched files, and this report's fix may lie in the same ones.
For each report of DATA (a `bench/dev/issues*.jsonl`), the numbers it names of its own repository are
looked up in the clone's history before its base commit (merge commits too, by their first-parent diff:
sympy's and astropy's pull requests are named only by their merges), and the files each such commit
changed (at most 50) get `w` added to the score hybrid gave them (`bench/issue_reports.py --signals`
wrote SIGNALS): `share` adds w / (files the commit changed), `binary` adds w. Acc@1 / @5 / MRR are
printed for each weight, with the reports whose top answer changed.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pickle
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rag.ranking_metrics import accuracy_at, first_rank, mean_reciprocal_rank  # noqa: E402

# `#7428`, `gh-214`, `…/issues/7428`, `…/pull/6715` (an anchor's `&#39;` is no reference)
REFERENCE = re.compile(r"(?:(?<![\w/&])#|gh-|GH-|/(?:issues|pull)/)(\d{2,6})\b")
MAX_FILES = 50


def referenced_numbers(report: dict) -> set[str]:
    """The issue and pull-request numbers a report names; a link only when it is to the report's own repository."""
    text, numbers = report["query"], set()
    for m in REFERENCE.finditer(text):
        link = "/issues/" in m.group(0) or "/pull/" in m.group(0)
        if link and report["repo"].lower() not in text[max(0, m.start() - 60):m.end()].lower():
            continue
        numbers.add(m.group(1))
    return numbers


def referenced_files(report: dict, clone: str) -> dict[str, float]:
    """file -> the sum over referencing commits of 1 / (files that commit changed)."""
    files: dict[str, float] = collections.defaultdict(float)
    for number in referenced_numbers(report):
        log = subprocess.run(["git", "-C", clone, "log", report["base_commit"], "--diff-merges=first-parent", "-E",
                              f"--grep=(#|gh-|issues/|pull/){number}([^0-9]|$)", "--name-only", "--format=@@%h"],
                             capture_output=True, text=True).stdout
        for block in log.split("@@")[1:]:
            changed = [line.strip() for line in block.splitlines()[1:] if line.strip()]
            for f in changed if len(changed) <= MAX_FILES else ():
                files[f] += 1.0 / len(changed)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clones", required=True)
    ap.add_argument("--weights", default="0,0.5,1,2,3,5")
    ap.add_argument("pairs", nargs="+", metavar="DATA=SIGNALS")
    args = ap.parse_args()
    for pair in args.pairs:
        data, signals_file = pair.split("=", 1)
        reports = {r["id"]: r for r in map(json.loads, open(data))}
        with open(signals_file, "rb") as f:
            kept = pickle.load(f)
        linked = {i: referenced_files(reports[i], os.path.join(args.clones, s["repo"])) for i, s in kept.items()}
        print(f"{data}: {len(kept)} reports, {sum(map(bool, linked.values()))} with a referenced change")
        for w in map(float, args.weights.split(",")):
            for mode in ("share", "binary"):
                ranks, moved = [], []
                for i, s in kept.items():
                    scores = np.asarray(s["scores"], dtype=float).copy()
                    for j, f in enumerate(s["files"]):
                        if f in linked[i]:
                            scores[j] += w * (min(1.0, linked[i][f]) if mode == "share" else 1.0)
                    before = first_rank([s["files"][j] for j in np.argsort(-np.asarray(s["scores"]), kind="stable")[:10]], s["gold"])
                    after = first_rank([s["files"][j] for j in np.argsort(-scores, kind="stable")[:10]], s["gold"])
                    ranks.append(after)
                    if (before == 1) != (after == 1):
                        moved.append(f"{i} {before}→{after}")
                print(f"  w {w:g} {mode}: {100 * accuracy_at(ranks, 1):.1f} / {100 * accuracy_at(ranks, 5):.1f} / "
                      f"{mean_reciprocal_rank(ranks):.3f}  {' '.join(moved)}")


if __name__ == "__main__":
    main()

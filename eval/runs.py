"""Two saved evaluations compared question by question: `rag eval --compare BEFORE AFTER`.

A run is the `queries.jsonl` that `rag eval --report DIR` writes (or the directory holding it): one
row per question and method, with its `method`, `level`, `id` and `rank`. Between two runs (before and
after a re-index with a tuned embedder, a new version, other settings), each method and level found in
both is compared on the questions both asked (matched by `id`, or by the question's text where a row
has none: never by its line, which a reordered or other file gives to another question), as eval.paired
describes. A question id that stands for different texts in the two runs is refused; one whose gold
modules differ between the runs (the labels were corrected) is left out and counted: its change of
rank says nothing of the method.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from eval.dataset import read_lines
from eval.paired import PairedComparison, compare_ranks
from graph.errors import RagError

# bench/issue_reports.py's rows written before 2026-12-06 name no method or level: they are hybrid's file answers
UNNAMED = ("hybrid", "file")


@dataclass(frozen=True)
class RunComparison:
    method: str
    level: str
    only_before: int  # questions one run asked and the other did not, left out of the comparison
    only_after: int
    paired: PairedComparison
    gold_changed: int = 0  # questions both asked whose gold differs between the runs, left out too


def load_run(path: str) -> dict[tuple[str, str], dict[str, tuple[int | None, str | None, tuple | None]]]:
    """(method, level) → question id → (rank of its first gold module, the question's text, its gold
    modules), from a run's queries.jsonl."""
    if os.path.isdir(path):
        path = os.path.join(path, "queries.jsonl")
    lines = read_lines(path, f"no such run: {path} (give a `rag eval --report` directory or its queries.jsonl)")
    run: dict[tuple[str, str], dict[str, int | None]] = {}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
            key = (row.get("method", UNNAMED[0]), row.get("level", UNNAMED[1]))
            text_asked = row.get("query")
            # an id names a question; else its whole text does (older runs kept only its first line)
            question = str(row.get("id") or row.get("query_sha") or text_asked or row["line"])
            rank = row["rank"]
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise RagError(f"{path}:{number}: not a row of a rag eval run (an object with an id and a rank)") from None
        if rank is not None and (not isinstance(rank, int) or rank < 1):
            raise RagError(f"{path}:{number}: rank must be a whole number from 1, or null")
        answers = run.setdefault(key, {})
        if question in answers:  # the later would silently stand for both
            raise RagError(f"{path}:{number}: the question {_short(question)!r} is asked twice ({key[0]}, {key[1]} "
                           "level): give each row of the labeled file an id to compare its runs")
        gold = row.get("gold")
        answers[question] = (rank, text_asked, tuple(sorted(map(str, gold))) if isinstance(gold, list) else None)
    if not run:
        raise RagError(f"{path} holds no answers")
    return run


def compare_runs(before: dict, after: dict) -> list[RunComparison]:
    """Each method and level in both runs, on the questions both asked; fails when they share none."""
    out, relabeled_only = [], 0
    for key in (k for k in before if k in after):
        common = [q for q in before[key] if q in after[key]]
        if not common:
            continue
        for q in common:
            was, now = before[key][q][1], after[key][q][1]
            if was is not None and now is not None and was != now:
                raise RagError(f"question {q} is {_short(was)!r} in one run and {_short(now)!r} in the other: "
                               "runs of different labeled files cannot be compared question by question")
        relabeled = {q for q in common if None not in (before[key][q][2], after[key][q][2])
                     and before[key][q][2] != after[key][q][2]}
        kept = [q for q in common if q not in relabeled]
        if not kept:
            relabeled_only = max(relabeled_only, len(relabeled))
            continue
        out.append(RunComparison(*key, only_before=len(before[key]) - len(common),
                                 only_after=len(after[key]) - len(common),
                                 paired=compare_ranks([before[key][q][0] for q in kept],
                                                      [after[key][q][0] for q in kept]),
                                 gold_changed=len(relabeled)))
    if not out and relabeled_only:
        raise RagError(f"every question the two runs share ({relabeled_only}) has other gold files in one than in the "
                       "other: nothing is left to compare")
    if not out:
        raise RagError("the two runs share no method, level and question to compare")
    return out


def _short(text: str, chars: int = 60) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"

"""Mine labeled queries from a repository's own git history (`rag eval --from-git`, and training data for `rag finetune`).

A commit becomes a query when it changes one or two non-test source files and its message describes
the change in words; its gold is those files. Dropped, each with its reason counted: merges, reverts
and the commits they revert,
version bumps and releases, formatting/typo/lint/CI/docs-only messages, messages too short to say
anything, messages that name a gold file or module (a leak: the answer is in the question), and
commits whose files no longer exist. Tests, docs and other non-source files neither count nor
disqualify a commit. Rows carry the commit date, so a set can be split by time (train on older
commits, evaluate on newer ones).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field

from graph.history import Commit, clean_message, drop_reason, is_source, read_commits, reverted_hashes

MIN_WORDS = 4


@dataclass
class MiningResult:
    rows: list[dict] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    scanned: int = 0


def mine(repo: str, since: str | None = None, last: int | None = None) -> MiningResult:
    """Labeled queries from the history of the git repository at `repo` (newest first)."""
    result = MiningResult()
    commits = list(read_commits(repo, since=since, last=last))
    reverted = reverted_hashes(commits)
    for commit in commits:
        result.scanned += 1
        reason, row = judge(commit, repo, reverted)
        if reason:
            result.dropped[reason] += 1
        else:
            result.rows.append(row)
    return result


def judge(commit: Commit, repo: str, reverted: set[str] = frozenset()) -> tuple[str | None, dict | None]:
    """(reason to drop, None) or (None, labeled row): a pure decision apart from checking files exist.
    First the rules every reader of the history shares (graph/history.py: drop_reason), then a labeled
    query's own: one or two files, none deleted or moved, a message that describes without naming."""
    reason = drop_reason(commit, reverted)
    if reason:
        return reason, None
    message = clean_message(commit.message)
    sources = commit.source_files()
    if any(is_source(p) and s == "D" for p, s in commit.files.items()) or any(map(is_source, commit.renames)):
        return "deletes a source file", None
    if len(sources) > 2:
        return "more than two source files", None
    if len(re.findall(r"[A-Za-z]{2,}", message)) < MIN_WORDS:
        return "message too short", None
    if any(names_module(message, p) for p in sources):
        return "message names a gold module", None
    if not all(os.path.isfile(os.path.join(repo, p)) for p in sources):
        return "gold file no longer exists", None
    return None, {"id": f"git-{commit.hash[:10]}", "query": message, "gold_files": sources,
                  "commit": commit.hash, "date": commit.date}


def names_module(message: str, path: str) -> bool:
    """Does the message name this file: its path, file name, dotted module, or an identifier-like stem?"""
    stem = os.path.splitext(os.path.basename(path))[0]
    dotted = os.path.splitext(path)[0].replace("/", ".")
    if stem in ("__init__", "index", "mod", "lib", "main"):  # a package's file: its directory names it
        stem = os.path.basename(os.path.dirname(path)) or stem
    text = message.lower()
    if path.lower() in text or os.path.basename(path).lower() in text or dotted.lower() in text:
        return True
    # a stem like `http_proxy` or `HttpProxy` is an identifier: naming it gives the answer away;
    # an ordinary word (`table`, `console`) is how people describe the change, and stays
    identifier_like = "_" in stem or re.search(r"[a-z][A-Z]", stem) is not None
    return identifier_like and re.search(rf"(?<![\w]){re.escape(stem.lower())}(?![\w])", text) is not None

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
import subprocess
from collections import Counter
from dataclasses import dataclass, field

from graph.errors import RagError
from graph.languages import language_for
from graph.roles import SOURCE, file_role

_SEP = "\x1e"  # between commits
_FIELD = "\x1f"  # between header fields
_TRAILER = re.compile(r"^(signed-off-by|co-authored-by|reviewed-by|acked-by|change-id|cc):", re.I)
_REVERT = re.compile(r"^revert\b", re.I)
_REVERTED = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
_BUMP = re.compile(r"\b(bump(ed)? (the )?version|version bump|release v?\d|prepare (for )?release|"
                   r"^v?\d+\.\d+(\.\d+)?$|changelog)\b", re.I)
_CHORE = re.compile(r"\b(typos?|spelling|lint(ing|er)?|flake8|pylint|ruff|black|isort|pre-commit|"
                    r"reformat(ted)?|formatting|whitespace|ci|github actions|workflow|docs?|docstrings?|"
                    r"readme|comments?)\b", re.I)
MIN_WORDS = 4


class MiningError(RagError):
    """The repository's history cannot be read."""


@dataclass
class MiningResult:
    rows: list[dict] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    scanned: int = 0


def mine(repo: str, since: str | None = None, last: int | None = None) -> MiningResult:
    """Labeled queries from the history of the git repository at `repo` (newest first)."""
    result = MiningResult()
    commits = list(_commits(repo, since, last))
    reverted = {h for c in commits for h in _REVERTED.findall(c["message"])}
    for commit in commits:
        result.scanned += 1
        if any(commit["hash"].startswith(h) for h in reverted):
            result.dropped["reverted later"] += 1
            continue
        reason, row = judge(commit, repo)
        if reason:
            result.dropped[reason] += 1
        else:
            result.rows.append(row)
    return result


def judge(commit: dict, repo: str) -> tuple[str | None, dict | None]:
    """(reason to drop, None) or (None, labeled row): a pure decision apart from checking files exist."""
    message = clean_message(commit["message"])
    subject = message.splitlines()[0] if message else ""
    sources = sorted(p for p, status in commit["files"].items()
                     if language_for(p) is not None and file_role(p) == SOURCE and status != "D")
    if len(commit["parents"]) > 1:
        return "merge", None
    if _REVERT.search(subject):
        return "revert", None
    if _BUMP.search(subject):
        return "version bump or release", None
    if not sources:
        return "no source file changed", None
    if any(language_for(p) and file_role(p) == SOURCE and s == "D" for p, s in commit["files"].items()):
        return "deletes a source file", None
    if len(sources) > 2:
        return "more than two source files", None
    if _CHORE.search(subject):
        return "formatting, typo, lint, CI or docs", None
    if len(re.findall(r"[A-Za-z]{2,}", message)) < MIN_WORDS:
        return "message too short", None
    if any(names_module(message, p) for p in sources):
        return "message names a gold module", None
    if not all(os.path.isfile(os.path.join(repo, p)) for p in sources):
        return "gold file no longer exists", None
    return None, {"id": f"git-{commit['hash'][:10]}", "query": message, "gold_files": sources,
                  "commit": commit["hash"], "date": commit["date"]}


def clean_message(message: str) -> str:
    """Subject and body without trailers (Signed-off-by …) and trailing blank lines."""
    lines = [line.rstrip() for line in message.strip().splitlines() if not _TRAILER.match(line.strip())]
    return "\n".join(lines).strip()


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


def _commits(repo: str, since: str | None, last: int | None):
    cmd = ["git", "-C", repo, "-c", "core.quotePath=false", "log", "--no-renames", "--name-status",
           f"--format={_SEP}%H{_FIELD}%P{_FIELD}%aI{_FIELD}%B{_FIELD}"]
    if since:
        cmd.append(f"--since={since}")
    if last:
        cmd.append(f"--max-count={last}")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, errors="replace", check=True).stdout
    except FileNotFoundError:
        raise MiningError("git is not installed") from None
    except subprocess.CalledProcessError as e:
        raise MiningError(f"cannot read the git history of {repo}: {e.stderr.strip().splitlines()[-1] if e.stderr.strip() else e}") from None
    for chunk in out.split(_SEP)[1:]:
        head, _, tail = chunk.rpartition(_FIELD)
        hash_, parents, date, message = head.split(_FIELD, 3)
        files = {}
        for line in tail.strip().splitlines():
            parts = line.split("\t")
            if len(parts) >= 2:
                files[parts[-1]] = parts[0][0]
        yield {"hash": hash_, "parents": parents.split(), "date": date, "message": message, "files": files}

"""The repository's history: what each past change said, and which source files it touched.

`rag index` keeps the history of a git repository in every snapshot (`history.json`) for three
readers: the graph (how often each file changed, and which files change together: coupling that
imports miss), retrieval (past changes whose message resembles a question point at the files they
touched), and `rag eval --from-git` / `rag finetune`, which turn commits into labeled queries
(rag/commit_queries.py). All of them read commits through `read_commits` and leave out the same commits
(`drop_reason`): merges, reverts and the commits they revert, version bumps and releases, formatting,
typo, lint, CI and docs changes, commits that touch no source file, and bulk commits that touch more
than BULK_FILES of them (a mass rename or reformatting says nothing about any one file).

Mining is incremental: a snapshot remembers the HEAD it mined, and the next `rag index` reads only the
commits since, unless the history was rewritten (the old HEAD is no longer an ancestor), when it reads
it all again. A directory without git history, a missing git, an empty repository: no history, and a
note that says why; never an error, since history only adds evidence.

Paths are stored as each commit wrote them, with the renames it made; `current_paths` follows the
renames forward, so a commit from before `utils.py` became `util/text.py` counts for the latter.
"""
from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator

from graph.errors import RagError
from graph.languages import TEMPLATE, language_for, reads_as_template
from graph.roles import SOURCE, file_role

HISTORY_FILE = "history.json"
DEFAULT_MAX_COMMITS = 20_000
BULK_FILES = 20  # a commit touching more source files than this is a sweep, not a change to each
MAX_MESSAGE_CHARS = 2_000  # enough for any description; a pasted log in a message only costs space
CO_CHANGE_MIN = 2  # one shared commit is chance; two or more is coupling (the graph's changed_with edges)

_SEP = "\x1e"  # between commits
_FIELD = "\x1f"  # between header fields
_REVERT = re.compile(r"^revert\b", re.I)
_REVERTED = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
_BUMP = re.compile(r"\b(bump(ed)? (the )?version|version bump|release v?\d|prepare (for )?release|"
                   r"^v?\d+\.\d+(\.\d+)?$|changelog)\b", re.I)
_CHORE = re.compile(r"\b(typos?|spelling|lint(ing|er)?|flake8|pylint|ruff|black|isort|pre-commit|"
                    r"reformat(ted)?|formatting|whitespace|ci|github actions|workflow|docs?|docstrings?|"
                    r"readme|comments?)\b", re.I)
_TRAILER = re.compile(r"^(signed-off-by|co-authored-by|reviewed-by|acked-by|change-id|cc):", re.I)


class HistoryError(RagError):
    """The repository's history cannot be read."""


@dataclass(frozen=True)
class Commit:
    """One commit as git reports it. `files`: path -> status letter (A, M, D, R: the new path of a
    rename); `renames`: old path -> new path."""
    hash: str
    parents: tuple[str, ...]
    date: str  # author date, ISO 8601
    message: str
    files: dict[str, str]
    renames: dict[str, str] = field(default_factory=dict)

    def source_files(self) -> list[str]:
        """The source files the commit left in place (added, modified, or renamed to)."""
        return sorted(p for p, status in self.files.items() if status != "D" and is_source(p))


def is_source(path: str) -> bool:
    """Whether a changed file is one an index answers with. An `.html` file counts only in a folder
    templates live in: whether any other is a template depends on its content, which a commit's list of
    files does not show."""
    spec = language_for(path)
    return spec is not None and file_role(path) == SOURCE and (spec.name != TEMPLATE or reads_as_template(path, b""))


def clean_message(message: str) -> str:
    """Subject and body without trailers (Signed-off-by …) and trailing blank lines."""
    lines = [line.rstrip() for line in message.strip().splitlines() if not _TRAILER.match(line.strip())]
    return "\n".join(lines).strip()


def reverted_hashes(commits: Iterable[Commit]) -> set[str]:
    """The (possibly abbreviated) hashes that some commit's message says it reverts."""
    return {h for c in commits for h in _REVERTED.findall(c.message)}


def drop_reason(commit: Commit, reverted: set[str] = frozenset()) -> str | None:
    """Why a commit says nothing about where a change belongs, or None when it does."""
    subject = clean_message(commit.message).split("\n", 1)[0]
    if len(commit.parents) > 1:
        return "merge"
    if any(commit.hash.startswith(h) for h in reverted):
        return "reverted later"
    if _REVERT.search(subject):
        return "revert"
    if _BUMP.search(subject):
        return "version bump or release"
    sources = commit.source_files()
    if not sources:
        return "no source file changed"
    if len(sources) > BULK_FILES:
        return f"more than {BULK_FILES} source files (bulk)"
    if _CHORE.search(subject):
        return "formatting, typo, lint, CI or docs"
    return None


def read_commits(repo: str, revisions: str = "HEAD", since: str | None = None,
                 last: int | None = None) -> Iterator[Commit]:
    """Commits of `revisions` (newest first) with the files each changed, paths relative to `repo`
    (which may be a subdirectory of its git work tree: only what happened below it counts)."""
    cmd = ["git", "-C", repo, "-c", "core.quotePath=false", "log", "--relative", "--name-status",
           f"--format={_SEP}%H{_FIELD}%P{_FIELD}%aI{_FIELD}%B{_FIELD}", revisions, "--", "."]
    if since:  # an ISO 8601 date, spelt out in full: git reads a bare date at the current time of day
        exact = datetime.fromtimestamp(commit_time(since), timezone.utc).isoformat()
        cmd.insert(-3, f"--since={exact}")
    if last:
        cmd.insert(-3, f"--max-count={last}")
    try:
        out = _git(repo, cmd[:6] + ["-M"] + cmd[6:])
    except HistoryError:
        if revisions == "HEAD" and _quiet_git(repo, "rev-parse", "--git-dir") is not None \
                and _quiet_git(repo, "rev-parse", "--verify", "--quiet", "HEAD") is None:
            raise HistoryError(f"{repo} has no commits yet: there is no history to read") from None
        # rename detection reads the files' contents, and a clone missing some (a partial clone, a
        # snapshot without its largest files) cannot give them: renames then read as delete + add
        out = _git(repo, cmd[:6] + ["--no-renames"] + cmd[6:])
    for chunk in out.split(_SEP)[1:]:
        head, _, tail = chunk.rpartition(_FIELD)
        hash_, parents, date, message = head.split(_FIELD, 3)
        files, renames = {}, {}
        for line in tail.strip().splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[0][:1] in "RC":
                files[parts[2]] = parts[0][0]
                if parts[0][0] == "R":
                    renames[parts[1]] = parts[2]
            elif len(parts) == 2:
                files[parts[1]] = parts[0][0]
        yield Commit(hash_, tuple(parents.split()), date, message, files, renames)


def head(repo: str) -> str | None:
    """The newest commit of `repo`'s history, or None when it has none to read (not a git work tree,
    no commit yet, git not installed, nothing below it tracked). At the top of a work tree that is
    HEAD (~5 ms: what `rag index --check` can afford); in a subdirectory, the newest commit that
    touched it, so that commits elsewhere in a monorepo do not make its index stale."""
    out = _quiet_git(repo, "rev-parse", "--show-prefix", "HEAD")
    if out is None or len(out.splitlines()) != 2:
        return None
    prefix, current = out.splitlines()
    if not prefix:
        return current or None
    if not _quiet_git(repo, "ls-files", "--", "."):
        return None  # an untracked or ignored directory (a download, a build) has no history of its own
    return (_quiet_git(repo, "log", "-1", "--format=%H", "HEAD", "--", ".") or "").strip() or None


def _quiet_git(repo: str, *args: str) -> str | None:
    """git's output, or None when git fails or is missing."""
    try:
        out = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


@dataclass
class History:
    """The kept commits of a repository, newest first, as stored in a snapshot."""
    head: str | None = None  # the commit mined up to; None: no history
    commits: list[dict] = field(default_factory=list)  # {hash, date, time, message, files, renames}
    scanned: int = 0  # commits read, kept or not
    note: str = ""  # why there is no history, or what limited it

    def to_dict(self) -> dict:
        return {"head": self.head, "commits": self.commits, "scanned": self.scanned, "note": self.note}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(d.get("head"), list(d.get("commits", [])), int(d.get("scanned", 0)), str(d.get("note", "")))

    def current_paths(self) -> list[list[str]]:
        """Each kept commit's source files under their names at HEAD (renames followed forward);
        a file deleted since keeps its old name and matches nothing in the index."""
        alias: dict[str, str] = {}
        out = []
        for c in self.commits:  # newest first: a rename is seen before the commits that used the old name
            out.append(sorted({alias.get(p, p) for p in c["files"]}))
            for old, new in c.get("renames", {}).items():
                alias[old] = alias.get(new, new)
        return out


def mine_history(repo: str, previous: History | None = None,
                 max_commits: int = DEFAULT_MAX_COMMITS) -> History:
    """The history of `repo` up to its HEAD: only the commits since `previous.head` when HEAD descends
    from it, all of them (at most `max_commits` scanned) otherwise."""
    current = head(repo)
    if current is None:
        return History(note="no git history (not a git repository, no commit yet, nothing here tracked, or git not installed)")
    if previous is not None and previous.head == current:
        return previous
    since_previous = previous is not None and previous.head is not None and _is_ancestor(repo, previous.head, current)
    if since_previous and previous.scanned + _count_commits(repo, f"{previous.head}..{current}") > max_commits:
        # past the limit, the newest `max_commits` are another window than the previous one plus the new
        # commits: read it whole, as a full build would (spring-framework: 10,669 commits kept of 20,408
        # scanned after an update, 10,390 of 20,000 rebuilt: sweep 16)
        since_previous = False
    try:
        commits = list(read_commits(repo, f"{previous.head}..{current}" if since_previous else current,
                                    last=max_commits))
    except HistoryError as e:  # HEAD is known, its history unreadable: recorded as mined, so not stale forever
        return History(head=current, note=str(e))
    reverted = reverted_hashes(commits)
    kept = [_stored(c) for c in commits if drop_reason(c, reverted) is None]
    scanned = len(commits)
    shallow = _is_shallow(repo)
    # a shallow clone of a later commit (a CI checkout restoring a cached index) lacks the indexed HEAD,
    # so it cannot tell new commits from a rewrite: it keeps what the index had rather than lose it
    keep_previous = since_previous or (shallow and previous is not None and previous.head is not None
                                       and not _has_commit(repo, previous.head))
    if keep_previous:
        seen = {c["hash"] for c in kept}
        kept += [c for c in previous.commits
                 if c["hash"] not in seen and not any(c["hash"].startswith(h) for h in reverted)]
        scanned += previous.scanned
    history = History(current, kept, scanned)
    if scanned >= max_commits:
        history.note = f"history limited to the newest {max_commits:,} commits ([history] max_commits)"
    if shallow:
        history.note = "a shallow clone: history limited to the commits it has" + (
            ", and those the index had" if keep_previous and not since_previous else "")
    return history


def change_counts(history: History) -> tuple[Counter, Counter]:
    """(commits per file, commits per pair of files that changed together), over current paths.
    Pairs are ordered (a < b)."""
    per_file, per_pair = Counter(), Counter()
    for files in history.current_paths():
        per_file.update(files)
        for i, a in enumerate(files):
            for b in files[i + 1:]:
                per_pair[(a, b)] += 1
    return per_file, per_pair


CHANGED_WITH = "changed_with"


def add_history(graph, history: History) -> None:
    """What the history says about the graph's files: `changes` (how many kept commits touched each
    file) on every file node, and a `changed_with` edge each way between files that changed together
    in at least CO_CHANGE_MIN commits, `weight` the number of those commits."""
    per_file, per_pair = change_counts(history)
    for node, attrs in graph.nodes(data=True):
        if attrs.get("kind") == "file":
            attrs["changes"] = per_file.get(node, 0)
    for (a, b), weight in sorted(per_pair.items()):
        if weight >= CO_CHANGE_MIN and a in graph and b in graph:
            graph.add_edge(a, b, key=CHANGED_WITH, weight=weight)
            graph.add_edge(b, a, key=CHANGED_WITH, weight=weight)


def commit_time(date: str) -> int:
    """Seconds since the epoch of an ISO 8601 date (git's %aI, a dev set's meta.date, or a year or a
    month, which start on their first day).

    >>> commit_time("2021") == commit_time("2021-01") == commit_time("2021-01-01")
    True
    """
    if not isinstance(date, str):
        raise TypeError(f"a date must be a string, not {type(date).__name__}")
    if re.fullmatch(r"\d{4}(-\d{2})?", date):  # reduced precision, which ISO 8601 allows and Python does not read
        date += "-01" * (3 - date.count("-") - 1)
    return int(datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp())


def checked_date(date: str, name: str) -> str:
    """`date` when it is an ISO 8601 date; a ValueError naming the setting otherwise (git itself reads
    any word it does not know as "now", so a typo would silently select nothing)."""
    try:
        commit_time(date)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an ISO 8601 date (2022, 2022-03, 2022-03-11 or 2022-03-11T16:26:18+00:00), "
                         f"not {date!r}") from None
    return date


def _stored(c: Commit) -> dict:
    files = c.source_files()
    renames = {old: new for old, new in c.renames.items() if new in files}
    return {"hash": c.hash, "date": c.date, "time": commit_time(c.date),
            "message": clean_message(c.message)[:MAX_MESSAGE_CHARS], "files": files,
            **({"renames": renames} if renames else {})}


def _count_commits(repo: str, revisions: str) -> int:
    """How many commits `read_commits` would read of `revisions` (those touching `repo`'s folder)."""
    out = (_quiet_git(repo, "rev-list", "--count", revisions, "--", ".") or "").strip()
    return int(out) if out.isdigit() else 0


def _is_ancestor(repo: str, old: str, new: str) -> bool:
    return _quiet_git(repo, "merge-base", "--is-ancestor", old, new) is not None


def _has_commit(repo: str, commit: str) -> bool:
    return _quiet_git(repo, "cat-file", "-e", f"{commit}^{{commit}}") is not None


def _is_shallow(repo: str) -> bool:
    return (_quiet_git(repo, "rev-parse", "--is-shallow-repository") or "").strip() == "true"


def _git(repo: str, cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, errors="replace", check=True).stdout
    except FileNotFoundError:
        raise HistoryError("git is not installed") from None
    except subprocess.CalledProcessError as e:
        last = e.stderr.strip().splitlines()[-1] if e.stderr.strip() else str(e)
        raise HistoryError(f"cannot read the git history of {repo}: {last}") from None

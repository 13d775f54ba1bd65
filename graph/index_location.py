"""Which index answers for a path: a repository's own, the index of the repository a folder lies in
(as git finds `.git` above), or the one an `--index-dir` holds, which records its repository.

Light on purpose (no parsing, no retrieval): `rag ask` reads it before it knows whether a running
`rag serve` answers, and a warm server's answer takes milliseconds.
"""
from __future__ import annotations

import os

from graph.errors import IndexStoreError, RagError, RepoError
from graph.store import IndexStore, default_index_dir


def check_repo(repo: str) -> str:
    if not isinstance(repo, (str, os.PathLike)):  # the Python API: Engine.open(None)
        raise RepoError(f"a repository is a path, not {type(repo).__name__}")
    if not str(repo).strip():  # os.path.abspath("") is the current folder: `--repo ""` indexed wherever it ran
        raise RepoError("the repository path is empty: give a folder ('.' for this one)")
    repo = os.path.abspath(repo)
    if not os.path.exists(repo):
        raise RepoError(f"no such path: {repo}")
    if not os.path.isdir(repo):
        raise RepoError(f"not a directory: {repo}")
    return repo


def where_index(path: str, index_dir: str | None = None, replacing: bool = False) -> tuple[str, str, str]:
    """(repository, subdirectory asked about or "", index directory) for a path: as git finds .git, a
    subdirectory without an index of its own is answered from its repository's index.

    An `index_dir` given records the repository it indexes: a folder of that repository is answered
    from it; another repository that still exists is refused (IndexStoreError), unless `replacing`
    (`rag index --full`); a recorded repository that is gone has moved, and where to is found by
    where its files are (a CI cache restored beside a checkout at a new path)."""
    repo, within = check_repo(path), ""
    owner = IndexStore(repo).recorded_root()
    if owner is not None:
        raise RepoError(f"{repo} is an index, not a repository: give the repository it indexes ({owner})")
    if index_dir is not None:
        store, here = IndexStore(index_dir), os.path.realpath(repo)
        root = recorded = store.recorded_root()
        if recorded is not None and not os.path.isdir(recorded):
            root = _moved_to(store, here)
            if root is None and not replacing:
                raise IndexStoreError(f"{store.dir} holds the index of {recorded}, which is gone, and "
                                      f"its files are not under {here}: give another --index-dir "
                                      "(`rag index --full` replaces that index)")
        if root is not None and _below(here, root):
            repo, within = root, os.path.relpath(here, root).replace(os.sep, "/") + "/"
        elif root is not None and root != here and not replacing:
            store.refuse_other_repository(repo)
    elif not IndexStore(default_index_dir(repo)).exists():
        root = enclosing_index(repo)
        if root is not None:
            repo, within = root, os.path.relpath(repo, root).replace(os.sep, "/") + "/"
    return repo, within, index_dir or default_index_dir(repo)


def _moved_to(store: IndexStore, here: str, sample_size: int = 20) -> str | None:
    """Where the repository of an index whose recorded path is gone lies now: `here` or the nearest
    folder above it holding most of a sample of the index's files; None when none does."""
    try:
        files = sorted(store.manifest().files)
    except RagError:
        return None
    sample = files[:: max(1, len(files) // sample_size)][:sample_size]
    candidate = here
    while sample:
        if 2 * sum(os.path.isfile(os.path.join(candidate, f)) for f in sample) >= len(sample):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate or os.path.exists(os.path.join(candidate, ".git")):
            return None
        candidate = parent
    return None


def _below(path: str, folder: str) -> bool:
    """Whether `path` lies strictly inside `folder` (both real paths)."""
    return os.path.commonpath([path, folder]) == folder and path != folder


def enclosing_index(path: str) -> str | None:
    """The nearest directory above `path` whose index covers files under `path`, if any. A directory
    that is a repository of its own (it has `.git`) or that no enclosing index covers gets its own;
    one that git tracks or would track (a folder added since the index was built) is covered: the
    next `rag index` brings it in."""
    above = index_above(path)
    if above is None:
        return None
    prefix = os.path.relpath(os.path.abspath(path), above).replace(os.sep, "/") + "/"
    try:
        covered = any(f.startswith(prefix) for f in IndexStore(default_index_dir(above)).manifest().files)
    except RagError:
        covered = False
    return above if covered or _git_ignores(above, prefix) is False else None


def _git_ignores(work_tree: str, folder: str) -> bool | None:
    """Whether git ignores `folder` of the work tree; None without git or outside a work tree."""
    import subprocess

    try:
        done = subprocess.run(["git", "-C", work_tree, "check-ignore", "-q", folder], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return {0: True, 1: False}.get(done.returncode)


def index_above(path: str) -> str | None:
    """The nearest directory above `path` with an index, whether or not it covers `path`; None at a
    repository of its own (it has `.git`)."""
    path = os.path.abspath(path)
    if os.path.exists(os.path.join(path, ".git")):
        return None
    current = path
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
        if IndexStore(default_index_dir(current)).exists():
            return current

"""Which index answers for a path: a repository's own, the index of the repository a folder lies in
(as git finds `.git` above), or the one an `--index-dir` holds, which records its repository.

Light on purpose (no parsing, no retrieval): `rag ask` reads it before it knows whether a running
`rag serve` answers, and a warm server's answer takes milliseconds.
"""
from __future__ import annotations

import os

from graph.errors import RagError, RepoError
from graph.store import IndexStore, default_index_dir


def check_repo(repo: str) -> str:
    if not isinstance(repo, (str, os.PathLike)):  # the Python API: Engine.open(None)
        raise RepoError(f"a repository is a path, not {type(repo).__name__}")
    repo = os.path.abspath(repo)
    if not os.path.exists(repo):
        raise RepoError(f"no such path: {repo}")
    if not os.path.isdir(repo):
        raise RepoError(f"not a directory: {repo}")
    return repo


def where_index(path: str, index_dir: str | None = None) -> tuple[str, str, str]:
    """(repository, subdirectory asked about or "", index directory) for a path: as git finds .git, a
    subdirectory without an index of its own is answered from its repository's index."""
    repo, within = check_repo(path), ""
    owner = IndexStore(repo).recorded_root()
    if owner is not None:
        raise RepoError(f"{repo} is an index, not a repository: give the repository it indexes ({owner})")
    if index_dir is not None:  # the index records its repository: a folder of that one is answered from it
        root = IndexStore(index_dir).recorded_root()
        if root is not None and _below(os.path.realpath(repo), root):
            repo, within = root, os.path.relpath(os.path.realpath(repo), root).replace(os.sep, "/") + "/"
    elif not IndexStore(default_index_dir(repo)).exists():
        root = enclosing_index(repo)
        if root is not None:
            repo, within = root, os.path.relpath(repo, root).replace(os.sep, "/") + "/"
    return repo, within, index_dir or default_index_dir(repo)


def _below(path: str, folder: str) -> bool:
    """Whether `path` lies strictly inside `folder` (both real paths)."""
    return os.path.commonpath([path, folder]) == folder and path != folder


def enclosing_index(path: str) -> str | None:
    """The nearest directory above `path` whose index covers files under `path`, if any. A directory
    that is a repository of its own (it has `.git`) or that no enclosing index covers gets its own."""
    above = index_above(path)
    if above is None:
        return None
    prefix = os.path.relpath(os.path.abspath(path), above).replace(os.sep, "/") + "/"
    try:
        covered = any(f.startswith(prefix) for f in IndexStore(default_index_dir(above)).manifest().files)
    except RagError:
        covered = False
    return above if covered else None


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

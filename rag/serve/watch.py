"""Keep a served repository's index fresh: watch its work tree, re-index once edits settle.

One thread per repository runs `watchfiles` (inotify on Linux, polling where there is none). A batch
of changes marks the repository's answers as not fresh at once; the re-index starts when no change
has come for `debounce_ms`, and changes made while it runs make the next batch. Which changes count:
the files `rag index` could read (by their names: a git-ignored source file still counts), git's HEAD and branch refs (a commit is new history), and the index's
manifest when another `rag index` replaced it (the server then loads that index); not the rest of
the index directory, caches or the rest of `.git`.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from graph.store import MANIFEST
from graph.languages import language_for
from graph.walk import CONFIG_NAME, DEFAULT_EXCLUDED_DIRS, README_NAMES

if TYPE_CHECKING:  # the workspace's freshness look reads could_be_read from here
    from rag.serve.workspace import ServedRepo


def counts(repo: str, index_dir: str, path: str, git_dir: str | None = None) -> bool:
    """Whether a change of `path` can change the index of the repository at `repo`, whose git
    directory is `git_dir` (default `repo/.git`; above `repo` when the index is of a subdirectory).

    >>> counts("/r", "/r/.rag", "/r/src/app.py"), counts("/r", "/r/.rag", "/r/.rag/snap-1/graph.json")
    (True, False)
    >>> counts("/r", "/r/.rag", "/r/.rag/manifest.json")
    True
    >>> counts("/r", "/r/.rag", "/r/.git/index"), counts("/r", "/r/.rag", "/r/.git/refs/heads/main")
    (False, True)
    >>> counts("/w/r", "/w/r/.rag", "/w/.git/HEAD", git_dir="/w/.git"), counts("/w/r", "/w/r/.rag", "/w/x.py", "/w/.git")
    (True, False)
    """
    git_dir = git_dir or os.path.join(repo, ".git")
    if path == index_dir or path.startswith(index_dir + os.sep):
        return path == os.path.join(index_dir, MANIFEST)  # another `rag index` published a new index
    if path.startswith(git_dir + os.sep):  # what moves when a commit is made
        rest = os.path.relpath(path, git_dir)
        return rest in ("HEAD", "packed-refs") or rest.startswith("refs" + os.sep)
    relative = os.path.relpath(path, repo)
    if relative.startswith(os.pardir):
        return False
    parts = relative.split(os.sep)
    if parts[0] == ".git":  # a work tree's .git file (a worktree, a submodule): its refs live elsewhere
        return False
    return (not any(p in DEFAULT_EXCLUDED_DIRS for p in parts)  # a __pycache__ made is no change either
            and could_be_read(parts[-1], folder=not os.path.isfile(path)))


def could_be_read(name: str, folder: bool = True) -> bool:
    """Whether `rag index` could read a file of this name: a source file of a language it parses, a
    README, rag.toml, go.mod; or, unless it is known to be a file (`folder=False`: `tags`, `nohup`), a
    name without a suffix, which may be a directory moved or removed whole. A log or a build artefact
    written every second re-indexed the repository every second.

    >>> could_be_read("cart.py"), could_be_read("README.md"), could_be_read("pkg"), could_be_read("server.log")
    (True, True, True, False)
    >>> could_be_read("tags", folder=False), could_be_read("README", folder=False)
    (False, True)
    """
    return (language_for(name) is not None or name in README_NAMES or name in (CONFIG_NAME, "go.mod")
            or folder and "." not in name.lstrip("."))


def git_dir_of(repo: str) -> str | None:
    """The `.git` directory of the work tree `repo` lies in: its own, or the nearest above it."""
    current = os.path.abspath(repo)
    while True:
        candidate = os.path.join(current, ".git")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class Watcher:
    """Watches one served repository until `stop()`."""

    def __init__(self, repo: ServedRepo, debounce_ms: int):
        self.repo = repo
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch {repo.name}", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            self._watch()
        except Exception as e:  # no more watching (the tree is gone, no inotify watches left): said, not silent
            self.repo.last_error = f"watching the work tree stopped ({type(e).__name__}: {e}); answers may go stale"

    def _a_file_gone(self, path: str) -> bool:
        """Whether `path`, a name without a suffix that is gone, held no indexed file: a file such as
        `tags` deleted (counts() cannot tell a file from a folder once it is gone), not a folder."""
        name = os.path.basename(path)
        if "." in name.lstrip(".") or os.path.lexists(path):
            return False
        engine = self.repo.engine
        folder = os.path.relpath(path, engine.repo).replace(os.sep, "/") + "/"
        return not any(f.startswith(folder) for f in engine.retriever.manifest.files)

    def _watch(self) -> None:
        import watchfiles

        # the whole repository the index is of (a server of a subdirectory answers from its repository's
        # index, which edits anywhere in it change), and its git directory, wherever that is
        repo, index_dir = self.repo.engine.repo, self.repo.engine.store.dir
        git_dir = git_dir_of(repo)
        roots = [repo] + ([git_dir] if git_dir and not git_dir.startswith(repo + os.sep) else [])
        # step: a batch ends after this long without a change; debounce: the longest a batch stays open
        settle = max(self.debounce_ms, 1)
        for batch in watchfiles.watch(*roots, watch_filter=lambda _, path: counts(repo, index_dir, path, git_dir)
                                      and not self._a_file_gone(path),
                                      step=settle, debounce=max(10 * settle, 1600), stop_event=self._stop,
                                      raise_interrupt=False, ignore_permission_denied=True):
            changed = {os.path.relpath(path, repo) for _, path in batch}
            if self._stop.is_set():
                return
            if changed == {os.path.relpath(os.path.join(index_dir, MANIFEST), repo)} and not self.repo.behind():
                continue  # our own re-index published it
            self.repo.changed(changed)
            self.repo.refresh()

"""Keep a served repository's index fresh: watch its work tree, re-index once edits settle.

One thread per repository runs `watchfiles` (inotify on Linux, polling where there is none). A batch
of changes marks the repository's answers as not fresh at once; the re-index starts when no change
has come for `debounce_ms`, and changes made while it runs make the next batch. Which changes count:
the files `rag index` could read, git's HEAD and branch refs (a commit is new history), and the index's
manifest when another `rag index` replaced it (the server then loads that index); not the rest of
the index directory, caches or the rest of `.git`.
"""
from __future__ import annotations

import os
import threading

from graph.store import MANIFEST
from graph.walk import DEFAULT_EXCLUDED_DIRS
from rag.serve.workspace import ServedRepo


def counts(repo: str, index_dir: str, path: str) -> bool:
    """Whether a change of `path` can change the index of the repository at `repo`.

    >>> counts("/r", "/r/.rag", "/r/src/app.py"), counts("/r", "/r/.rag", "/r/.rag/snap-1/graph.json")
    (True, False)
    >>> counts("/r", "/r/.rag", "/r/.rag/manifest.json")
    True
    >>> counts("/r", "/r/.rag", "/r/.git/index"), counts("/r", "/r/.rag", "/r/.git/refs/heads/main")
    (False, True)
    """
    if path == index_dir or path.startswith(index_dir + os.sep):
        return path == os.path.join(index_dir, MANIFEST)  # another `rag index` published a new index
    relative = os.path.relpath(path, repo)
    if relative.startswith(os.pardir):
        return False
    parts = relative.split(os.sep)
    if parts[0] == ".git":  # what moves when a commit is made
        rest = os.sep.join(parts[1:])
        return rest in ("HEAD", "packed-refs") or rest.startswith("refs" + os.sep)
    return not any(p in DEFAULT_EXCLUDED_DIRS for p in parts[:-1]) and not parts[-1].endswith((".pyc", "~", ".swp"))


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

    def _watch(self) -> None:
        import watchfiles

        repo, index_dir = self.repo.path, self.repo.engine.store.dir
        # step: a batch ends after this long without a change; debounce: the longest a batch stays open
        settle = max(self.debounce_ms, 1)
        for batch in watchfiles.watch(repo, watch_filter=lambda _, path: counts(repo, index_dir, path),
                                      step=settle, debounce=max(10 * settle, 1600), stop_event=self._stop,
                                      raise_interrupt=False, ignore_permission_denied=True):
            changed = {os.path.relpath(path, repo) for _, path in batch}
            if self._stop.is_set():
                return
            if changed == {os.path.relpath(os.path.join(index_dir, MANIFEST), repo)} and not self.repo.behind():
                continue  # our own re-index published it
            self.repo.changed(changed)
            self.repo.refresh()

"""The repositories a server answers for, each with a warm engine that a re-index replaces whole.

The tools of `rag serve` are methods here, plain Python over plain dicts, so that the MCP layer
(`rag/serve/mcp_server.py`) and the CLI's local door (`rag/serve/door.py`) stay thin and say the same.
A question is answered from the engine in place; a re-index builds a new engine beside it, warms it
and swaps it in, so no answer waits for an index and none reads half of one.
"""
from __future__ import annotations

import difflib
import os
import posixpath
import sys
import threading
import time

from graph.errors import RagError
from rag.engine import Engine
from rag.serve.freshness import folder_stamp, stamp, unseen_edits
from rag.settings import RetrievalSettings, ServeSettings

PENDING_SHOWN = 20  # changed paths listed by index_status


class ServedRepo:
    """One repository: its engine, whether edits wait for a re-index, and how the last one went."""

    def __init__(self, name: str, path: str, engine: Engine, settings: RetrievalSettings,
                 built_since_ns: int | None = None):
        self.name = name
        self.path = path
        self.engine = engine
        self.settings = settings
        self.pending: set[str] = set()  # paths changed since the engine in place was built
        self.refreshing = False
        self.last_error: str | None = None
        self.refreshes = 0
        self._ask_lock = threading.Lock()  # the retriever fills caches on first use: one question at a time
        self._refresh_lock = threading.Lock()
        self._graph = None  # (snapshot, graph), loaded by the first `describe`
        self.after_refresh = None  # called after each re-index that landed (the server re-checks its claim)
        self.watched = True  # False (`rag serve --no-watch`): edits go unseen, so freshness is unknown
        # what the engine in place saw of the work tree (rag/serve/freshness.py), built since `built_since_ns`
        now = time.time_ns()
        self.stamp = stamp(engine.repo, engine.retriever.files, built_since_ns or now, now)

    @classmethod
    def open(cls, name: str, path: str, settings: RetrievalSettings = RetrievalSettings(), progress=None) -> ServedRepo:
        """Bring the index up to date, load it and warm it."""
        started = time.time_ns()
        engine = Engine.open(path, settings=settings, refresh=True, progress=progress)
        _warm(engine)
        return cls(name, path, engine, settings, built_since_ns=started)

    @property
    def fresh(self) -> bool | None:
        return self.look()[0]

    def look(self) -> tuple[bool | None, list[str]]:
        """(whether answers reflect the work tree as it is, the files edited since that the watcher has
        not reported yet); fresh is None when nothing watches the work tree."""
        if not self.watched:
            return None, []
        if self.pending or self.refreshing or self.last_error is not None:
            return False, []
        edited = unseen_edits(self.engine.repo, self.stamp)
        return not edited, edited

    def behind(self) -> bool:
        """Whether the index on disk is another than the one answering (a `rag index` ran beside us)."""
        try:
            return self.engine.store.manifest().snapshot != self.engine.retriever.manifest.snapshot
        except RagError:
            return True

    def changed(self, paths: set[str]) -> None:
        """The watcher saw edits: answers say they are not fresh until the re-index lands."""
        self.pending |= paths

    def refresh(self) -> bool:
        """Re-index incrementally and swap the new engine in; False (and `last_error`) if that failed,
        in which case the engine in place keeps answering."""
        with self._refresh_lock:
            seen, self.refreshing, started = set(self.pending), True, time.time_ns()
            # the folders as the build begins to read them: a file added while it runs is new after it
            folders = folder_stamp(self.engine.repo, self.engine.retriever.files)
            try:
                engine = Engine.open(self.path, settings=self.settings, refresh=True)
                _warm(engine)
            except RagError as e:
                self.last_error = str(e)
                return False
            except Exception as e:  # a bug of ours must not take the server down with it
                self.last_error = f"internal error: {type(e).__name__}: {e}"
                print(f"rag serve: re-indexing {self.path} failed: {self.last_error}", file=sys.stderr)
                return False
            finally:
                self.refreshing = False
            # a folder the new index is the first to hold is stamped as it is now (sweep 13: one was never
            # stamped, and a file added there later was called fresh)
            in_new_folders = [f for f in engine.retriever.files if os.path.dirname(f) not in folders]
            folders = {**folder_stamp(engine.repo, in_new_folders), **folders}
            tree = stamp(engine.repo, engine.retriever.files, started, time.time_ns(), folders)
            with self._ask_lock:
                self.engine, self._graph, self.stamp = engine, None, tree
            self.pending -= seen  # edits made while it ran wait for the next round
            self.last_error = None
            self.refreshes += 1
            if self.after_refresh is not None:
                self.after_refresh()
            return True

    def ask(self, question: str, k: int, level: str, within: str = "") -> dict:
        def asked():
            with self._ask_lock:
                return self.engine.scoped(within).ask(question, k=k, level=level)

        result = self._reloading(asked)
        out = result.to_dict()
        out["warnings"] = result.warnings + self._staleness()
        fresh, edited = self.look()  # the watcher's event for an edit made a moment ago may not have come yet
        if edited:
            out["warnings"].append(f"{len(edited)} file(s) changed a moment ago ({', '.join(edited[:3])}); "
                                   "answering from the index before them while the re-index starts")
        out["index"] = {"repo": self.name, "fresh": fresh, "snapshot": self.engine.retriever.manifest.snapshot}
        return out

    def _staleness(self) -> list[str]:
        if self.last_error:
            return [f"the index could not be brought up to date ({self.last_error}); answering from the last good one"]
        if self.pending or self.refreshing:
            return [f"{len(self.pending)} changed file(s) wait for the re-index under way; answering from the "
                    "index before them"]
        if not self.watched:
            return [f"this server does not watch the work tree (--no-watch): answers are from the index built "
                    f"{self.engine.retriever.manifest.created}, and edits since are not in it"]
        return []

    def _reloading(self, read):
        """`read()`, once more after loading the index on disk when the engine's own snapshot has gone
        from under it: two `rag index` runs beside a server that does not watch (`--no-watch`) prune the
        snapshot it loaded, and what it reads lazily (the graph, past changes) is no longer there."""
        from graph.errors import IndexStoreError

        try:
            return read()
        except IndexStoreError:
            if not self.behind() or not self.refresh():
                raise
            return read()

    def graph(self):
        return self._reloading(self._graph_in_place)

    def _graph_in_place(self):
        """The code graph of the engine in place (loaded once per snapshot)."""
        from graph.indexer import load_graph

        with self._ask_lock:
            engine, cached = self.engine, self._graph
        manifest = engine.retriever.manifest
        if cached is None or cached[0] != manifest.snapshot:
            cached = (manifest.snapshot, load_graph(engine.store, manifest))
            with self._ask_lock:
                if self.engine is engine:
                    self._graph = cached
        return cached[1]

    def status(self) -> dict:
        engine = self.engine
        manifest = engine.retriever.manifest
        fresh, edited = self.look()
        pending = sorted(self.pending | set(edited))
        return {"repo": self.name, "path": self.path, "index_dir": engine.store.dir, "fresh": fresh,
                "refreshing": self.refreshing, "pending": pending[:PENDING_SHOWN], "pending_count": len(pending),
                "last_error": self.last_error, "snapshot": manifest.snapshot, "built": manifest.created,
                "counts": dict(manifest.counts), "history_head": manifest.history_head,
                "refreshes": self.refreshes, "watching": self.watched}


class Workspace:
    """The repositories of one server, by name, and the tools over them."""

    def __init__(self, repos: list[ServedRepo], settings: ServeSettings = ServeSettings()):
        self.repos = {r.name: r for r in repos}
        self.settings = settings

    @classmethod
    def open(cls, paths: list[str], settings: ServeSettings = ServeSettings(),
             retrieval: RetrievalSettings = RetrievalSettings(), progress=None) -> Workspace:
        from graph.index_location import check_repo

        paths = [check_repo(p) for p in paths]
        if len(set(paths)) < len(paths):
            raise RagError("a repository is named twice")
        names = repo_names(paths)
        return cls([_opened(names[p], p, retrieval, progress, several=len(paths) > 1) for p in paths], settings)

    def repo(self, name: str | None) -> ServedRepo:
        """The repository a tool call names: by name or path; may be left out when there is only one."""
        if not name:
            if len(self.repos) == 1:
                return next(iter(self.repos.values()))
            raise RagError(f"several repositories are served: name one with repo= ({', '.join(self.repos)})")
        if name in self.repos:
            return self.repos[name]
        by_path = {r.path: r for r in self.repos.values()}
        found = by_path.get(os.path.abspath(os.path.expanduser(name)))
        if found is None:
            raise RagError(f"unknown repository {name!r}: served are {', '.join(self.repos)}")
        return found

    # --- the tools ---------------------------------------------------------------------------

    def locate(self, question: str, k: int = 10, level: str = "file", repo: str | None = None,
               within: str = "") -> dict:
        """`within`: only answers under this folder of the repository ("pkg/sub/"; `rag ask --repo
        FOLDER` through the door)."""
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= self.settings.max_k:
            raise RagError(f"k must be a whole number from 1 to {self.settings.max_k}, not {k!r}")
        if not question or not question.strip():
            raise RagError("the query is empty")  # as Engine.ask says it
        folder = posixpath.normpath(within.strip()) if isinstance(within, str) else ".."
        if folder == ".." or folder.startswith(("../", "/")):
            raise RagError(f"the folder must be a path inside the repository, not {within!r}")
        served = self.repo(repo)
        if os.path.isfile(os.path.join(served.engine.repo, folder)):  # was "holds no source file"
            raise RagError(f"the folder {folder} is a file: give the folder that holds it "
                           f"({posixpath.dirname(folder) or '.'})")
        return served.ask(question, k, level, "" if folder == "." else folder + "/")

    def describe(self, module: str, repo: str | None = None) -> dict:
        from graph.neighbours import definitions, member_files, neighbours

        served = self.repo(repo)
        modules = served.engine.retriever.modules
        m = modules.get(module) or modules.get(module.rstrip("/") + "/")
        if m is None:
            close = difflib.get_close_matches(module, list(modules), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise RagError(f"no module {module!r} in {served.name}{hint}")
        g = served.graph()
        files = member_files(g, m.id)
        children = sorted(c.id for c in modules.values() if c.parent == m.id)
        return {"module": m.id, "kind": m.kind, "name": m.name, "summary": m.summary, "parent": m.parent,
                "children": children, "language": m.language, "files": m.files, "lines": m.lines,
                "role": m.role, "keywords": m.keywords,
                "symbols": definitions(g, files, self.settings.symbols),
                "neighbours": neighbours(g, m.id, self.settings.neighbours).to_dict(),
                "changes": m.changes, "changed_with": m.changed_with,
                "index": {"repo": served.name, "fresh": served.fresh}}

    def modules(self, prefix: str = "", offset: int = 0, limit: int | None = None, all: bool = False,
                repo: str | None = None) -> dict:
        served = self.repo(repo)
        limit = limit or self.settings.page_size
        if not 1 <= limit <= self.settings.page_size:
            raise RagError(f"limit must be from 1 to {self.settings.page_size}, not {limit}")
        if offset < 0:
            raise RagError(f"offset must be 0 or more, not {offset}")
        chosen = sorted((m for m in served.engine.retriever.modules.values()
                         if m.id.startswith(prefix) and (all or m.role == "source" or m.kind == "named")),
                        key=lambda m: m.id)
        page = chosen[offset:offset + limit]
        following = offset + len(page)
        return {"repo": served.name, "fresh": served.fresh, "total": len(chosen), "offset": offset,
                "next_offset": following if following < len(chosen) else None,
                "modules": [{"id": m.id, "kind": m.kind, "parent": m.parent, "summary": m.summary,
                             "files": m.files, "lines": m.lines} for m in page]}

    def index_status(self, repo: str | None = None) -> dict:
        if repo:
            return self.repo(repo).status()
        return {"repos": [r.status() for r in self.repos.values()]}


def _opened(name: str, path: str, retrieval: RetrievalSettings, progress, several: bool) -> ServedRepo:
    """ServedRepo.open; among several repositories an error says which one it is about."""
    try:
        return ServedRepo.open(name, path, retrieval, progress)
    except RagError as e:
        if several and path not in str(e):
            raise type(e)(f"{path}: {e}") from None
        raise


def repo_names(paths: list[str]) -> dict[str, str]:
    """A short name per repository: its directory's name, with as much of its path as tells it apart."""
    names = {}
    for p in paths:
        parts = p.rstrip(os.sep).split(os.sep)
        depth = 1
        while depth < len(parts) and sum(q.rstrip(os.sep).split(os.sep)[-depth:] == parts[-depth:] for q in paths) > 1:
            depth += 1
        names[p] = "/".join(parts[-depth:]) or p
    return names


def _warm(engine: Engine) -> None:
    """One question through every stage, so that the first real one pays no loading."""
    engine.ask("warm up the index", k=1)

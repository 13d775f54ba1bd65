"""`rag index`: walk, hash, re-parse what changed, rebuild the graph and modules, commit a snapshot.

Parse results are kept per file in the snapshot; a rebuild re-parses only files whose content hash
changed and rebuilds the graph from all of them, so an incremental index equals a full one.
"""
from __future__ import annotations

import gc
import json
import os
import posixpath
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

import orjson

from graph.build import build_graph
from graph.config import HistorySettings, RepoConfig, parse_config
from graph.errors import IndexCorruptError, IndexStoreError, RepoError
from graph.history import HISTORY_FILE, History, add_history, head, mine_history
from graph.languages import BY_NAME
from graph.modules import Module, build_modules
from graph.package_manifests import package_folders
from graph.roles import SOURCE, file_role
from graph.settings_model import setting
from graph.index_location import check_repo
from graph.store import FORMAT_VERSION, IndexStore, Manifest, default_index_dir, jsonl_line, jsonl_lines
from graph.symbols import FileSymbols
from graph.version import TOOL_VERSION
from graph.walk import CONFIG_NAME, FoundFile, WalkResult, walk

if TYPE_CHECKING:
    import networkx as nx

    from graph.code_graph import CodeGraph

PARALLEL_THRESHOLD = 64  # fewer files than this parse faster in-process than with worker start-up

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class BuildContext:
    """What an index extension gets to build its part of the snapshot from."""

    repo: str
    graph: CodeGraph
    modules: list[Module]
    sources: list[FoundFile]  # with their text
    store: IndexStore
    previous: Manifest | None  # the index being replaced, for caches (also when settings changed); None on --full
    progress: Progress | None
    history: History = field(default_factory=History)


class IndexExtension(Protocol):
    """A later stage (retrieval indexes, …) that adds files to each snapshot.

    `settings()` goes into the manifest: when it changes, the index is stale and rebuilt in full.
    `build()` returns the snapshot files to add, as (name, text chunks or a writer of a path), and
    the models it used, for the manifest.
    """

    name: str

    def settings(self) -> dict: ...

    def build(self, ctx: BuildContext) -> tuple[list[tuple[str, object]], dict[str, str]]: ...


@dataclass(frozen=True)
class IndexOptions:
    """How one `rag index` run goes; the fields with help are its command-line flags."""
    index_dir: str | None = None  # default <repo>/.rag
    full: bool = setting(False, "rebuild everything, ignoring the previous index")
    jobs: int = setting(0, "parse with N processes; 0: one per core when there are many files", metavar="N",
                        zero_allowed=True)
    # patterns given here are remembered by the index they built, as --no-history is: later runs that
    # give none (rag ask, --check) keep them until --full; rag.toml's [index] is the place for lasting ones
    include: tuple[str, ...] = setting((), "index only source files matching this gitignore-style pattern "
                                           "(repeatable; remembered: later runs keep it until --full)", metavar="GLOB")
    exclude: tuple[str, ...] = setting((), "also skip paths matching this gitignore-style pattern (repeatable; "
                                           "remembered: later runs keep it until --full)", metavar="GLOB")
    # False (--no-history): no git history, whatever rag.toml says, and the index remembers it: later
    # runs (None) keep it off until `--full`; True: on again
    history: bool | None = setting(None, "leave the git history out of the index (remembered: later runs keep "
                                         "it out until --full)", flag="--no-history")

    def __post_init__(self):
        if self.jobs < 0:
            raise ValueError("jobs must be 0 (automatic) or a positive number")


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    reason: str = ""  # why everything is stale (no index, settings or format changed), if so
    damaged: list[str] = field(default_factory=list)  # what is wrong with the index's files (store.damage)
    history: str = ""  # how the git history moved since the index (new commits), if it did

    @property
    def stale(self) -> bool:
        return bool(self.added or self.modified or self.deleted or self.reason or self.history)

    def describe(self, limit: int = 20) -> list[str]:
        lines = [self.reason] if self.reason else []
        lines += [self.history] if self.history else []
        for sign, paths in (("+", self.added), ("~", self.modified), ("-", self.deleted)):
            lines += [f"{sign} {p}" for p in paths[:limit]]
            if len(paths) > limit:
                lines.append(f"{sign} … and {len(paths) - limit} more")
        return lines


@dataclass
class IndexReport:
    index_dir: str
    changes: Changes
    parsed: int
    reused: int
    files: int
    modules: int
    syntax_errors: int  # files parsed with recovered syntax errors
    skipped: dict[str, list[str]]
    seconds: float
    wrote: bool  # False when the index was already fresh
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    history: str = ""  # what was mined from git, or why nothing was
    # rag.toml's named modules with paths that match no file, and those paths (RepoConfig.unmatched_paths)
    unmatched_paths: list = field(default_factory=list)
    syntax_error_files: list = field(default_factory=list)  # which files had them, when this run parsed (sorted)


def check(repo: str, options: IndexOptions = IndexOptions(), extensions: Sequence[IndexExtension] = (),
          verify: bool = True) -> Changes:
    """What changed since the index was built (a read-only look; nothing is written). `verify` reads
    every byte of the index to find damage; without it only the files' sizes are compared (what a
    question can afford)."""
    repo = check_repo(repo)
    store = IndexStore(options.index_dir or default_index_dir(repo))
    store.refuse_other_repository(repo)
    options = _remembered(options, store)
    config = _load_config(repo, options)
    found = walk(repo, config.walk)
    store.refuse_newer()
    config = _with_history_choice(config, options)
    return _changes(store, found, _settings(config, options, extensions), verify, _head(repo, config))


SAID_STEPS_MIN_FILES = 1_000  # from here on the graph, history and summaries take seconds (~5 ms a file)


def index(repo: str, options: IndexOptions = IndexOptions(), progress: Progress | None = None,
          on_lock_wait: Callable[[], None] | None = None,
          extensions: Sequence[IndexExtension] = ()) -> IndexReport:
    with _without_cycle_collection():
        return _index(repo, options, progress, on_lock_wait, extensions)


@contextmanager
def _without_cycle_collection():
    """A build allocates hundreds of thousands of long-lived objects (parse results, graph attributes,
    token lists) and next to no reference cycles, yet the cycle collector walks them again and again:
    on django's 2,833 files the definition table took 0.5 s with it and 0.2 s without. Reference
    counting still frees what is dropped; the collector resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _index(repo: str, options: IndexOptions, progress: Progress | None, on_lock_wait: Callable[[], None] | None,
           extensions: Sequence[IndexExtension]) -> IndexReport:
    start = time.perf_counter()
    timings: dict[str, float] = {}
    clock = [start]

    def lap(phase: str) -> None:
        now = time.perf_counter()
        timings[phase] = round(now - clock[0], 4)
        clock[0] = now

    repo = check_repo(repo)
    store = IndexStore(options.index_dir or default_index_dir(repo))
    if not options.full:
        store.refuse_other_repository(repo)
    options = _remembered(options, store)
    config = _load_config(repo, options)
    found = walk(repo, config.walk)
    lap("walk")
    sources = [f for f in found.files if f.kind == "source"]
    if not sources:
        if config.walk.include:  # the files may be there: the patterns left them out
            raise RepoError(f"nothing to index in {repo}: no source file matches the include patterns "
                            f"({', '.join(config.walk.include)}; --include and rag.toml's [index] include)"
                            + _skipped_note(found))
        raise RepoError(f"nothing to index in {repo}: no source files of a supported language "
                        f"({', '.join(sorted(BY_NAME))})" + _skipped_note(found))
    unmatched_paths = config.unmatched_paths([f.path for f in sources])
    if not options.full:
        store.refuse_newer()
    with store.lock(on_wait=on_lock_wait):
        config = _with_history_choice(config, options)
        settings = _settings(config, options, extensions)
        changes = (Changes(reason="full rebuild requested") if options.full
                   else _changes(store, found, settings, head=_head(repo, config)))
        if not changes.stale:
            m = store.manifest()
            return IndexReport(store.dir, changes, 0, len(sources), len(sources), m.counts.get("modules", 0),
                               m.counts.get("syntax_errors", 0), found.skipped, time.perf_counter() - start, False,
                               unmatched_paths=unmatched_paths)
        previous, previous_manifest = {}, None
        try:  # the index being replaced: its parse results when only files changed, caches in any case
            previous_manifest = store.manifest() if store.exists() and not options.full else None
            if not changes.reason:
                previous = _previous_parses(store, previous_manifest)
        except IndexStoreError as e:  # a damaged index is worth nothing: rebuild it rather than fail
            changes.reason = changes.reason or str(e)
            previous_manifest = None
        if changes.damaged:  # nothing of a damaged snapshot is reused, caches included
            previous, previous_manifest = {}, None
        reuse = {f.path: previous[f.path] for f in sources
                 if f.path in previous and previous[f.path][0].sha256 == f.sha256
                 and previous[f.path][0].language == f.language}
        to_parse = [f for f in sources if f.path not in reuse]
        lap("load")
        parsed = parse_files(to_parse, options.jobs, progress)
        results = [reuse.get(f.path) or parsed[f.path] for f in sources]  # (parse result, its files.jsonl line)
        symbols = [fs for fs, _ in results]
        lap("parse")
        # the steps between parsing and embedding, said as they start where they take a while (48 s unsaid on
        # spring-framework's 9,596 files; a small repository's run says nothing it need not)
        def step(done: int) -> None:
            if progress and len(sources) >= SAID_STEPS_MIN_FILES:
                progress("graph, history, summaries", done, 3)

        step(0)
        graph = build_graph(symbols, _readmes(found), config,
                            package_folders([(f.path, f.text) for f in found.files if f.kind == "project"]))
        step(1)
        history = _mine(repo, config, store, previous_manifest)
        add_history(graph, history)
        lap("history")
        step(2)
        modules = build_modules(graph, {s.path: s.keyword_weights for s in symbols})
        step(3)
        lap("modules")
        # the repository's own code first, the most broken first: what a reader of the warning should look at
        # (Newtonsoft.Json's named three test files while JsonWriter.cs had 15 errors: sweep 14)
        with_errors = [s.path for s in sorted((s for s in symbols if s.syntax_errors),
                                              key=lambda s: (file_role(s.path, s.generated_stub) != SOURCE, -s.syntax_errors, s.path))]
        syntax_errors = len(with_errors)
        payload = [("graph.json", [graph_to_json(graph)]),
                   ("modules.jsonl", jsonl_lines(m.to_dict() for m in modules)),
                   ("files.jsonl", [line for _, line in results]),
                   (HISTORY_FILE, [orjson.dumps(history.to_dict())])]
        models: dict[str, str] = {}
        context = BuildContext(repo, graph, modules, sources, store, previous_manifest, progress, history)
        for extension in extensions:
            files, used = extension.build(context)
            payload += files
            models.update(used)
            lap(extension.name)
        store.commit(
            {"format_version": FORMAT_VERSION, "tool_version": TOOL_VERSION,
             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "settings": settings, "models": models,
             "files": {f.path: {"sha256": f.sha256, "kind": f.kind, "language": f.language} for f in found.files},
             "skipped": found.skipped, "history_head": history.head, "root": os.path.realpath(repo),
             "counts": {"files": len(sources), "modules": len(modules), "nodes": graph.number_of_nodes(),
                        "edges": graph.number_of_edges(), "syntax_errors": syntax_errors}},
            payload,
        )
        lap("write")
    return IndexReport(store.dir, changes, len(to_parse), len(reuse), len(sources), len(modules), syntax_errors,
                       found.skipped, time.perf_counter() - start, True, timings, _history_line(history),
                       unmatched_paths, with_errors)


def max_jobs() -> int:
    """More parsing processes than cores only cost memory (each holds the grammars and its share)."""
    return os.cpu_count() or 1


def parse_files(files: list[FoundFile], jobs: int, progress: Progress | None) -> dict[str, tuple[FileSymbols, bytes]]:
    """Each file's parse result with its files.jsonl line, parsed in this process or across `jobs`
    worker processes (0: one per core for big batches)."""
    if jobs == 0:
        jobs = (os.cpu_count() or 1) if len(files) >= PARALLEL_THRESHOLD else 1
    jobs = min(jobs, max_jobs())
    out: dict[str, tuple[FileSymbols, bytes]] = {}
    total = len(files)
    if jobs <= 1 or total < 2:
        for i, f in enumerate(files):
            out[f.path] = _parse_one(f)
            if progress:
                progress("parse", i + 1, total)
        return out
    # The main process parses a share itself while jobs - 1 workers parse the rest. Results come back
    # as their files.jsonl lines, which the index needs anyway: pickling the parse results instead
    # cost the worker ~0.13 s and the main process ~0.12 s on half of networkx.
    from concurrent.futures import ProcessPoolExecutor  # ~15 ms of imports an incremental run does not need

    shares = [files[i::jobs] for i in range(jobs)]
    with ProcessPoolExecutor(max_workers=jobs - 1, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_parse_batch, share) for share in shares[1:]]
        for done, f in enumerate(shares[0], 1):
            out[f.path] = _parse_one(f)
            if progress and done % 16 == 0:
                progress("parse", done, total)
        for share, future in zip(shares[1:], futures):
            for f, line in zip(share, future.result()):
                out[f.path] = (FileSymbols.from_dict(orjson.loads(line)), line)
    if progress:
        progress("parse", total, total)
    return {f.path: out[f.path] for f in files}


def die_with_parent(parent: int) -> None:
    """Run in each parsing worker: when `rag index` is killed (SIGKILL, the OOM killer), its workers go
    with it. Left alone, a worker whose parent died blocked for good writing its result to a pipe nobody
    reads (one was found 26 minutes after its parent had been killed)."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _parse_one(f: FoundFile) -> tuple[FileSymbols, bytes]:
    from graph.parse import parse_source

    fs = parse_source(f.path, f.text.encode("utf-8"), BY_NAME[f.language], f.sha256)
    return fs, jsonl_line(fs.to_dict())


def _parse_batch(files: list[FoundFile]) -> list[bytes]:
    """A worker's share: the lines alone travel back."""
    return [_parse_one(f)[1] for f in files]


def load_graph(store: IndexStore, manifest: Manifest | None = None) -> nx.MultiDiGraph:
    import networkx as nx

    manifest = manifest or store.manifest()
    data = store.read_json(manifest, "graph.json")
    try:
        return nx.node_link_graph(data, edges="edges")
    except (KeyError, TypeError, nx.NetworkXError) as e:
        raise IndexStoreError(f"the index at {store.dir} is corrupt (graph.json: {e}); "
                          "`rag index --full` rebuilds it") from None


def load_modules(store: IndexStore, manifest: Manifest | None = None) -> list[Module]:
    manifest = manifest or store.manifest()
    try:
        return [Module.from_dict(d) for d in store.read_jsonl(manifest, "modules.jsonl")]
    except TypeError as e:
        raise IndexStoreError(f"the index at {store.dir} is corrupt (modules.jsonl: {e}); "
                          "`rag index --full` rebuilds it") from None


def graph_to_json(graph: CodeGraph) -> bytes:
    # no sorted keys: build_graph inserts nodes, edges and attributes in a deterministic order already
    return orjson.dumps(graph.node_link_data())


# --- helpers ---------------------------------------------------------------------------------

def _load_config(repo: str, options: IndexOptions) -> RepoConfig:
    path = os.path.join(repo, CONFIG_NAME)
    text = ""
    if os.path.exists(path) and not os.path.isfile(path):
        from graph.errors import ConfigError
        raise ConfigError(f"{path} is not a file: rag.toml must be a TOML file (or absent)")
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as e:
            from graph.errors import ConfigError
            raise ConfigError(f"cannot read {path}: {e}") from None
    return parse_config(text, options.include, options.exclude)


def _remembered(options: IndexOptions, store: IndexStore) -> IndexOptions:
    """The options with what the index remembers of the run that built it, for a run that does not say
    (not --full): `--no-history`, and `--include` / `--exclude` when none are given. So `rag ask` and
    `rag index --check`, which repeat neither, do not call the index stale nor bring back what it left
    out. One read of the manifest for both."""
    if options.full or not store.exists() or (options.history is not None and (options.include or options.exclude)):
        return options
    try:
        built_with = store.manifest().settings
    except IndexStoreError:
        return options
    history = options.history
    if history is None and built_with.get("history", {}).get("off", False) is True:
        history = False
    if options.include or options.exclude:
        return replace(options, history=history)
    flags = built_with.get("flags", {})
    return replace(options, history=history, include=tuple(flags.get("include", ())),
                   exclude=tuple(flags.get("exclude", ())))


def _with_history_choice(config: RepoConfig, options: IndexOptions) -> RepoConfig:
    """`--no-history` (given, or remembered: `_remembered`) turns the history off whatever rag.toml says."""
    if options.history is False:
        return replace(config, history=HistorySettings(config.history.max_commits, off=True))
    return config


def _settings(config: RepoConfig, options: IndexOptions = IndexOptions(),
              extensions: Sequence[IndexExtension] = ()) -> dict:
    # the tool version is part of the settings: a new rag may parse or summarise differently
    settings = {"walk": config.walk.to_dict(), "modules": config.to_dict()["modules"], "tool_version": TOOL_VERSION,
                "history": config.to_dict()["history"], "extensions": {e.name: e.settings() for e in extensions}}
    if options.include or options.exclude:  # the command line's own, to remember (an index without: as before)
        settings["flags"] = {"include": list(options.include), "exclude": list(options.exclude)}
    return as_stored(settings)


def as_stored(value):
    """A value as it reads back from the manifest (tuples become lists): the form to compare with."""
    return json.loads(json.dumps(value))


def _head(repo: str, config: RepoConfig) -> str | None:
    """The commit whose history the index should hold: None when it holds none."""
    return head(repo) if config.history.enabled else None


def _mine(repo: str, config: RepoConfig, store: IndexStore, previous_manifest: Manifest | None) -> History:
    """The history up to HEAD, reading only the commits since the index being replaced when it can."""
    if not config.history.enabled:
        return History(note="history off (--no-history, or [history] max_commits = 0)")
    previous = None
    same_settings = previous_manifest is not None and previous_manifest.settings.get("history") == as_stored(
        config.to_dict()["history"])  # a new max_commits reads the history again
    if same_settings and previous_manifest.history_head is not None:
        try:
            previous = History.from_dict(store.read_json(previous_manifest, HISTORY_FILE))
        except (IndexStoreError, TypeError, ValueError, AttributeError):  # a cache only: mine it all again
            previous = None
    return mine_history(repo, previous, config.history.max_commits)


def _history_line(history: History) -> str:
    if history.head is None or not history.scanned:
        return history.note
    line = f"history: {len(history.commits):,} of {history.scanned:,} commits kept as evidence"
    return line + (f" ({history.note})" if history.note else "")


def _changes(store: IndexStore, found: WalkResult, settings: dict, verify: bool = True,
             head: str | None = None) -> Changes:
    if not store.exists():
        return Changes(reason="no index yet")
    try:
        manifest = store.manifest()
    except IndexCorruptError as e:
        return Changes(reason=str(e), damaged=[str(e)])
    except IndexStoreError as e:  # of an older format: out of date, not damaged
        return Changes(reason=str(e))
    current = {f.path: f.sha256 for f in found.files}
    before = {p: meta.get("sha256") for p, meta in manifest.files.items()}
    changes = Changes(
        added=sorted(set(current) - set(before)),
        modified=sorted(p for p in current if p in before and before[p] != current[p]),
        deleted=sorted(set(before) - set(current)),
    )
    if manifest.settings != settings:
        changes.reason = "index settings changed (rag.toml, --include/--exclude, models, or the rag version)"
    if head != manifest.history_head and not changes.reason:
        # new commits, or another commit checked out (HEAD may move back): which, only git could say
        changes.history = (f"the history moved since the index was built (new commits, or another checkout: "
                           f"HEAD {(manifest.history_head or 'none')[:10]} → {(head or 'none')[:10]})")
    changes.damaged = store.damage(manifest, hashes=verify)
    if changes.damaged and not changes.reason:
        changes.reason = f"the index is damaged ({changes.damaged[0]})"
    return changes


def _previous_parses(store: IndexStore, manifest: Manifest) -> dict[str, tuple[FileSymbols, bytes]]:
    """Each file's parse result in the index being replaced, with its files.jsonl line."""
    try:
        return {d["path"]: (FileSymbols.from_dict(d), line) for d, line in store.read_jsonl_rows(manifest, "files.jsonl")}
    except (KeyError, TypeError) as e:
        raise IndexStoreError(f"the index at {store.dir} is corrupt (files.jsonl: {e}); "
                          "`rag index --full` rebuilds it") from None


def _readmes(found: WalkResult) -> dict[str, str]:
    out = {}
    for f in found.files:
        if f.kind == "readme":
            out.setdefault(posixpath.dirname(f.path), f.text)
    return out


def _skipped_note(found: WalkResult) -> str:
    if not found.skipped:
        return ""
    return " (skipped: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(found.skipped.items())) + ")"

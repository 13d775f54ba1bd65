"""The on-disk index directory: a manifest that points at one complete snapshot.

    .rag/
      manifest.json          format version, tool version, per-file hashes, settings, the snapshot name
      snap-<id>/graph.json   the graph as node-link JSON
      snap-<id>/modules.jsonl   one line per module
      snap-<id>/files.jsonl     per-file parse results (what makes rebuilds incremental)
      lock                   held by the one writer
      unfinished/            work of a build that did not finish (a Ctrl-C, a kill), for the next one to take up

A writer fills a fresh snapshot directory, flushes it to disk, then replaces manifest.json
atomically (os.replace): a crash or kill at any moment leaves the previous manifest and the
snapshot it names intact. What a writer saves of its work on the way (`unfinished_dir`) outlives a
kill and is removed by the commit that finally writes a snapshot. The previous snapshot is kept for
readers that opened it just before; older ones are removed. Only JSON is written and read: nothing is unpickled. The big files go
through orjson, several times faster than the standard library on them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re

import orjson
import shutil
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import MISSING, asdict, dataclass, field
from typing import Iterable, Iterator

from graph.durable import atomic_write, fsync_dir, fsync_tree, prune, write_durably
from graph.errors import IndexCorruptError, IndexStoreError
from graph.locking import exclusive_lock

INDEX_DIR_NAME = ".rag"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = "lock"
UNFINISHED = "unfinished"
SNAPSHOT_PREFIX = "snap-"
# what a snapshot directory's name looks like (commit): only entries of this shape are ever removed
SNAPSHOT_NAME = re.compile(rf"{SNAPSHOT_PREFIX}\d{{14}}-[0-9a-f]{{8}}")
# every other name rag writes into an index directory (rag/serve/door.py's two, rag/llm/adapters.py's
# folder), and their temporary copies: a directory holding anything else is not an index, and is
# never written into
OWN_ENTRIES = {MANIFEST, LOCK, UNFINISHED, "serve.lock", "serve.json", "finetune"}


@dataclass
class Manifest:
    format_version: int
    tool_version: str
    snapshot: str
    created: str
    settings: dict  # effective index settings; a change forces a full rebuild
    files: dict[str, dict]  # path -> {"sha256", "kind", "language"}
    skipped: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    previous_snapshot: str | None = None
    # every file of the snapshot: relative path -> [size in bytes, sha256], to detect damage
    snapshot_files: dict[str, list] = field(default_factory=dict)
    history_head: str | None = None  # the commit whose history the snapshot holds (graph/history.py)
    # the repository indexed (its real path): an --index-dir shared by mistake is told from its own
    root: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


_JSON_TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "dict": (dict,),
               "list": (list,), "None": (type(None),)}


def json_fits(value, annotation: str) -> bool:
    """Whether a JSON value fits a dataclass field's annotation (`str | None`, `dict[str, int]`: the
    outer types; `true` is no int, as JSON has it)."""
    kinds = tuple(k for part in annotation.split("|") for k in _JSON_TYPES[part.strip().split("[")[0]])
    return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)


def default_index_dir(repo: str) -> str:
    """Where a repository's index lives unless told otherwise."""
    return os.path.join(repo, INDEX_DIR_NAME)


class IndexStore:
    def __init__(self, index_dir: str):
        self.dir = os.path.abspath(index_dir)

    # --- reading -------------------------------------------------------------------------------

    def exists(self) -> bool:
        return os.path.isfile(os.path.join(self.dir, MANIFEST))

    def recorded_root(self) -> str | None:
        """The repository this index was built from, as its manifest records it; None when there is no
        readable index or it predates the record."""
        try:
            with open(os.path.join(self.dir, MANIFEST), encoding="utf-8") as fh:
                data = json.load(fh)
            root = data.get("root") if isinstance(data.get("format_version"), int) else None
        except (OSError, ValueError, AttributeError):
            return None
        return root if isinstance(root, str) else None

    def manifest(self) -> Manifest:
        """The current manifest; IndexStoreError with a one-line reason if missing, corrupt or foreign."""
        path = os.path.join(self.dir, MANIFEST)
        if not os.path.isfile(path):
            raise IndexStoreError(f"no index at {self.dir}: run `rag index` first")
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise IndexCorruptError(f"the index at {self.dir} is corrupt ({MANIFEST}: {_short(e)}); "
                                    "`rag index --full` rebuilds it") from None
        if not isinstance(data, dict) or not isinstance(data.get("format_version"), int):
            raise IndexCorruptError(f"the index at {self.dir} is corrupt ({MANIFEST} has no format version); "
                                    "`rag index --full` rebuilds it")
        version = data["format_version"]
        if version > FORMAT_VERSION:
            raise IndexStoreError(f"the index at {self.dir} has format version {version}, newer than this rag "
                              f"understands ({FORMAT_VERSION}): upgrade rag, or `rag index --full` to rebuild it")
        if version < FORMAT_VERSION:
            raise IndexStoreError(f"the index at {self.dir} has the old format version {version}: "
                              "`rag index` rebuilds it")
        wrong = [name for name, f in Manifest.__dataclass_fields__.items()
                 if (name in data and not json_fits(data[name], f.type))
                 or (name not in data and f.default is MISSING and f.default_factory is MISSING)]
        if wrong:
            raise IndexCorruptError(f"the index at {self.dir} is corrupt ({MANIFEST}: {', '.join(wrong)} missing or "
                                    "of the wrong type); `rag index --full` rebuilds it")
        return Manifest(**{k: data[k] for k in Manifest.__dataclass_fields__ if k in data})

    def damage(self, manifest: Manifest, hashes: bool = True) -> list[str]:
        """What is wrong with the snapshot's files against what the manifest recorded when they were
        written: missing, another size, or (with `hashes`: reads every byte) other content. Empty when
        intact, or when the manifest recorded nothing (an index of rag <= 0.1.21)."""
        return damage_of(os.path.join(self.dir, manifest.snapshot), manifest.snapshot_files, hashes)

    def damaged_error(self, damage: list[str]) -> IndexCorruptError:
        """The one message every command gives for a damaged snapshot (`damage`: what `damage` found)."""
        return IndexCorruptError(f"the index at {self.dir} is damaged ({damage[0]}): `rag index` repairs it")

    def refuse_newer(self) -> None:
        """IndexStoreError when the index was written by a newer rag: an older one must not overwrite it
        (its user may run both); `rag index --full` replaces it on purpose."""
        try:
            with open(os.path.join(self.dir, MANIFEST), encoding="utf-8") as fh:
                version = json.load(fh).get("format_version")
        except (OSError, ValueError, AttributeError):
            return  # missing or damaged: nothing newer to protect
        if isinstance(version, int) and version > FORMAT_VERSION:
            self.manifest()  # raises the one message every command gives for it

    def refuse_other_repository(self, repo: str) -> None:
        """IndexStoreError when this --index-dir holds the index of another repository that still
        exists: one index directory given for two repositories (a typo, one CI cache path for two
        jobs) must not silently swap one's index for the other's. An index inside its repository
        (copied with it, whatever its folder's name) is that repository's; a recorded repository that is gone has moved;
        `rag index --full` replaces the index on purpose."""
        here = os.path.realpath(repo)
        if os.path.realpath(self.dir).startswith(here + os.sep):  # under any name: copied with it (no read)
            return
        root = self.recorded_root()
        if root is None or root == here or not os.path.isdir(root):
            return  # (graph.index_location.where_index looks where a repository that is gone moved to)
        raise IndexStoreError(f"{self.dir} holds the index of {root}, not of {here}: give another --index-dir "
                              "(`rag index --full` replaces that index)")

    def read_json(self, manifest: Manifest, name: str):
        path = self._snapshot_file(manifest, name)
        try:
            with open(path, "rb") as fh:
                return orjson.loads(fh.read())
        except (OSError, ValueError) as e:  # orjson.JSONDecodeError is a ValueError
            raise self._corrupt(name, e) from None

    def read_jsonl(self, manifest: Manifest, name: str) -> list[dict]:
        return [row for row, _ in self.read_jsonl_rows(manifest, name)]

    def read_jsonl_rows(self, manifest: Manifest, name: str) -> list[tuple[dict, bytes]]:
        """Each row with its line as stored (newline included): a rebuild writes unchanged rows back as they are."""
        path = self._snapshot_file(manifest, name)
        try:
            with open(path, "rb") as fh:
                return [(orjson.loads(line), line if line.endswith(b"\n") else line + b"\n")
                        for line in fh if line.strip()]
        except (OSError, ValueError) as e:
            raise self._corrupt(name, e) from None

    def snapshot_path(self, manifest: Manifest, name: str) -> str:
        """Path of a snapshot file, for formats read by other libraries (FAISS, safetensors)."""
        return self._snapshot_file(manifest, name)

    def _snapshot_file(self, manifest: Manifest, name: str) -> str:
        path = os.path.join(self.dir, manifest.snapshot, name)
        if not os.path.isfile(path):
            raise IndexCorruptError(f"the index at {self.dir} is incomplete ({manifest.snapshot}/{name} is missing); "
                                    "`rag index --full` rebuilds it")
        return path

    def _corrupt(self, name: str, e: Exception) -> IndexCorruptError:
        return IndexCorruptError(f"the index at {self.dir} is corrupt ({name}: {_short(e)}); "
                                 "`rag index --full` rebuilds it")

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def lock(self, timeout: float = 3600.0, on_wait=None) -> Iterator[None]:
        """Exclusive writer lock. `on_wait` is called once if another writer holds it. The wait is long: a
        first index of a big repository takes minutes (spring-framework's 8 to 10 on two cores, where the
        wait of 600 s left a second run 29 s short of failing: sweep 16), and a writer that dies releases
        the lock with its process."""
        if os.path.lexists(self.dir) and not os.path.isdir(self.dir):
            what = "a link to " + os.path.realpath(self.dir) if os.path.islink(self.dir) else "a file"
            raise IndexStoreError(f"cannot write the index: {self.dir} is {what}, not a directory "
                              "(remove it, or give another --index-dir)")
        foreign = self.foreign_entries()
        if foreign:
            raise IndexStoreError(f"cannot write the index at {self.dir}: it holds files that are not a rag index "
                                  f"({', '.join(foreign[:3])}{' …' if len(foreign) > 3 else ''}); give a new or "
                                  "empty directory to --index-dir")
        busy = f"another `rag index` is writing {self.dir} (waited {timeout:.0f} s)"
        held = ExitStack()
        try:
            os.makedirs(self.dir, exist_ok=True)
            held.enter_context(exclusive_lock(os.path.join(self.dir, LOCK), busy, timeout, on_wait))
        except OSError as e:  # an unwritable directory: the lock file cannot be made
            raise IndexStoreError(f"cannot write the index at {self.dir}: {e.strerror or e} "
                              "(make it writable, or give another --index-dir)") from None
        with held:
            yield

    def unfinished_path(self, name: str) -> str:
        """Where a writer saves its work in while it builds: what a killed build saved there is the next
        build's to take up, until a commit removes it (`unfinished_dir` makes it)."""
        return os.path.join(self.dir, UNFINISHED, name)

    def unfinished_dir(self, name: str) -> str:
        """`unfinished_path(name)`, made if need be (call with the lock held)."""
        path = self.unfinished_path(name)
        os.makedirs(path, exist_ok=True)
        return path

    def commit(self, manifest_fields: dict, payload: Iterable[tuple[str, object]]) -> Manifest:
        """Write a new snapshot, then switch the manifest to it.

        `payload` holds (file name, content) pairs; content is chunks of text, or a callable that
        writes the file at the path it is given (for formats other libraries write: FAISS, NumPy).
        Call with the lock held. `manifest_fields` are the Manifest fields except the snapshot ones.
        """
        previous = self._current_snapshot_name()
        name = f"{SNAPSHOT_PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        snap = os.path.join(self.dir, name)
        try:
            os.makedirs(snap)
        except OSError as e:
            raise IndexStoreError(f"cannot write the index at {self.dir}: {e.strerror or e} "
                              "(make it writable, or give another --index-dir)") from None
        try:
            for filename, content in payload:
                target = os.path.join(snap, filename)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if callable(content):
                    content(target)
                    fsync_tree(target)
                else:
                    write_durably(target, content)
            fsync_dir(snap)
            manifest = Manifest(snapshot=name, previous_snapshot=previous, snapshot_files=fingerprints(snap),
                                **manifest_fields)
            atomic_write(os.path.join(self.dir, MANIFEST), [json.dumps(manifest.to_dict(), indent=1, sort_keys=True), "\n"])
        except OSError as e:  # a full disk, a directory made read-only meanwhile: the old index stands
            shutil.rmtree(snap, ignore_errors=True)
            raise IndexStoreError(f"cannot write the index at {self.dir}: {e.strerror or e}; "
                              "the previous index is unchanged") from None
        except BaseException:
            shutil.rmtree(snap, ignore_errors=True)
            raise
        self._collect_garbage(keep={name, previous}, written=set(os.listdir(snap)))
        return manifest

    def _current_snapshot_name(self) -> str | None:
        try:
            with open(os.path.join(self.dir, MANIFEST), encoding="utf-8") as fh:
                return json.load(fh).get("snapshot")
        except (OSError, ValueError, AttributeError):
            return None

    def foreign_entries(self) -> list[str]:
        """The entries rag did not write of an index directory without a manifest, sorted: `--index-dir`
        naming a folder of the user's, or the repository itself. None where it does not exist or is
        an index (a stray file in one is left alone: only snapshots are ever removed from it)."""
        try:
            entries = os.listdir(self.dir)
        except OSError:
            return []
        if MANIFEST in entries and any(SNAPSHOT_NAME.fullmatch(e) for e in entries):
            return []  # an index (a damaged manifest of one included: `rag index` repairs it)
        foreign = [e for e in entries if not _is_own(e)]
        if MANIFEST in entries and not self._manifest_is_ours():  # a web app's, an extension's manifest.json
            foreign.append(MANIFEST)
        return sorted(foreign)

    def _manifest_is_ours(self) -> bool:
        try:
            with open(os.path.join(self.dir, MANIFEST), encoding="utf-8") as fh:
                return "format_version" in json.load(fh)
        except (OSError, ValueError, TypeError):
            return False

    def _collect_garbage(self, keep: set, written: set[str]) -> None:
        """Remove older snapshots: directories named like one that hold nothing but what a snapshot
        holds (`written`: the entries of the one just written; a killed writer's holds fewer). A
        folder of the user's that happens to have such a name is left alone (QA sweep 6)."""
        def is_old_snapshot(entry: str) -> bool:
            if not SNAPSHOT_NAME.fullmatch(entry) or entry in keep:
                return False
            try:
                return set(os.listdir(os.path.join(self.dir, entry))) <= written
            except OSError:  # not a directory
                return False

        # the work an unfinished build saved went into this snapshot, or was not wanted by it
        prune(self.dir, lambda entry: is_old_snapshot(entry) or _is_manifest_tmp(entry) or entry == UNFINISHED)


def _is_own(entry: str) -> bool:
    if entry.startswith(".") and entry.endswith(".tmp"):  # graph.durable.atomic_write's .NAME.<hex>.tmp
        return entry[1:].rsplit(".", 2)[0] in OWN_ENTRIES
    return entry in OWN_ENTRIES or bool(SNAPSHOT_NAME.fullmatch(entry))


def _is_manifest_tmp(entry: str) -> bool:
    """The temporary copy of the manifest that graph.durable.atomic_write writes first."""
    return entry.startswith(f".{MANIFEST}.") and entry.endswith(".tmp")


def jsonl_lines(rows: Iterable[dict]) -> Iterator[bytes]:
    return map(jsonl_line, rows)


def jsonl_line(row: dict) -> bytes:
    # rows come from dataclasses: key order is fixed, so the bytes are deterministic
    return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)


def damage_of(directory: str, recorded: dict[str, list], hashes: bool = True) -> list[str]:
    """What is wrong with the files of `directory` against their `fingerprints` when written: missing,
    another size, or (with `hashes`: reads every byte) other content."""
    problems = []
    for name, (size, digest) in sorted(recorded.items()):
        path = os.path.join(directory, name)
        try:
            actual = os.path.getsize(path)
        except OSError:
            problems.append(f"{name} is missing")
            continue
        if actual != size:
            problems.append(f"{name} has {actual} bytes, {size} were written")
        elif hashes and _sha256(path) != digest:
            problems.append(f"{name} changed since it was written")
    return problems


def fingerprints(directory: str) -> dict[str, list]:
    """Every file below `directory`: relative path -> [size in bytes, sha256] (what damage_of checks)."""
    out = {}
    for folder, _, files in os.walk(directory):
        for f in files:
            path = os.path.join(folder, f)
            out[os.path.relpath(path, directory).replace(os.sep, "/")] = [os.path.getsize(path), _sha256(path)]
    return out


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:160] if str(e) else type(e).__name__

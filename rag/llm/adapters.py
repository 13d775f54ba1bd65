"""What `rag finetune` trains for one index, kept in the index directory:

    .rag/finetune/
      current.json               which adapter is in use, and what it was trained on
      adapter-<id>/              a peft adapter (adapter_model.safetensors + adapter_config.json)
      training_report.json, training.png
      work/                      the trainer's checkpoints (for --resume)
      retriever.json             which tuned embedder the index uses (`rag finetune --retriever`)
      retriever-<id>/            a sentence-transformers model directory
      retriever_report.json

Each is written completely into its own directory, sealed (`rag-seal.json`: every file's size and
sha256, checked wherever it is loaded, whatever record names it), flushed, and only then does its
record point at it (os.replace): a crash or kill at any moment leaves the previous one in use and loadable. `rag ask`
loads the current adapter when its base model is the model in use, and says when the index changed
since it was trained; the index embeds with the current tuned embedder unless told otherwise.

A record carries `record_version`: a reader ignores fields it does not know (a later rag may add
some) and refuses, in one line, a record of a newer version than it reads, rather than hide the
adapter it names.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace

from graph.durable import atomic_write, fsync_tree, prune
from graph.errors import ConfigError
from graph.locking import exclusive_lock
from graph.store import damage_of, fingerprints, json_fits

DIR = "finetune"
CURRENT = "current.json"
PREFIX = "adapter-"
RETRIEVER = "retriever.json"
RETRIEVER_PREFIX = "retriever-"
MERGED = "rag_adapter.json"  # in a model directory `rag finetune --merge` wrote: the merged adapter's record
SEAL = "rag-seal.json"  # in each adapter, tuned embedder and merged model directory: its files' fingerprints
# of current.json and retriever.json; records without one are version 1. Version 2 adds the prompt's
# shape (`ranks`, `definitions`): a rag that reads only version 1 would ask such an adapter in the old shape.
RECORD_VERSION = 2


@dataclass
class AdapterInfo:
    adapter: str  # directory name under .rag/finetune/
    base_model: str  # the model name or directory it was trained on
    snapshot: str  # the index snapshot its training data came from
    created: str
    candidates: int  # candidates listed in its training prompts: inference lists as many
    prompt_tokens: int
    summary_words: int
    label_form: str  # "plain", "cot" or "both": "cot" means it answers best with --think
    validation_accuracy: float | None = None
    ranks: bool = False  # its prompts showed retrieval's rank of each candidate
    definitions: bool = False  # ... and the head of each candidate's best-matching definition
    settings: dict = field(default_factory=dict)
    # `rag ask --llm` against `rag ask` on held-out commits, measured after training
    # (finetune/pipeline.py: AdapterCheck as a dict); None when unmeasured
    held_out: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RetrieverInfo:
    embedder: str  # directory name under .rag/finetune/
    base_embedder: str  # the embedder it was tuned from
    snapshot: str  # the index snapshot its training pairs came from
    created: str
    report: dict = field(default_factory=dict)
    # its files as rag 0.1.27 recorded them here (relative path -> [size, sha256]), for a directory
    # published before seals; empty since
    files: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class AdapterStore:
    def __init__(self, index_dir: str):
        self.dir = os.path.join(os.path.abspath(index_dir), DIR)

    def current(self) -> AdapterInfo | None:
        """The adapter in use, or None when there is none (or its record is unreadable)."""
        info = self._read(CURRENT, AdapterInfo)
        return info if info is not None and os.path.isdir(self.path(info)) else None

    def damaged(self) -> str | None:
        """The adapter record's path when it is there but names no usable adapter (unreadable, or its
        adapter directory gone): damage to say, not "no adapter"."""
        path = os.path.join(self.dir, CURRENT)
        return path if os.path.exists(path) and self.current() is None else None

    def current_retriever(self) -> RetrieverInfo | None:
        """The tuned embedder in use, or None."""
        info = self._read(RETRIEVER, RetrieverInfo)
        return info if info is not None and os.path.isdir(os.path.join(self.dir, info.embedder)) else None

    def adapter_damage(self, hashes: bool = True) -> list[str]:
        """What is wrong with the current adapter: its record unreadable, the adapter gone, or its
        files not as published (a model would answer with other weights than were validated)."""
        return self._damage(CURRENT, AdapterInfo, "adapter", hashes)

    def unreadable(self, record: str, kind) -> list[str]:
        """["RECORD is unreadable"] when the record is there but does not read as `kind`; else []."""
        path = os.path.join(self.dir, record)
        return [f"{record} is unreadable"] if os.path.exists(path) and read_record(path, kind) is None else []

    def _damage(self, record: str, kind, label: str, hashes: bool) -> list[str]:
        info = self._read(record, kind)
        if info is None:
            return self.unreadable(record, kind)
        name = info.embedder if kind is RetrieverInfo else info.adapter
        directory = os.path.join(self.dir, name)
        if not os.path.isdir(directory):
            return [f"the {label} {name} is gone"]
        return [f"the {label}'s {p}" for p in seal_damage(directory, hashes, getattr(info, "files", {}))]

    def embedder_damage(self, name: str, hashes: bool = True) -> list[str]:
        """What is wrong with the tuned embedder `name` (a directory of this store), whichever record
        names it or none: the one an index is built with is checked, not only the record's."""
        directory = os.path.join(self.dir, name)
        if not os.path.isdir(directory):
            return [f"the tuned embedder {name} is gone"]
        info = self._read(RETRIEVER, RetrieverInfo)
        recorded = info.files if info is not None and info.embedder == name else {}
        return [f"the tuned embedder's {p}" for p in seal_damage(directory, hashes, recorded)]

    def _read(self, record: str, kind):
        return read_record(os.path.join(self.dir, record), kind)

    @contextmanager
    def training_lock(self):
        """One training run per index at a time; a second one fails at once rather than racing."""
        os.makedirs(self.dir, exist_ok=True)
        with exclusive_lock(os.path.join(self.dir, "lock"),
                            "another `rag finetune` is training on this index; wait for it to finish"):
            # what a killed run left half written (new_path): only a run holding this lock writes one
            prune(self.dir, lambda entry: entry.startswith((f".{PREFIX}", f".{RETRIEVER_PREFIX}")) and entry.endswith(".tmp"))
            yield

    def path(self, info: AdapterInfo) -> str:
        return os.path.join(self.dir, info.adapter)

    def new_path(self, prefix: str = PREFIX) -> str:
        os.makedirs(self.dir, exist_ok=True)
        return os.path.join(self.dir, f".{prefix}{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}.tmp")

    def publish(self, written: str, info: AdapterInfo) -> AdapterInfo:
        """Make the adapter written at `written` (from new_path) the current one, atomically."""
        previous, damaged = self.current(), self.damaged()
        seal(written)
        info = self._publish(written, CURRENT, lambda name: AdapterInfo(**{**info.to_dict(), "adapter": name}))
        if not damaged:  # which adapter the damaged record named is unknown: none is removed
            self._collect_garbage(PREFIX, keep={info.adapter, previous.adapter if previous else info.adapter})  # a reader may hold the previous
        return info

    def publish_retriever(self, written: str, info: RetrieverInfo) -> RetrieverInfo:
        """Make the embedder written at `written` (from new_path(RETRIEVER_PREFIX)) the current one."""
        previous = self.current_retriever()
        seal(written)
        info = self._publish(written, RETRIEVER, lambda name: RetrieverInfo(**{**info.to_dict(), "embedder": name}))
        # kept: the one the index is built with, which a run killed before re-embedding leaves in use
        in_use = _built_with_tuned(os.path.dirname(self.dir))
        keep = {info.embedder} | {name for name in (previous and previous.embedder, in_use) if name}
        self._collect_garbage(RETRIEVER_PREFIX, keep=keep)
        return info

    def annotate(self, adapter: str, **changes) -> AdapterInfo | None:
        """The current adapter's record with `changes`, when the current adapter is still `adapter`
        (call it under training_lock); None otherwise."""
        info = self.current()
        if info is None or info.adapter != adapter:
            return None
        info = replace(info, **changes)
        self._write_record(CURRENT, info)
        return info

    def _publish(self, written: str, record: str, info_named):
        """Move `written` to its final name, then point `record` at it; returns the record written."""
        name = os.path.basename(written)[1:].removesuffix(".tmp")
        fsync_tree(written)
        os.replace(written, os.path.join(self.dir, name))
        info = info_named(name)
        self._write_record(record, info)
        return info

    def _write_record(self, record: str, info) -> None:
        write_record(os.path.join(self.dir, record), info)

    def _collect_garbage(self, prefix: str, keep: set[str]) -> None:
        prune(self.dir, lambda entry: entry.startswith(prefix) and entry not in keep)


def seal(directory: str) -> None:
    """Write the fingerprints of every file of `directory` into it (SEAL), for seal_damage."""
    atomic_write(os.path.join(directory, SEAL), json.dumps(
        {name: fp for name, fp in fingerprints(directory).items() if name != SEAL}, indent=1, sort_keys=True))


def seal_damage(directory: str, hashes: bool = True, recorded: dict | None = None) -> list[str]:
    """What is wrong with a sealed directory's files (missing, another size, other bytes); without a
    seal (published before 0.1.28) the fingerprints a record kept (`recorded`), else nothing to check."""
    path = os.path.join(directory, SEAL)
    if not os.path.exists(path):
        return damage_of(directory, recorded, hashes) if _fingerprint_table(recorded) else []
    try:
        with open(path, encoding="utf-8") as fh:
            table = json.load(fh)
    except (OSError, ValueError):
        table = None
    if not _fingerprint_table(table):
        return [f"{SEAL} is unreadable"]
    return damage_of(directory, table, hashes)


def _fingerprint_table(table) -> bool:
    """Whether `table` is what graph.store.fingerprints writes: relative path -> [size, sha256]."""
    return isinstance(table, dict) and bool(table) and all(
        isinstance(name, str) and not os.path.isabs(name) and ".." not in name.split("/")
        and isinstance(fp, list) and len(fp) == 2 and isinstance(fp[0], int) and isinstance(fp[1], str)
        for name, fp in table.items())


def _built_with_tuned(index_dir: str) -> str | None:
    """The tuned embedder directory the index at `index_dir` is built with, if it is one."""
    from rag.embedding.embedder import TUNED_PREFIX, built_embedder

    built = built_embedder(index_dir) or ""
    return built.removeprefix(TUNED_PREFIX) if built.startswith(TUNED_PREFIX) else None


def plain_name(name) -> bool:
    """A directory of the store named as rag names them: no path, nothing hidden (a record naming
    `../other/adapter-…` or an absolute path would load what is not the index's)."""
    return isinstance(name, str) and bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def read_record(path: str, kind):
    """The record as `kind`; None when there is none or it is damaged (then there is no adapter)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    version = data.pop("record_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version > RECORD_VERSION:
        raise ConfigError(f"{path} was written by a newer rag (record version {version!r}; this rag reads up "
                          f"to {RECORD_VERSION}): upgrade rag, or train again with `rag finetune`")
    known = {f.name for f in fields(kind)}
    try:
        info = kind(**{k: v for k, v in data.items() if k in known})
    except TypeError:  # a field it needs is missing
        return None
    name = getattr(info, "embedder", None) if kind is RetrieverInfo else getattr(info, "adapter", None)
    if not plain_name(name) or not all(json_fits(getattr(info, f.name), f.type) for f in fields(kind)
                                       if f.name != "held_out"):  # read by a note that tolerates any shape
        return None  # read as damage: valid JSON of the wrong shape was an internal error
    return info


def merged_adapter(model_directory: str) -> AdapterInfo | None:
    """The record of the adapter merged into a model directory by `rag finetune --merge`, or None for a
    model no adapter was merged into: such a model is tuned, and asked in the prompt shape it was trained on.
    ConfigError when the record or the sealed model is damaged: it would pass for untuned, or for tuned."""
    path = os.path.join(model_directory, MERGED)
    if not os.path.exists(path):
        return None
    info = read_record(path, AdapterInfo)
    damage = [f"{MERGED} is unreadable"] if info is None else seal_damage(model_directory)
    if damage:
        raise ConfigError(f"the merged model {model_directory} is damaged ({damage[0]}): "
                          "`rag finetune --merge` writes it again")
    return info


def write_record(path: str, info) -> None:
    atomic_write(path, json.dumps({"record_version": RECORD_VERSION, **info.to_dict()}, indent=1))


def require_adapter(path: str) -> None:
    """A LoRA adapter directory, or one line saying it is not: never a name for peft to look up online."""
    if not os.path.isfile(os.path.join(path, "adapter_config.json")):
        raise ConfigError(f"no LoRA adapter at {path} (no adapter_config.json)")


@contextmanager
def quiet_peft():
    """peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing`: a FutureWarning that is
    not the user's to act on (`-q` printed it)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


def load_adapter(model, path: str, merge: bool = True):
    """The model with the adapter applied; merged into the weights (inference costs nothing extra)."""
    from peft import PeftModel
    from safetensors import SafetensorError

    from rag.llm.model import ADAPTER_HINT

    try:
        with quiet_peft():
            tuned = PeftModel.from_pretrained(model, path)
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as e:
        raise ConfigError(f"cannot load the adapter at {path}: {str(e).splitlines()[0][:200]}{ADAPTER_HINT}") from None
    return tuned.merge_and_unload() if merge else tuned




"""Writing files so that a crash, a kill or a full disk never leaves a half-written one in place.

Every file rag publishes (the index manifest and snapshots, adapter records, reports, mined query
sets, converted models) is written beside its final name, flushed to disk, renamed over it in one
step (os.replace), and the directory flushed too, so that the rename itself survives a power cut.
A reader sees the old file or the new one, never a mixture.
"""
from __future__ import annotations

import os
import uuid
from typing import Callable, Iterable


# what a writer takes: text or bytes, chunks of them, or a function that writes a file at the path it is given
Content = Iterable[str | bytes] | str | bytes | Callable[[str], None]


def atomic_write(path: str, content: Content) -> None:
    """Write `path` atomically and durably. `content`: text or bytes, chunks of them, or a function
    that writes a file at the path it is given (for formats other libraries write: PNG, NumPy).

    A path that is no regular file (`--out /dev/null`, `/dev/stdout`, a named pipe) is written through:
    renamed over, `/dev/null` became a regular file, and every program on the machine that wrote to it
    filled it (found when `rag eval --from-git --out /dev/null` was run as root)."""
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        _write(path, content, durable=False)
        return
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        _write(tmp, content, durable=True)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise
    fsync_dir(directory)


def write_durably(path: str, chunks: Iterable[str | bytes]) -> None:
    """Write chunks to `path` (in place: for files inside a directory published as a whole)."""
    _write(path, chunks, durable=True)


def _write(path: str, content: Content, durable: bool) -> None:
    """Write `content` (as atomic_write takes it) at `path`, flushed to disk when `durable` (a device or a
    pipe cannot be)."""
    if callable(content):
        content(path)
        if durable:
            fsync_tree(path)
        return
    with open(path, "wb") as fh:
        for chunk in [content] if isinstance(content, (str, bytes)) else content:
            fh.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())


def fsync_tree(path: str) -> None:
    """Flush a file, or every file and directory below a directory, to disk."""
    if os.path.isdir(path):
        for entry in os.listdir(path):
            fsync_tree(os.path.join(path, entry))
        fsync_dir(path)
        return
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def prune(directory: str, is_old: Callable[[str], bool]) -> None:
    """Remove the entries of `directory` (files or trees) that `is_old(name)` says are superseded:
    old snapshots and adapters, temporary files a killed writer left."""
    import shutil

    for entry in os.listdir(directory):
        if is_old(entry):
            path = os.path.join(directory, entry)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else remove_quietly(path)

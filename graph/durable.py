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


def atomic_write(path: str, content: Iterable[str | bytes] | str | bytes | Callable[[str], None]) -> None:
    """Write `path` atomically and durably. `content`: text or bytes, chunks of them, or a function
    that writes a file at the path it is given (for formats other libraries write: PNG, NumPy).

    A path that is no regular file (`--out /dev/null`, `/dev/stdout`, a named pipe) is written through:
    renamed over, `/dev/null` became a regular file, and every program on the machine that wrote to it
    filled it (found when `rag eval --from-git --out /dev/null` was run as root)."""
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        if callable(content):
            content(path)
        else:
            with open(path, "wb") as fh:
                for chunk in [content] if isinstance(content, (str, bytes)) else content:
                    fh.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        return
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if callable(content):
            content(tmp)
            fsync_tree(tmp)
        else:
            write_durably(tmp, [content] if isinstance(content, (str, bytes)) else content)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise
    fsync_dir(directory)


def write_durably(path: str, chunks: Iterable[str | bytes]) -> None:
    """Write chunks to `path` (in place: for files inside a directory published as a whole)."""
    with open(path, "wb") as fh:
        for chunk in chunks:
            fh.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
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

"""What a build embedded before it was stopped, kept for the next build to take up.

A first index of a big repository embeds for most of its time: spring-framework's 9,596 files took six
of their eight minutes on two cores (sweep 16), and a Ctrl-C, a kill or a full disk at minute five threw
all of it away. A build that has many texts to embed now embeds them in parts of `PART_TEXTS` and saves
each part in the index's unfinished folder (graph/store.py, `IndexStore.unfinished_dir`) as it goes:

    .rag/unfinished/embeddings/part-<uuid>.npz    hashes, vectors, the embedder's name, their digest

The next build takes up every part the same embedder made, and embeds only the rest; the commit that
writes a snapshot removes the folder. A part whose content does not match its digest (a disk's damage,
an edit) is left out and its texts embedded again: a damaged vector is never used.
"""
from __future__ import annotations

import glob
import hashlib
import os
import uuid
import zipfile
from typing import Callable

import numpy as np

from graph.durable import atomic_write

FOLDER = "embeddings"
# 1,024 texts are about 40 s of embedding on two cores (spring-framework's rate): the most a stop loses.
# A multiple of the embedder's 256-text calls, so every call embeds the same texts as without parts
PART_TEXTS = 1024


def part_digest(embedder: str, hashes: np.ndarray, vectors: np.ndarray) -> str:
    digest = hashlib.sha256(embedder.encode("utf-8"))
    digest.update("\n".join(hashes.tolist()).encode("utf-8"))
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    return digest.hexdigest()


def take_up(folder: str, embedder: str) -> dict[str, np.ndarray]:
    """The vectors saved in `folder` by `embedder`, by text hash: the parts of another embedder are not
    this one's (a build stopped before `--embedder` changed), damaged parts are left out."""
    vectors: dict[str, np.ndarray] = {}
    for path in sorted(glob.glob(os.path.join(folder, "part-*.npz"))):
        try:
            with np.load(path, allow_pickle=False) as part:
                hashes, embedded = part["hashes"], part["vectors"]
                if (str(part["embedder"]) == embedder and embedded.ndim == 2 and len(hashes) == len(embedded)
                        and str(part["digest"]) == part_digest(embedder, hashes, embedded)):
                    vectors.update(zip(hashes.tolist(), embedded.astype(np.float32)))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # cut short, not an archive, a field missing
            continue
    return vectors


def save_part(folder: str, embedder: str, hashes: list[str], vectors: np.ndarray) -> None:
    """Save one part atomically: a stop while it is written leaves no part, never half of one."""
    hashes_array = np.array(hashes, dtype=str)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def write(path: str) -> None:
        with open(path, "wb") as fh:
            np.savez(fh, hashes=hashes_array, vectors=vectors, embedder=np.array(embedder),
                     digest=np.array(part_digest(embedder, hashes_array, vectors)))

    atomic_write(os.path.join(folder, f"part-{uuid.uuid4().hex}.npz"), write)


def embed_in_parts(embed: Callable[[list[str], Callable[[int, int], None] | None], np.ndarray],
                   missing: list[tuple[str, str]], folder: Callable[[], str], embedder: str,
                   progress: Callable[[int, int], None] | None, taken_up: int = 0) -> dict[str, np.ndarray]:
    """Embed `missing` ((text hash, text) pairs), saving every `PART_TEXTS` of them as a part when there are
    more than that (a few texts, an incremental build's, are not worth a file). `folder()` makes the
    folder on first use. `progress(done, total)` counts the `taken_up` texts as done."""
    total = taken_up + len(missing)
    if progress and taken_up:
        progress(taken_up, total)  # the first line says where this build takes up
    in_parts = len(missing) > PART_TEXTS
    size = PART_TEXTS if in_parts else max(len(missing), 1)
    vectors: dict[str, np.ndarray] = {}
    kept = taken_up
    try:
        for start in range(0, len(missing), size):
            part = missing[start:start + size]
            done = taken_up + start
            embedded = embed([t for _, t in part], (lambda d, _t: progress(done + d, total)) if progress else None)
            if in_parts:
                try:
                    save_part(folder(), embedder, [h for h, _ in part], embedded)
                    kept += len(part)
                except OSError:  # a full disk: the build goes on, only what a stop would keep is less
                    pass
            vectors.update(zip((h for h, _ in part), embedded))
    except KeyboardInterrupt:  # Ctrl-C: the CLI's line says what is kept
        if kept:
            raise KeyboardInterrupt(f"{kept:,} of {total:,} texts embedded are kept: "
                                    "`rag index` goes on from there") from None
        raise
    return vectors

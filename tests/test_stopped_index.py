"""A build stopped while it embeds keeps what it embedded, and the next build takes it up."""
import os

import numpy as np
import pytest

import rag.retrieval.embedding_checkpoint as checkpoint
from graph.indexer import index
from graph.store import UNFINISHED, IndexStore
from rag.retrieval.index_files import RetrievalExtension
from test_ask import CountingEmbedder


class StoppedEmbedder(CountingEmbedder):
    """Embeds `calls` batches, then stops as a Ctrl-C would."""

    def __init__(self, calls: int):
        super().__init__()
        self.calls = calls

    def embed(self, texts, batch_size=64, progress=None):
        if self.calls == 0:
            raise KeyboardInterrupt
        self.calls -= 1
        return super().embed(texts, batch_size, progress)


@pytest.fixture
def parts_of_two(monkeypatch):
    monkeypatch.setattr(checkpoint, "PART_TEXTS", 2)  # the shop's six summaries: three parts


def _parts(shop):
    folder = shop / ".rag" / UNFINISHED / checkpoint.FOLDER
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def test_a_stopped_first_index_keeps_its_parts_and_the_next_embeds_only_the_rest(shop, parts_of_two):
    with pytest.raises(KeyboardInterrupt, match="4 of 6 texts embedded are kept: `rag index` goes on from there"):
        index(str(shop), extensions=[RetrievalExtension(embedder=StoppedEmbedder(calls=2))])
    assert not IndexStore(str(shop / ".rag")).exists()  # no index yet, but two parts of its work
    assert len(_parts(shop)) == 2
    counting = CountingEmbedder()
    progress = []
    index(str(shop), extensions=[RetrievalExtension(embedder=counting)],
          progress=lambda stage, done, total: progress.append((stage, done, total)) if stage == "embed" else None)
    assert len(counting.embedded) == 2  # the third part; the first four summaries were taken up
    assert progress[0] == ("embed", 4, 6) and progress[-1] == ("embed", 6, 6)
    assert not (shop / ".rag" / UNFINISHED).exists()  # the commit removed what it took up
    # and the vectors are those of a build never stopped
    store = IndexStore(str(shop / ".rag"))
    taken = np.load(store.snapshot_path(store.manifest(), "retrieval/dense-files.npy"))
    index(str(shop), options=_full(), extensions=[RetrievalExtension(embedder=CountingEmbedder())])
    fresh = np.load(store.snapshot_path(store.manifest(), "retrieval/dense-files.npy"))
    assert np.allclose(taken, fresh, atol=1e-6)


def test_a_damaged_part_or_another_embedders_is_embedded_again(shop, parts_of_two):
    with pytest.raises(KeyboardInterrupt):
        index(str(shop), extensions=[RetrievalExtension(embedder=StoppedEmbedder(calls=2))])
    folder = shop / ".rag" / UNFINISHED / checkpoint.FOLDER
    first, second = _parts(shop)
    _rewrite(folder / first, lambda fields: fields["vectors"].__setitem__((0, 0), 0.5))  # its digest kept
    _rewrite(folder / second, lambda fields: fields.update(  # whole, but another model's
        embedder=np.array("another-model"),
        digest=np.array(checkpoint.part_digest("another-model", fields["hashes"], fields["vectors"]))))
    counting = CountingEmbedder()
    index(str(shop), extensions=[RetrievalExtension(embedder=counting)])
    assert len(counting.embedded) == 6


def test_a_few_texts_are_embedded_without_parts(shop, monkeypatch):
    saved = []
    monkeypatch.setattr(checkpoint, "save_part", lambda *args: saved.append(args))
    index(str(shop), extensions=[RetrievalExtension(embedder=CountingEmbedder())])
    assert saved == [] and not (shop / ".rag" / UNFINISHED).exists()


def test_a_part_is_all_or_nothing_and_read_back_as_written(tmp_path):
    vectors = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    checkpoint.save_part(str(tmp_path), "model", ["a", "b", "c"], vectors)
    (tmp_path / "part-cut.npz").write_bytes((tmp_path / os.listdir(tmp_path)[0]).read_bytes()[:100])
    taken = checkpoint.take_up(str(tmp_path), "model")
    assert sorted(taken) == ["a", "b", "c"] and np.array_equal(taken["b"], vectors[1])
    assert checkpoint.take_up(str(tmp_path), "other") == {}
    assert checkpoint.take_up(str(tmp_path / "missing"), "model") == {}


def test_an_index_directory_holding_only_a_stopped_builds_work_is_rags(shop, parts_of_two):
    with pytest.raises(KeyboardInterrupt):
        index(str(shop), extensions=[RetrievalExtension(embedder=StoppedEmbedder(calls=1))])
    assert IndexStore(str(shop / ".rag")).foreign_entries() == []


def _rewrite(path, change):
    with np.load(path) as part:
        fields = {name: part[name].copy() for name in part.files}
    change(fields)
    with open(path, "wb") as fh:
        np.savez(fh, **fields)


def _full():
    from graph.indexer import IndexOptions

    return IndexOptions(full=True)


def test_ctrl_c_while_embedding_says_what_is_kept(shop, parts_of_two, monkeypatch, capsys):
    from rag.cli import main
    from rag.embedding.embedder import Embedder

    embed, calls = Embedder.embed, []

    def stopped_at_the_third(self, texts, batch_size=64, progress=None):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return embed(self, texts, batch_size, progress)

    monkeypatch.setattr(Embedder, "embed", stopped_at_the_third)
    assert main(["index", str(shop), "-q"]) == 130
    err = capsys.readouterr().err
    assert err == ("rag: interrupted; the index is as it was before this run "
                   "(4 of 6 texts embedded are kept: `rag index` goes on from there)\n"), err

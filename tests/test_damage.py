"""A damaged index is detected, never used silently, and `rag index` repairs it (issue 17)."""
import os
import struct

import pytest

from conftest import run_rag
from graph.errors import IndexStoreError
from graph.store import IndexStore
from rag.engine import Engine


def _snapshot_file(shop, name):
    store = IndexStore(str(shop / ".rag"))
    return store.snapshot_path(store.manifest(), name)


def _overwrite(path, offset_from_end, data):
    with open(path, "r+b") as fh:
        fh.seek(-offset_from_end, 2)
        fh.write(data)


def test_flipped_vector_bytes_are_caught_by_check_and_repaired_without_full(shop):
    run_rag("index", shop, "-q")
    faiss_path = _snapshot_file(shop, "retrieval/dense-files.faiss")
    _overwrite(faiss_path, 64, struct.pack("<4f", 1e6, -1e6, 1e6, -1e6))  # same size, other floats
    with pytest.raises(IndexStoreError, match="damaged"):  # a question does not rank with them
        Engine.open(str(shop)).ask("add a product to the cart")
    check = run_rag("index", shop, "--check")
    assert check.returncode == 4 and "dense-files.faiss changed since it was written" in check.stdout, check.stdout
    assert run_rag("index", shop, "-q").returncode == 0
    assert run_rag("index", shop, "--check").returncode == 0
    # the repaired index does not carry the bad vectors over from the damaged one
    answer = Engine.open(str(shop)).ask("add a product to the cart")
    assert answer.answer.module == "shop/cart.py"


@pytest.mark.parametrize("name", ["files.jsonl", "graph.json", "retrieval/corpus.json", "retrieval/dense-files.npy"])
def test_a_truncated_snapshot_file_is_one_line_for_a_question_and_repaired_by_index(shop, name):
    run_rag("index", shop, "-q")
    path = _snapshot_file(shop, name)
    with open(path, "r+b") as fh:
        fh.truncate(max(1, fh.seek(0, 2) // 2))
    r = run_rag("ask", "cart", "--repo", shop)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "damaged" in r.stderr, r.stderr
    assert run_rag("index", shop, "--check").returncode == 4
    assert run_rag("index", shop, "-q").returncode == 0
    assert run_rag("ask", "add a product to the cart", "--repo", shop, "-k", "1").returncode == 0


def test_a_flipped_byte_in_the_modules_is_refused_by_every_reader(shop):
    """A same-size byte flip in modules.jsonl was printed by `rag modules` and answered from by `rag ask`:
    they looked at sizes only (README audit, sweep 11)."""
    run_rag("index", shop, "-q")
    path = _snapshot_file(shop, "modules.jsonl")
    with open(path, "r+b") as fh:
        first = fh.read(1)
        fh.seek(0)
        fh.write(b"Y" if first != b"Y" else b"Z")
    for command in (["modules", shop, "--all"], ["ask", "add a product to the cart", "--repo", shop]):
        r = run_rag(*command)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "is damaged (modules.jsonl changed since it was written): `rag index` repairs it" in r.stderr, r.stderr
    assert run_rag("index", shop, "-q").returncode == 0
    assert run_rag("modules", shop).returncode == 0


def test_a_missing_snapshot_file_is_damage(shop):
    import os

    run_rag("index", shop, "-q")
    os.unlink(_snapshot_file(shop, "modules.jsonl"))
    check = run_rag("index", shop, "--check")
    assert check.returncode == 4 and "modules.jsonl is missing" in check.stdout
    assert run_rag("index", shop, "-q").returncode == 0 and run_rag("index", shop, "--check").returncode == 0


@pytest.mark.parametrize("name", ["retrieval/past-changes.json", "retrieval/sparse-past-changes/counts.npy",
                                  "retrieval/sparse-past-changes/documents.npy"])
def test_flipped_bytes_in_the_past_changes_are_one_line_for_a_question(shop, name):
    """Found by bench/probes.py: the past changes are read on a question's first use, and bytes that do
    not parse (UnicodeDecodeError, NumPy's TokenError) were internal errors."""
    run_rag("index", shop, "-q")
    path = _snapshot_file(shop, name)
    _overwrite(path, os.path.getsize(path) // 2, b"\x9a\x9a\x9a")
    r = run_rag("ask", "add a product to the cart", "--repo", shop)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and ("damaged" in r.stderr or "unreadable" in r.stderr), r.stderr
    assert "internal error" not in r.stderr
    assert run_rag("index", shop, "--check").returncode == 4
    assert run_rag("index", shop, "-q").returncode == 0
    assert run_rag("ask", "add a product to the cart", "--repo", shop, "-k", "1").returncode == 0


def _nan_vectors(path):
    _overwrite(path, 64, struct.pack("<16f", *[float("nan")] * 16))  # the last row's floats, same size


def _other_bm25_counts(path):
    import numpy as np

    counts = np.load(path)
    np.save(path, np.full_like(counts, 3))  # the same header and size: loading the bytes notices nothing


@pytest.mark.parametrize("name, damage", [("retrieval/dense-files.faiss", _nan_vectors),
                                          ("retrieval/sparse-files/counts.npy", _other_bm25_counts),
                                          ("retrieval/sparse-chunks/counts.npy", _other_bm25_counts)])
def test_numbers_that_do_not_fit_are_damage_not_answers(shop, name, damage):
    """Found by a user's probe: FAISS leaves out a vector whose similarity is NaN, and NaN BM25 weights
    gave NaN scores and confidences (invalid JSON), each answered with exit 0. BM25's term counts are
    checked against the documents' lengths."""
    run_rag("index", shop, "-q")
    damage(_snapshot_file(shop, name))
    r = run_rag("ask", "add a product to the cart", "--repo", shop, "--json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "damaged" in r.stderr, (r.stdout, r.stderr)
    assert "NaN" not in r.stdout
    assert run_rag("index", shop, "--check").returncode == 4
    assert run_rag("index", shop, "-q").returncode == 0
    assert run_rag("ask", "add a product to the cart", "--repo", shop, "-k", "1").returncode == 0


@pytest.mark.parametrize("manifest", [b'{"format_version": 1, "tool', b"", b"[]", b'{"format_version": 1}',
                                      b'{"format_version": 1, "tool_version": "x", "snapshot": "s", "created": "c", '
                                      b'"settings": {}, "files": 5}'])
def test_a_corrupt_manifest_is_damage_for_check_and_rebuilt_by_a_question(shop, manifest):
    """Found by a user's probe: `--check` called it stale (exit 1), and a manifest without its fields
    showed Python's own complaint (`Manifest.__init__() missing 5 required positional arguments`)."""
    run_rag("index", shop, "-q")
    (shop / ".rag" / "manifest.json").write_bytes(manifest)
    check = run_rag("index", shop, "--check")
    assert check.returncode == 4 and "corrupt" in check.stdout and "__init__" not in check.stdout, check.stdout
    # nothing in it can be used, as with no index at all: a question builds the index afresh first
    r = run_rag("ask", "add a product to the cart", "--repo", shop, "-k", "1")
    assert r.returncode == 0 and r.stdout.startswith("shop/cart.py"), r.stdout + r.stderr
    assert run_rag("index", shop, "--check").returncode == 0

"""FAISS indexes: exact below the limit, HNSW above it, both saved and loaded in FAISS's own format."""
import numpy as np

from rag.retrieval.dense import DenseIndex
from rag.retrieval.fusion import best_per_group, fuse, standardise


def vectors(n, d=16, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_index_scores_every_vector(tmp_path):
    x = vectors(50)
    index = DenseIndex.build(x, exact_limit=100)
    index.save(str(tmp_path / "i.faiss"))
    loaded = DenseIndex.load(str(tmp_path / "i.faiss"))
    assert np.allclose(loaded.scores(x[3]), x @ x[3], atol=1e-5)


def test_hnsw_past_the_limit_finds_the_nearest(tmp_path):
    x = vectors(300)
    index = DenseIndex.build(x, exact_limit=100)
    index.save(str(tmp_path / "h.faiss"))
    scores = DenseIndex.load(str(tmp_path / "h.faiss")).scores(x[7], top=10)
    assert int(np.argmax(scores)) == 7
    assert (scores == -1.0).sum() == 290  # only the top 10 were scored


def test_fusion_helpers():
    assert np.all(standardise(np.array([2.0, 2.0, 2.0])) == 0)  # a flat signal carries no information
    z = standardise(np.array([1.0, 2.0, 3.0]))
    assert np.isclose(z.mean(), 0) and np.isclose(z.std(), 1)
    fused = fuse({"a": np.array([1.0, 2.0, 3.0]), "b": np.array([3.0, 2.0, 1.0])}, {"a": 1.0, "b": 0.5})
    assert list(np.argsort(-fused)) == [2, 1, 0]
    assert list(best_per_group(np.array([0.1, 0.9, 0.4]), np.array([0, 0, 2]), 3, -1.0)) == [0.9, -1.0, 0.4]


def test_best_per_group_is_the_same_for_runs_and_for_scattered_groups():
    rng = np.random.default_rng(0)
    values = rng.normal(size=500)
    groups = np.sort(rng.integers(0, 80, size=500))  # runs, some files with no definition
    scattered = rng.permutation(500)
    runs = best_per_group(values, groups, 90, -1.0)
    assert np.array_equal(runs, best_per_group(values[scattered], groups[scattered], 90, -1.0))
    expected = np.full(90, -1.0)
    for v, g in zip(values, groups):
        expected[g] = max(expected[g], v)
    assert np.array_equal(runs, expected)

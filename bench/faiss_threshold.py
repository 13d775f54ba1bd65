"""When does exact FAISS search get too slow for a query? (sets RetrievalSettings.exact_search_limit)

    python bench/faiss_threshold.py

Times one 384-d query against N normalised random vectors: exact inner product (IndexFlatIP) over all
of them, and HNSW (32 neighbours) for the top 512. Medians of 50 queries, one process, 2 cores.
"""
import statistics
import time

import faiss
import numpy as np

rng = np.random.default_rng(0)
print("| vectors | exact: all scores ms | HNSW top 512 ms | HNSW build s |")
print("| --- | --- | --- | --- |")
for n in (2_000, 10_000, 50_000, 100_000, 200_000):
    x = rng.standard_normal((n, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    queries = x[rng.integers(0, n, 50)] + 0.01
    flat = faiss.IndexFlatIP(384)
    flat.add(x)
    t = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(384, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(x)
    build = time.perf_counter() - t
    timings = {}
    for name, index, k in (("flat", flat, n), ("hnsw", hnsw, 512)):
        ts = []
        for q in queries:
            t = time.perf_counter()
            index.search(q.reshape(1, -1), k)
            ts.append((time.perf_counter() - t) * 1000)
        timings[name] = statistics.median(ts)
    print(f"| {n:,} | {timings['flat']:.1f} | {timings['hnsw']:.2f} | {build:.1f} |")

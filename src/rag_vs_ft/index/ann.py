"""Which faiss index the dense retriever uses (`retrieval.index`), how it is built and how its search is tuned.

Flat is exact and needs no training; HNSW and IVF are approximate and pay off only on large corpora, so `auto`
switches at AUTO_APPROX_CHUNKS. `rc` is anything with the RetrievalConfig fields index, hnsw_m, ef_search and
ivf_nprobe.
"""

from __future__ import annotations

import math

import numpy as np

# Below this many chunks auto stays exact. Measured by benchmarks/index_scale.py (benchmarks/results/) on a 2-core
# Xeon with 384-d embedding-like vectors: an exact search, one query at a time as the RAG arm asks, costs 18 ms at
# 100k chunks and 37 ms at 200k (linear: 179 ms at 1 M), against 8.4 ms to embed the query with MiniLM and about
# 0.7 s to generate the answer. At 200k exact search is 4x the query's embedding and 5% of an answer, and beyond
# it grows into the answer's cost, while HNSW32 (efSearch 256) answers in 3.2 ms at 1 M with recall@10 0.94 and
# builds in a few minutes, small beside embedding that many chunks. Below it exactness is worth its cost.
AUTO_APPROX_CHUNKS = 200_000

# faiss warns when a k-means centroid has fewer than 39 training points; capping the lists at n // 39 keeps
# every list trained on at least that many vectors
MIN_POINTS_PER_LIST = 39


def index_kind_for(n_vectors: int, rc) -> str:
    """An explicit kind wins; auto is exact below AUTO_APPROX_CHUNKS and hnsw from there up."""
    if rc is None:
        return "flat"
    if rc.index != "auto":
        return rc.index
    return "hnsw" if n_vectors >= AUTO_APPROX_CHUNKS else "flat"


def ivf_lists(n: int) -> int:
    # ~4*sqrt(n) lists is faiss's usual rule of thumb for the coarse quantiser
    return max(1, min(round(4 * math.sqrt(n)), n // MIN_POINTS_PER_LIST))


def factory_string(kind: str, n: int, rc) -> str:
    if kind == "flat":
        return "Flat"
    if kind == "hnsw":
        return f"HNSW{rc.hnsw_m}"
    if kind == "ivf":
        return f"IVF{ivf_lists(n)},Flat"
    raise ValueError(f"unknown index kind {kind!r}")


def build_params(kind: str, n: int, rc) -> dict | None:
    """What the built index depends on beyond its vectors (None for flat, so flat cache keys stay as they were)."""
    if kind == "flat":
        return None
    return {"kind": kind, "factory": factory_string(kind, n, rc)}


def search_params(kind: str, rc) -> dict:
    """What its answers depend on at search time (not stored in the index's cache directory: changing them needs
    no rebuild)."""
    return {"hnsw": {"ef_search": rc.ef_search}, "ivf": {"nprobe": rc.ivf_nprobe}}.get(kind, {}) if rc else {}


def build_index(vecs: np.ndarray, kind: str, rc):
    """An inner-product index over `vecs` (normalised, so scores are cosines), trained if the kind needs it."""
    import faiss

    vecs = np.ascontiguousarray(vecs, dtype="float32")
    index = faiss.index_factory(vecs.shape[1], factory_string(kind, len(vecs), rc), faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:  # IVF: k-means for the coarse quantiser must see the data before vectors are added
        index.train(vecs)
    index.add(vecs)
    tune(index, rc)
    return index


def tune(index, rc):
    """Set the search-time knobs. ParameterSpace finds the HNSW or IVF level itself, also on an index that
    faiss.read_index returned, so this is called after every load as well as after a build."""
    import faiss

    if rc is None:
        return index
    ps = faiss.ParameterSpace()
    if hasattr(faiss.downcast_index(index), "hnsw"):
        ps.set_index_parameter(index, "efSearch", rc.ef_search)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        # more probes than lists would scan nothing extra
        ps.set_index_parameter(index, "nprobe", min(rc.ivf_nprobe, ivf.nlist))
    return index

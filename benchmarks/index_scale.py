"""The dense index at corpus scale: exact flat against HNSW and IVF (`retrieval.index`) on synthetic vectors.

    python benchmarks/index_scale.py [--n 1000000] [--dim 384] [--queries 1000] [--sizes 100000,200000,500000]

The vectors are drawn to look like sentence embeddings to an index: a gaussian whose standard deviation along
its k-th axis falls as k^-DECAY around a common mean direction, normalised. Measured on all-MiniLM-L6-v2 chunk
embeddings of the legal corpus (1,817 and 3,670 chunks): variance spectrum ~ k^-1.0 (DECAY 0.5) and a mean
cosine between two chunks of 0.30 — the defaults. Queries come from the same distribution. (A tight gaussian
mixture is the wrong stand-in: its neighbours all sit in one topic's cluster, which IVF's lists capture whole,
and it measured IVF recall 1.000 at every nprobe.) Prints, per index and search setting: build seconds, index size (its faiss
serialisation, what it holds in memory), resident memory added by the build, recall@10 against flat, and
ms/query both for a batch of queries and one query at a time (how the RAG arm asks at serving time); then the
exact index's one-at-a-time latency at smaller sizes, the number index.ann.AUTO_APPROX_CHUNKS is set from.
Run it with nothing else on the machine; it needs about 2 GB per million 384-d vectors.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import numpy as np

from rag_vs_ft.config import RetrievalConfig
from rag_vs_ft.index import ann


SHORT = {"ef_search": "efSearch", "ivf_nprobe": "nprobe"}


def cpu_name() -> str:
    with open("/proc/cpuinfo") as f:
        info = f.read()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                platform.machine())
    return name + (" with AVX512-BF16" if "avx512_bf16" in info else "")


def embedding_like(n: int, dim: int, decay: float, mean_cosine: float, seed: int) -> np.ndarray:
    """`n` normalised vectors, std k^-decay along axis k around a mean whose size gives two vectors an average
    cosine of `mean_cosine`; drawn in blocks to keep the peak memory near the output."""
    scale = (np.arange(1, dim + 1, dtype="float32") ** -decay)
    # E[cos] ~ |mu|^2 / (|mu|^2 + sum scale^2) for the normalised pair
    mu = np.random.default_rng(0).standard_normal(dim).astype("float32")
    mu *= np.sqrt(mean_cosine / (1 - mean_cosine) * float((scale ** 2).sum())) / np.linalg.norm(mu)
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype="float32")
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        block = mu + scale * rng.standard_normal((m, dim), dtype="float32")
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def index_mb(index) -> float:
    import faiss

    with tempfile.NamedTemporaryFile(suffix=".faiss") as f:
        faiss.write_index(index, f.name)
        return os.path.getsize(f.name) / 2**20


def recall_at_10(got: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, truth)]))


def search_ms(index, queries: np.ndarray, one_at_a_time: int) -> tuple[np.ndarray, float, float]:
    t0 = time.perf_counter()
    _, ids = index.search(queries, 10)
    batch_ms = (time.perf_counter() - t0) * 1000 / len(queries)
    t0 = time.perf_counter()
    for q in queries[:one_at_a_time]:
        index.search(q[None, :], 10)
    single_ms = (time.perf_counter() - t0) * 1000 / one_at_a_time
    return ids, batch_ms, single_ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--single", type=int, default=200, help="queries timed one at a time")
    ap.add_argument("--decay", type=float, default=0.5, help="std along axis k falls as k^-decay")
    ap.add_argument("--mean-cosine", type=float, default=0.30, help="average cosine of two vectors")
    ap.add_argument("--sizes", default="100000,200000,500000", help="smaller sizes to time exact search at")
    args = ap.parse_args()

    import faiss

    t0 = time.perf_counter()
    x = embedding_like(args.n, args.dim, args.decay, args.mean_cosine, seed=1)
    q = embedding_like(args.queries, args.dim, args.decay, args.mean_cosine, seed=2)
    print(f"{args.n:,} x {args.dim} vectors ({x.nbytes / 2**30:.2f} GiB), {args.queries} queries, "
          f"std ~ k^-{args.decay}, mean cosine {args.mean_cosine}; made in {time.perf_counter() - t0:.0f} s")
    print(f"machine: {os.cpu_count()} cores, {cpu_name()}; faiss {faiss.__version__}, "
          f"{faiss.omp_get_max_threads()} threads")

    settings = [("flat", {}), ("hnsw", {"ef_search": 64}), ("hnsw", {"ef_search": 128}), ("hnsw", {"ef_search": 256}),
                ("ivf", {"ivf_nprobe": 16}), ("ivf", {"ivf_nprobe": 64}), ("ivf", {"ivf_nprobe": 256})]
    header = f"{'index':<22}{'build s':>9}{'index MB':>10}{'RSS +MB':>9}{'recall@10':>11}{'ms/q batch':>12}{'ms/q one':>10}"
    print(header + "\n" + "-" * len(header))
    built: dict[str, tuple] = {}
    truth = None
    for kind, knobs in settings:
        rc = RetrievalConfig(index=kind, **knobs)
        if kind not in built:  # one build per kind; the search knobs are set on it afterwards
            before, t0 = rss_mb(), time.perf_counter()
            index = ann.build_index(x, kind, rc)
            built[kind] = (index, time.perf_counter() - t0, index_mb(index), rss_mb() - before)
        index, build_s, size_mb, rss_add = built[kind]
        ann.tune(index, rc)
        ids, batch_ms, single_ms = search_ms(index, q, args.single)
        truth = ids if kind == "flat" else truth
        label = ann.factory_string(kind, args.n, rc) + "".join(f" {SHORT[k]}={v}" for k, v in knobs.items())
        print(f"{label:<22}{build_s:>9.1f}{size_mb:>10.0f}{rss_add:>9.0f}{recall_at_10(ids, truth):>11.3f}"
              f"{batch_ms:>12.3f}{single_ms:>10.2f}")

    print("\nexact (flat) search at smaller sizes, ms per query:")
    for n in [int(s) for s in args.sizes.split(",") if s] + [args.n]:
        index = faiss.IndexFlatIP(args.dim)
        index.add(x[:n])
        _, batch_ms, single_ms = search_ms(index, q, args.single)
        print(f"  {n:>10,}: batch {batch_ms:.3f}, one at a time {single_ms:.2f}")
    print(f"\nauto uses flat below {ann.AUTO_APPROX_CHUNKS:,} chunks and hnsw from there")


if __name__ == "__main__":
    main()

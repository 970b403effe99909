"""Retrieval quality and speed of every mode on the legal domain's dev + test questions, beside bare faiss +
sentence-transformers on the same chunks (the obvious alternative to our dense retriever).

    HF_HUB_OFFLINE=1 python benchmarks/retrieval.py [--k 5] [--chunk-size 500] [--reranker HF_ID_OR_PATH]

Prints recall@k, MRR and ms/query per mode, then the speed ratio of our dense retriever against the bare one,
the two timed alternately (>= 1.0 means ours is at least as fast). Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rag_vs_ft.config import RunConfig
from rag_vs_ft.synth.domain import load_domain
from rag_vs_ft.index.metrics import mean_metrics
from rag_vs_ft.index.registry import MODES, make_retriever
from rag_vs_ft.index.retriever import build_or_load
from rag_vs_ft.models.resolve import embedder_path
from rag_vs_ft.preflight import plan_questions


def timed_rank(retriever, questions: list[str], depth: int, repeats: int = 3) -> tuple[list, float]:
    best, ranked = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        ranked = retriever.rank(questions, depth)
        best = min(best, time.perf_counter() - t0)
    return ranked, best * 1000 / len(questions)


class BareDense:
    """What a user writes without us: model.encode + a faiss inner-product search over the same vectors."""

    def __init__(self, dense):
        import faiss

        vecs = np.asarray(dense.index.reconstruct_n(0, dense.index.ntotal), dtype="float32")
        self.index, self.embedder = faiss.IndexFlatIP(vecs.shape[1]), dense.embedder
        self.index.add(vecs)

    def rank(self, questions: list[str], depth: int) -> list:
        q = self.embedder.encode(questions, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
        _, ids = self.index.search(np.asarray(q, dtype="float32"), depth)
        return [[(int(j), 0.0) for j in row] for row in ids]


def head_to_head(ours, bare, questions: list[str], depth: int, repeats: int = 7) -> tuple[float, float]:
    """ms/query of ours and of the bare version, timed alternately (so drift in the machine hits both alike),
    best of `repeats` each."""
    best = {"ours": float("inf"), "bare": float("inf")}
    for _ in range(repeats):
        for name, r in (("ours", ours), ("bare", bare)):
            t0 = time.perf_counter()
            r.rank(questions, depth)
            best[name] = min(best[name], time.perf_counter() - t0)
    return best["ours"] * 1000 / len(questions), best["bare"] * 1000 / len(questions)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument("--reranker", default=None, help="a cross-encoder (HF id when online, or a local path)")
    args = ap.parse_args()
    cfg = RunConfig()
    domain = load_domain("legal", cfg.corpora_dir, cfg.cache_dir)
    plan = plan_questions(domain.questions, cfg)
    items = [q for q in plan.splits["dev"] + plan.splits["test"] if q.answerable]
    questions, golds = [q.question for q in items], [set(q.doc_ids) for q in items]
    dense, _ = build_or_load(domain.documents, args.chunk_size, cfg.retrieval.chunk_overlap, cfg.retrieval.embedder,
                             embedder_path(cfg.retrieval.embedder), cfg.cache_dir, "cpu")
    cross = None
    if args.reranker:
        from rag_vs_ft.index.rerank import load_cross_encoder

        cross = load_cross_encoder(args.reranker, "cpu")
    print(f"legal dev+test: {len(items)} answerable questions, {len(dense.chunks)} chunks of <= {args.chunk_size} "
          f"characters, k={args.k}")
    print(f"{'retriever':<22}{'recall@k':>10}{'MRR':>8}{'nDCG':>8}{'ms/query':>10}")
    timings = {}
    runs = [(mode, make_retriever(mode, dense)) for mode in MODES]
    runs += [(f"{mode}+rerank", make_retriever(mode, dense, cross)) for mode in MODES] if cross else []
    for label, retriever in runs:
        ranked, ms = timed_rank(retriever, questions, args.k)
        m = mean_metrics([[retriever.chunks[j].doc_id for j, _ in row] for row in ranked], golds, args.k)
        timings[label] = ms
        print(f"{label:<22}{m['recall']:>10.3f}{m['mrr']:>8.3f}{m['ndcg']:>8.3f}{ms:>10.2f}")
    bare = BareDense(dense)
    ranked = bare.rank(questions, args.k)
    ours_ms, bare_ms = head_to_head(make_retriever("dense", dense), bare, questions, args.k)
    m = mean_metrics([[dense.chunks[j].doc_id for j, _ in row] for row in ranked], golds, args.k)
    print(f"{'bare faiss + ST':<22}{m['recall']:>10.3f}{m['mrr']:>8.3f}{m['ndcg']:>8.3f}{bare_ms:>10.2f}")
    print(f"speed of our dense retriever vs bare faiss + sentence-transformers, timed alternately: "
          f"{bare_ms:.2f} / {ours_ms:.2f} ms per query = {bare_ms / ours_ms:.2f}x")


if __name__ == "__main__":
    main()

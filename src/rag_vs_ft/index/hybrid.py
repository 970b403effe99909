"""Hybrid retrieval: dense and BM25 rankings of the same chunks fused by reciprocal rank fusion."""

from __future__ import annotations

from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index.metrics import reciprocal_rank_fusion
from rag_vs_ft.index.retriever import Ranked, Retriever, hits

RRF_K = 60  # the constant of Cormack et al. (2009); ranks matter, raw scores of the two retrievers never mix
FUSION_DEPTH = 50  # each ranking contributes this many candidates


class HybridRetriever:
    name = "hybrid"

    def __init__(self, dense: Retriever, sparse: Retriever):
        self.dense, self.sparse = dense, sparse

    @property
    def chunks(self):
        return self.dense.chunks

    def rank(self, queries: list[str], depth: int) -> list[Ranked]:
        pool = max(depth, FUSION_DEPTH)
        return [reciprocal_rank_fusion([[j for j, _ in d], [j for j, _ in s]], RRF_K)[:depth]
                for d, s in zip(self.dense.rank(queries, pool), self.sparse.rank(queries, pool))]

    def search(self, queries: list[str], k: int):
        return hits(self.chunks, self.rank(queries, k))

    def add(self, docs: list[Document], chunk_size: int, chunk_overlap: int) -> None:
        self.dense.add(docs, chunk_size, chunk_overlap)
        self.sparse.add(docs, chunk_size, chunk_overlap)

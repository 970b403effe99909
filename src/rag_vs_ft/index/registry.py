"""The retrieval modes, registered in one place: a mode is a function from the dense retriever (which owns the
cached chunking and embeddings) to a retriever over the same chunks. Adding a mode is one module and one line."""

from __future__ import annotations

from typing import Callable

from rag_vs_ft.index.bm25 import Bm25Retriever
from rag_vs_ft.index.hybrid import HybridRetriever
from rag_vs_ft.index.retriever import DenseRetriever, Retriever

MODES: dict[str, Callable[[DenseRetriever], Retriever]] = {
    "dense": lambda dense: dense,
    "bm25": lambda dense: Bm25Retriever(dense.chunks),
    "hybrid": lambda dense: HybridRetriever(dense, Bm25Retriever(dense.chunks)),
}


def make_retriever(mode: str, dense: DenseRetriever, cross_encoder=None) -> Retriever:
    """`mode` over the dense retriever's chunks, reranked when a cross-encoder is given."""
    if mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r}; known: {', '.join(MODES)}")
    retriever = MODES[mode](dense)
    if cross_encoder is not None:
        from rag_vs_ft.index.rerank import RerankedRetriever

        retriever = RerankedRetriever(retriever, cross_encoder)
    return retriever

"""Cross-encoder reranking on top of any retrieval mode: the first stage proposes `depth` chunks, a
sentence-transformers CrossEncoder (any HF id when online, or a local path) reads each (question, chunk) pair
and reorders them. No cross-encoder ships in a package this project can install offline, so it is off by default
(`retrieval.reranker`)."""

from __future__ import annotations

from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index.retriever import Ranked, Retriever, chunk_text, hits

RERANK_DEPTH = 20  # candidates the cross-encoder reads per question


class RerankedRetriever:
    def __init__(self, first_stage: Retriever, cross_encoder, depth: int = RERANK_DEPTH):
        self.first_stage, self.model, self.depth = first_stage, cross_encoder, depth
        self.name = f"{getattr(first_stage, 'name', 'retriever')}+rerank"

    @property
    def chunks(self):
        return self.first_stage.chunks

    def rank(self, queries: list[str], depth: int) -> list[Ranked]:
        proposed = self.first_stage.rank(queries, max(depth, self.depth))
        pairs = [(q, chunk_text(self.chunks[j])) for q, row in zip(queries, proposed) for j, _ in row]
        scores = iter(self.model.predict(pairs, show_progress_bar=False).tolist()) if pairs else iter(())
        return [sorted(((j, next(scores)) for j, _ in row), key=lambda js: -js[1])[:depth] for row in proposed]

    def search(self, queries: list[str], k: int):
        return hits(self.chunks, self.rank(queries, k))

    def add(self, docs: list[Document], chunk_size: int, chunk_overlap: int) -> None:
        self.first_stage.add(docs, chunk_size, chunk_overlap)


def load_cross_encoder(name_or_path: str, device: str, trust_remote_code: bool = False):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(name_or_path, device=device, trust_remote_code=trust_remote_code)

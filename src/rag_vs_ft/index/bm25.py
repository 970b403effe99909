"""Sparse retrieval: BM25 over the same chunks as the dense index (bm25s: sparse matrices, no server)."""

from __future__ import annotations

from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index.retriever import Chunk, Ranked, chunk_text, hits, split_documents


class Bm25Retriever:
    name = "bm25"

    def __init__(self, chunks: list[Chunk]):
        self.chunks = list(chunks)  # its own list: adding documents to another retriever must not shift ours
        self._build()

    def _build(self) -> None:
        import bm25s

        self.model = None
        if not self.chunks:  # every document withheld for the freshness test: nothing to index yet
            return
        self.model = bm25s.BM25()
        self.model.index(bm25s.tokenize([chunk_text(c) for c in self.chunks], stopwords="en", show_progress=False),
                         show_progress=False)

    def rank(self, queries: list[str], depth: int) -> list[Ranked]:
        import bm25s

        if self.model is None:
            return [[] for _ in queries]
        tokens = bm25s.tokenize(queries, stopwords="en", return_ids=False, show_progress=False)
        ids, scores = self.model.retrieve(tokens, k=min(depth, len(self.chunks)), show_progress=False)
        # a chunk sharing no term with the question scores 0: it was not found, whatever its place
        return [[(int(j), float(s)) for j, s in zip(irow, srow) if s > 0] for irow, srow in zip(ids, scores)]

    def search(self, queries: list[str], k: int):
        return hits(self.chunks, self.rank(queries, k))

    def add(self, docs: list[Document], chunk_size: int, chunk_overlap: int) -> None:
        self.chunks += split_documents(docs, chunk_size, chunk_overlap)
        self._build()  # BM25's statistics cover the whole collection: re-index (seconds, not minutes)

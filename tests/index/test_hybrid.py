"""index.hybrid: the dense and BM25 rankings fused by reciprocal rank, over the dense retriever's chunks."""

import pytest

from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index.hybrid import FUSION_DEPTH, RRF_K, HybridRetriever
from rag_vs_ft.index.retriever import Chunk


class Fixed:
    """A retriever whose ranking is given: records the depths asked for and the documents added."""

    def __init__(self, ranking, chunks=None):
        self.ranking, self.chunks, self.depths, self.added = ranking, chunks, [], []

    def rank(self, queries, depth):
        self.depths.append(depth)
        return [[(j, 100.0 - n) for n, j in enumerate(self.ranking[:depth])] for _ in queries]

    def add(self, docs, chunk_size, chunk_overlap):
        self.added.append((docs, chunk_size, chunk_overlap))


CHUNKS = [Chunk(f"d{i}", f"T{i}", f"text {i}") for i in range(4)]


def test_fusion_ranks_by_reciprocal_rank_not_by_raw_scores():
    dense, sparse = Fixed([0, 1, 2], CHUNKS), Fixed([2, 0])
    h = HybridRetriever(dense, sparse)
    [row] = h.rank(["q"], 3)
    # 0: 1/61 + 1/62, 2: 1/63 + 1/61, 1: 1/62 (k = 60)
    assert [j for j, _ in row] == [0, 2, 1]
    assert row[0][1] == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 2)) and row[2][1] == pytest.approx(1 / 62)


def test_each_ranking_is_read_deep_and_the_fusion_cut_at_the_depth():
    dense, sparse = Fixed(list(range(4)), CHUNKS), Fixed([3, 2, 1, 0])
    h = HybridRetriever(dense, sparse)
    rows = h.rank(["a", "b"], 2)
    assert dense.depths == sparse.depths == [FUSION_DEPTH]  # candidates come from deep in both rankings
    assert len(rows) == 2 and all(len(r) == 2 for r in rows)
    h.rank(["a"], FUSION_DEPTH + 10)
    assert dense.depths[-1] == FUSION_DEPTH + 10


def test_search_gives_the_dense_chunks_as_hits_and_add_reaches_both():
    dense, sparse = Fixed([1, 3], CHUNKS), Fixed([3])
    h = HybridRetriever(dense, sparse)
    assert h.chunks is CHUNKS and h.name == "hybrid"
    [hits] = h.search(["q"], 5)
    assert [x.doc_id for x in hits] == ["d3", "d1"] and hits[0].text == "text 3"
    assert hits[0].score == pytest.approx(1 / 62 + 1 / 61)
    docs = [Document("n", "New", "new text")]
    h.add(docs, 200, 20)
    assert dense.added == sparse.added == [(docs, 200, 20)]

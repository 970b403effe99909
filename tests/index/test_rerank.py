"""index.rerank: a cross-encoder reorders what the first stage proposes (a stand-in cross-encoder, no model)."""

import numpy as np

from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index.rerank import RERANK_DEPTH, RerankedRetriever
from rag_vs_ft.index.retriever import Chunk

CHUNKS = [Chunk("a", "Alpha", "first"), Chunk("b", "Beta", "second text"), Chunk("c", "Gamma", "the third one")]


class FirstStage:
    name = "bm25"
    chunks = CHUNKS

    def __init__(self, rows):
        self.rows, self.depths, self.added = rows, [], []

    def rank(self, queries, depth):
        self.depths.append(depth)
        return [list(self.rows[q]) for q in queries]

    def add(self, docs, chunk_size, chunk_overlap):
        self.added.append(docs)


class Scorer:
    """Scores a (question, passage) pair by a table, and records the pairs it read."""

    def __init__(self, table):
        self.table, self.pairs = table, []

    def predict(self, pairs, show_progress_bar=False):
        assert pairs, "asked to score no pairs"  # a real CrossEncoder is not called on nothing
        self.pairs += pairs
        return np.array([self.table[(q, p)] for q, p in pairs], dtype=float)


def test_the_cross_encoder_orders_each_question_s_candidates():
    first = FirstStage({"q1": [(0, 9.0), (1, 8.0), (2, 7.0)], "q2": [(2, 5.0), (0, 4.0)]})
    table = {("q1", "Alpha\nfirst"): 0.1, ("q1", "Beta\nsecond text"): 0.9, ("q1", "Gamma\nthe third one"): 0.5,
             ("q2", "Gamma\nthe third one"): -1.0, ("q2", "Alpha\nfirst"): 2.0}
    scorer = Scorer(table)
    r = RerankedRetriever(first, scorer)
    rows = r.rank(["q1", "q2"], 2)
    assert rows == [[(1, 0.9), (2, 0.5)], [(0, 2.0), (2, -1.0)]]  # each question keeps its own scores
    assert first.depths == [RERANK_DEPTH]  # proposes more than it keeps
    assert len(scorer.pairs) == 5  # the title is read with the chunk: it names the act and article
    assert [h.doc_id for h in r.search(["q1"], 1)[0]] == ["b"]
    assert r.name == "bm25+rerank" and r.chunks is CHUNKS


def test_depth_beyond_the_rerank_depth_and_nothing_to_rerank():
    first = FirstStage({"q": []})
    scorer = Scorer({})
    r = RerankedRetriever(first, scorer, depth=4)
    assert r.rank(["q"], 10) == [[]] and first.depths == [10]
    assert scorer.pairs == []
    docs = [Document("d", "T", "x")]
    r.add(docs, 100, 10)
    assert first.added == [docs]

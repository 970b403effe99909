"""Retrieval modes, their metrics with known values, the dev-only grid choice, and reranking mechanics."""

import math

import pytest

from rag_vs_ft.index.metrics import mean_metrics, ndcg_at_k, recall_at_k, reciprocal_rank, reciprocal_rank_fusion
from rag_vs_ft.index.registry import MODES, make_retriever
from rag_vs_ft.index.retriever import build_or_load
from rag_vs_ft.index.select import GridRow, choose, select_retrieval
from tiny_docs import DOCS


def test_metrics_known_values():
    ranking = ["a", "x", "a", "b", "y"]  # "a" twice: counted once
    assert recall_at_k(ranking, {"a", "b"}, 1) == 0.5 and recall_at_k(ranking, {"a", "b"}, 4) == 1.0
    assert reciprocal_rank(ranking, {"b"}) == 0.25 and reciprocal_rank(ranking, {"z"}) == 0.0
    assert reciprocal_rank(ranking, {"b"}, k=3) == 0.0
    # gold a at 1, b at 4; ideal a, b at 1, 2
    assert ndcg_at_k(ranking, {"a", "b"}, 5) == pytest.approx((1 + 1 / math.log2(5)) / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["a"], {"a"}, 3) == 1.0 and ndcg_at_k(["x"], {"a"}, 3) == 0.0
    m = mean_metrics([["a", "x"], ["x", "b"], ["q"]], [{"a"}, {"b"}, set()], 2)
    assert m == {"recall": 1.0, "mrr": 0.75, "ndcg": pytest.approx((1 + 1 / math.log2(3)) / 2), "n": 2}


def test_reciprocal_rank_fusion_known_values():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62) and scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert [i for i, _ in fused] == [1, 3, 2]


@pytest.fixture
def dense(tmp_path, embedder, monkeypatch):
    from rag_vs_ft.index import retriever as mod

    monkeypatch.setattr(mod, "load_embedder", lambda path, device: embedder)
    return build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu")[0]


@pytest.mark.parametrize("mode", list(MODES))
def test_every_mode_finds_the_evidence_and_takes_new_documents(mode, dense, tmp_path, embedder, monkeypatch):
    r = make_retriever(mode, dense)
    hits = r.search(["How fast must a personal data breach be notified?", "software free of charge permission"], 2)
    assert hits[0][0].doc_id == "gdpr-art-33" and hits[1][0].doc_id == "license-mit"
    assert all(h[0].score >= h[-1].score for h in hits)
    from rag_vs_ft.corpus.schema import Document

    r.add([Document("nis2-art-21", "NIS2 Article 21", "Essential entities shall take cybersecurity risk-management "
                    "measures appropriate to the risks posed to network and information systems.")], 200, 20)
    assert r.search(["cybersecurity risk-management measures of essential entities"], 1)[0][0].doc_id == "nis2-art-21"


def test_bm25_ignores_chunks_without_a_shared_term(dense):
    ranked = make_retriever("bm25", dense).rank(["zebra xylophone"], 5)
    assert ranked == [[]]


def _row(mode, size, k, recall, ndcg=0.5):
    return GridRow(mode, size, k, recall, 0.5, ndcg, 40, 1.0)


def test_choice_prefers_recall_then_the_smallest_prompt_then_ranking():
    rows = [_row("dense", 500, 8, 0.90), _row("bm25", 500, 3, 0.70), _row("hybrid", 500, 5, 0.89),
            _row("hybrid", 1000, 3, 0.895, ndcg=0.6), _row("dense", 1000, 5, 0.80)]
    assert choose(rows) == rows[2]  # within 0.02 of 0.90, and 5 x 500 is the smallest prompt among those
    rows.append(_row("bm25", 500, 5, 0.89, ndcg=0.7))
    assert choose(rows).mode == "bm25"  # same prompt size: the better ranking


def test_selection_on_dev_questions(dense):
    dev = [("How fast must a data breach be notified?", {"gdpr-art-33"}), ("free of charge software", {"license-mit"}),
           ("ICT third-party risk", {"dora-art-28"}), ("notify the supervisory authority", {"gdpr-art-33"}),
           ("deal in the Software without restriction", {"license-mit"})]

    def run():
        return select_retrieval({200: dense}, dev, ["dense", "bm25", "hybrid"], [1, 2], ("dense", 200, 3),
                                lambda m, d: make_retriever(m, d))
    first = run()
    assert first.selected and first.n_dev == 5 and len(first.grid) == 6
    assert {(r.mode, r.top_k) for r in first.grid} == {(m, k) for m in ("dense", "bm25", "hybrid") for k in (1, 2)}
    too_few = select_retrieval({200: dense}, dev[:2], ["dense"], [1], ("hybrid", 200, 3), lambda m, d: d)
    assert not too_few.selected and (too_few.mode, too_few.top_k) == ("hybrid", 3) and "only 2" in too_few.reason
    def no_timing(choice):
        return [{k: v for k, v in row.items() if k != "ms_per_query"} for row in choice.to_dict()["grid"]]
    assert no_timing(run()) == no_timing(first)  # deterministic


def test_reranker_reorders_the_first_stage(dense):
    class ByLength:  # a stand-in cross-encoder: prefers the longest passage, whatever the question
        def predict(self, pairs, show_progress_bar=False):
            import numpy as np
            return np.array([float(len(p)) for _, p in pairs])

    r = make_retriever("dense", dense, ByLength())
    hits = r.search(["How fast must a data breach be notified?"], 3)[0]
    assert [len(h.text) for h in hits] == sorted((len(h.text) for h in hits), reverse=True)
    assert r.name == "dense+rerank"


def test_the_test_split_cannot_move_the_retrieval_choice(dense):
    """The run hands the selection `plan.dev_evidence()`: rewrite every test question's evidence and answer and
    the choice, grid included, stays the same."""
    from dataclasses import replace

    from rag_vs_ft.config import RunConfig
    from rag_vs_ft.corpus.schema import QAItem
    from rag_vs_ft.preflight import plan_questions

    texts = ["How fast must a data breach be notified?", "Is the software free of charge?", "What is ICT risk?",
             "Whom does the controller notify?", "May I deal in the Software without restriction?"]
    ids = ["gdpr-art-33", "license-mit", "dora-art-28", "gdpr-art-33", "license-mit"]
    items = [QAItem(f"q{i}", f"{texts[i % 5]} ({i})", "x", (ids[i % 5],), True, "k") for i in range(60)]
    plan = plan_questions(items, RunConfig(domain="x", freshness={"share": 0}))
    poisoned = replace(plan, splits={**plan.splits, "test": [replace(q, doc_ids=("license-mit",), answer="y")
                                                             for q in plan.splits["test"]]})

    def choice(p):
        c = select_retrieval({200: dense}, p.dev_evidence(), ["dense", "bm25"], [1, 2], ("dense", 200, 3),
                             lambda m, d: make_retriever(m, d))
        return (c.mode, c.top_k, [(r.mode, r.top_k, r.recall, r.ndcg) for r in c.grid])
    assert plan.dev_evidence() and choice(plan) == choice(poisoned)


def test_bm25_over_no_chunks_finds_nothing_until_documents_arrive():
    from rag_vs_ft.index.bm25 import Bm25Retriever

    r = Bm25Retriever([])
    assert r.rank(["anything at all"], 3) == [[]]
    r.add(DOCS, 200, 20)
    assert r.search(["personal data breach notification"], 1)[0][0].doc_id == "gdpr-art-33"

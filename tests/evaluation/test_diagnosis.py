"""Where the points are lost: retrieval vs reading misses, refusals vs fabrications, the bottleneck sentence."""

import pytest

from rag_vs_ft.evaluation.diagnosis import (bottleneck, closed_book_diagnosis, diagnose,
                                             retrieval_diagnosis)

SPECS = {"prompt": {"role": "candidate", "uses_retrieval": False, "complexity": 0},
         "rag": {"role": "candidate", "uses_retrieval": True, "complexity": 1},
         "oracle": {"role": "ceiling", "uses_retrieval": True}}


def _row(arm, correct, recall=None, refused=0.0, fabricated=0.0, answerable=True):
    return {"arm": arm, "answerable": answerable, "correct": float(correct), "context_recall": recall,
            "refused": refused, "fabricated": fabricated}


def _rows(oracle_correct: int):
    rag = ([_row("rag", 1, 1.0)] * 2 + [_row("rag", 0, 1.0)] * 5 + [_row("rag", 0, 0.0)] * 3
           + [_row("rag", 1, None, refused=1.0, answerable=False)])  # unanswerable: not counted
    prompt = [_row("prompt", 1)] + [_row("prompt", 0, refused=1.0)] * 2 + [_row("prompt", 0, fabricated=1.0)] * 6 \
        + [_row("prompt", 0)]
    oracle = [_row("oracle", 1, 1.0)] * oracle_correct + [_row("oracle", 0, 1.0)] * (10 - oracle_correct)
    return rag + prompt + oracle


def test_retrieval_and_reading_misses():
    d = retrieval_diagnosis(_rows(3), "rag")
    assert (d.n, d.correct, d.retrieval_miss, d.reading_miss, d.evidence_found) == pytest.approx(
        (10, 0.2, 0.3, 0.5, 0.7))


def test_closed_book_refusals_and_fabrications():
    d = closed_book_diagnosis(_rows(3), "prompt")
    assert (d.correct, d.refused, d.fabricated, d.other_wrong) == pytest.approx((0.1, 0.2, 0.6, 0.1))


def test_bottleneck_names_the_reader_when_gold_evidence_does_not_help():
    out = diagnose(_rows(3), SPECS)
    assert out["ceiling_correct"] == pytest.approx(0.3)
    assert "Retrieval found the evidence for 70% of answerable questions" in out["bottleneck"]
    assert "given the gold evidence the model answers 30% correctly" in out["bottleneck"]
    assert "reading model limits RAG" in out["bottleneck"]


def test_bottleneck_names_retrieval_when_it_loses_more():
    d = retrieval_diagnosis([_row("rag", 1, 1.0)] * 6 + [_row("rag", 0, 0.0)] * 3 + [_row("rag", 0, 1.0)], "rag")
    assert "retrieval limits RAG" in bottleneck(d, ceiling_correct=0.9)
    assert "reading model limits" in bottleneck(d, ceiling_correct=0.3)  # even perfect evidence cannot help


def test_each_answers_class_adds_up_to_the_arms_shares():
    from rag_vs_ft.evaluation.diagnosis import row_class

    rows = _rows(3)
    for arm, uses_retrieval in (("rag", True), ("prompt", False)):
        answerable = [r for r in rows if r["arm"] == arm and r["answerable"]]
        classes = [row_class(r, uses_retrieval) for r in answerable]
        if uses_retrieval:
            d = retrieval_diagnosis(rows, arm)
            shares = {"correct": d.correct, "retrieval miss": d.retrieval_miss, "reading miss": d.reading_miss}
        else:
            d = closed_book_diagnosis(rows, arm)
            shares = {"correct": d.correct, "refused": d.refused, "fabricated": d.fabricated,
                      "other wrong": d.other_wrong}
        assert {c: classes.count(c) / len(classes) for c in shares} == pytest.approx(shares)
        assert set(classes) <= set(shares)
    assert row_class(_row("rag", 0, None, answerable=False), True) == "answered unanswerable"

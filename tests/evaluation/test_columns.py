"""evaluation.columns: the built-in metric columns, the metric registry, and a plug-in metric reaching the
harness's rows and summaries (registered for one test only: the registry is module-global)."""

import statistics

import pytest

from rag_vs_ft.answer import Answer
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation import columns as cols
from rag_vs_ft.evaluation.columns import Column, columns, plug_in_scores, register
from rag_vs_ft.evaluation.correctness import HEADLINE
from rag_vs_ft.evaluation.harness import score_answers, summarize


@pytest.fixture
def plugged():
    """register(column) for this test; every column it registered is removed afterwards."""
    added = []

    def plug(column: Column) -> Column:
        out = register(column)
        added.append(column.name)
        return out

    yield plug
    for name in added:
        cols._METRICS._items.pop(name, None)


def test_built_in_columns_come_first_headline_leading():
    names = [c.name for c in columns()]
    assert names[: len(cols._BUILT_IN)] == [c.name for c in cols._BUILT_IN]
    assert names[0] == HEADLINE
    assert len(set(names)) == len(names)


def test_columns_of_one_table():
    assert [c.name for c in columns("judge")] == ["judge_faithfulness", "judge_factual_correctness"]
    grounding = {c.name for c in columns("grounding")}
    assert {"fabrication_rate", "context_recall", "wrong_refusal_rate"} <= grounding
    assert not grounding & {c.name for c in columns("quality")}
    assert {c.table for c in columns()} == {"quality", "grounding", "judge"}


def test_a_column_averages_its_field_over_its_rows():
    by = {c.name: c for c in columns()}
    assert by["token_f1"].row_field == "token_f1" and by["token_f1"].rows == "all"  # default: its own name
    assert (by["refusal_rate_unanswerable"].row_field, by["refusal_rate_unanswerable"].rows) == ("refused",
                                                                                                 "unanswerable")
    assert (by["wrong_refusal_rate"].row_field, by["wrong_refusal_rate"].rows) == ("refused", "answerable")
    assert by["context_recall"].rows == "answerable"
    assert all(c.score is None for c in cols._BUILT_IN)  # built-ins are computed by the harness itself


def test_a_taken_name_is_an_error_the_same_column_again_is_not(plugged):
    with pytest.raises(ValueError, match="two metrics are registered as 'token_f1'"):
        register(Column("token_f1", "my F1", "quality"))
    assert register(Column("token_f1", "F1", "quality", plotted=True)) == cols._BUILT_IN[4]  # equal: fine
    toy = plugged(Column("toy_len", "length", "quality", score=lambda q, a: 1.0))
    with pytest.raises(ValueError, match="toy_len"):
        register(Column("toy_len", "length", "quality", score=lambda q, a: 2.0))  # another function
    assert [c.name for c in columns()].count("toy_len") == 1 and columns()[-1] == toy


def test_plug_in_scores_hold_only_plug_in_fields(plugged):
    q = QAItem("q1", "How long?", "72 hours.", ("d1",), True, "a")
    a = Answer("q1", "within 72 hours", 0.1, 3, 4)
    assert plug_in_scores(q, a) == {}  # the built-ins have no per-question function here
    plugged(Column("answer_words", "answer words", "quality", score=lambda q, a: float(len(a.answer.split()))))
    plugged(Column("chars_unanswerable", "chars", "quality", field="n_chars", rows="unanswerable",
                   score=lambda q, a: None if q.answerable else float(len(a.answer))))
    assert plug_in_scores(q, a) == {"answer_words": 3.0, "n_chars": None}  # keyed by the row field


def test_a_plug_in_metric_is_in_every_row_and_summarised_over_its_rows(plugged):
    plugged(Column("toy_words", "words", "quality", field="n_words", rows="answerable",
                   score=lambda q, a: float(len(a.answer.split()))))
    questions = [QAItem("q1", "Deadline to notify?", "72 hours.", ("d1",), True, "a"),
                 QAItem("q2", "Who pays?", "The controller.", ("d1",), True, "a"),
                 QAItem("q3", "What is the moon made of?", "", (), False, "unanswerable")]
    answers = [Answer("q1", "within 72 hours", 0.1, 3, 4), Answer("q2", "the controller", 0.1, 3, 4),
               Answer("q3", "the corpus does not say what the moon is made of", 0.1, 3, 9)]
    rows = score_answers("toy", False, questions, answers)
    assert [r["n_words"] for r in rows] == [3.0, 2.0, 11.0]
    s = summarize(rows, resamples=200)["toy"]
    assert s["toy_words"] == pytest.approx(2.5)  # the answerable rows only; over all rows it would be 16/3
    assert s["toy_words"] != pytest.approx(statistics.fmean(r["n_words"] for r in rows))
    assert s["ci"]["toy_words"] is not None and s["ci"]["toy_words"][0] <= 2.5 <= s["ci"]["toy_words"][1]


def test_the_plug_in_is_gone_after_its_test():
    assert "toy_words" not in {c.name for c in columns()}
    assert "toy_words" not in summarize(score_answers("x", False, [QAItem("q", "Q?", "A.", (), True, "a")],
                                                      [Answer("q", "A.", 0.1, 1, 1)]), resamples=100)["x"]

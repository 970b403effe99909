"""arms.floors: the trivial answerers every candidate must beat, on tiny inputs without a model."""

from rag_vs_ft.arms.floors import AlwaysRefuse, Extractive, Majority, best_sentence
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Hit
from rag_vs_ft.models.prompts import REFUSAL


def _q(i, question, answer="x", kind="k", answerable=True):
    return QAItem(f"q{i}", question, answer, ("d",) if answerable else (), answerable, kind)


def test_floors_answer_as_specified():
    train = [_q(1, "Does MIT allow commercial use?", "Yes."), _q(2, "Does GPL allow X?", "Yes, it does."),
             _q(3, "Is Y required?", "No.")]
    test = [_q(4, "Does the Apache licence allow patent use?"), _q(5, "What must the controller notify?"),
            _q(6, "How tall is the moon?", answerable=False)]
    assert [a.answer for a in Majority(train).answer(test)] == ["Yes.", REFUSAL, REFUSAL]
    assert {a.answer for a in AlwaysRefuse().answer(test)} == {REFUSAL}
    assert best_sentence("What must the controller notify?", "Intro text here. The controller must notify the "
                         "authority. Other things follow.") == "The controller must notify the authority."

    class OneHit:
        def search(self, queries, k):
            return [[Hit("d", "T", "Nothing here at all. The controller must notify the authority.", 1.0)]
                    for _ in queries]
    got = Extractive(OneHit()).answer(test[1:2])[0]
    assert got.answer == "The controller must notify the authority." and got.retrieved_ids == ["d"]

"""Fabrication and citation precision on answers whose support is known; agreement with ragas' own metrics."""

import pytest

from rag_vs_ft.evaluation.grounding import Evidence, citation_precision, is_fabricated
from rag_vs_ft.evaluation.metrics import context_precision, context_recall, rouge_l, string_similarity

DOCS = {"gdpr-art-33": "The controller shall notify the supervisory authority of a personal data breach without undue "
                       "delay and, where feasible, not later than 72 hours after having become aware of it.",
        "license-mit": "Permissions: commercial use, modification. Conditions: include copyright notice."}
Q = "How soon must a controller notify a personal data breach?"


@pytest.fixture
def ev():
    return Evidence(DOCS)


def fab(answer, ev, evidence_ids=(), reference="Within 72 hours of becoming aware of it.", answerable=True,
        refused=False, question=Q):
    return is_fabricated(answer, question, reference, answerable, refused, list(evidence_ids), ev)


def test_an_answer_backed_by_the_reference_is_not_fabricated(ev):
    assert not fab("Within 72 hours.", ev)


def test_an_answer_backed_by_an_evidence_document_is_not_fabricated(ev):
    assert not fab("Without undue delay, and not later than 72 hours after becoming aware.", ev, ["gdpr-art-33"])


def test_a_wrong_number_is_fabricated_even_with_the_right_words(ev):
    assert fab("Not later than 48 hours after becoming aware.", ev, ["gdpr-art-33"])


def test_unsupported_content_is_fabricated(ev):
    assert fab("The processor must pay a fine to the European Banking Authority.", ev, ["gdpr-art-33"])


def test_a_refusal_is_never_fabricated(ev):
    assert not fab("The provided documents do not cover this.", ev, refused=True)


def test_unanswerable_question_answered_from_nothing_is_fabricated(ev):
    ref = "The provided documents do not cover this."
    assert fab("Ninety days under the national tax code.", ev, reference=ref, answerable=False)
    # ... but an answer copied from a retrieved document is grounded (wrong, not made up)
    assert not fab("Not later than 72 hours after becoming aware.", ev, ["gdpr-art-33"], reference=ref,
                   answerable=False)


def test_yes_no_answers_are_fabricated_when_the_verdict_is_wrong(ev):
    q = "Does the MIT License require including the copyright notice?"
    assert not fab("Yes, the copyright notice must be included.", ev, reference="Yes", question=q)
    assert fab("No, it does not.", ev, reference="Yes", question=q)


def test_citation_precision(ev):
    answer = "Not later than 72 hours after becoming aware [gdpr-art-33]."
    assert citation_precision(answer, Q, ev) == 1.0
    assert citation_precision("Not later than 72 hours after becoming aware [license-mit].", Q, ev) == 0.0
    assert citation_precision("Not later than 72 hours [gdpr-art-33] [no-such-doc].", Q, ev) == 0.5
    assert citation_precision("72 hours.", Q, ev) is None


# ---- agreement with ragas, where ragas computes the same thing ----

CASES = [(["a", "b", "c"], ["b"]), (["a"], ["b", "c"]), (["x", "y"], ["x", "y"]), (["p", "q", "r", "s"], ["q", "z"])]


@pytest.mark.parametrize("retrieved,gold", CASES)
def test_context_metrics_agree_with_ragas_id_based_metrics(retrieved, gold):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.dataset_schema import SingleTurnSample
        from ragas.metrics import IDBasedContextPrecision, IDBasedContextRecall
    sample = SingleTurnSample(retrieved_context_ids=retrieved, reference_context_ids=gold)
    assert context_recall(retrieved, gold) == pytest.approx(IDBasedContextRecall().single_turn_score(sample))
    assert context_precision(retrieved, gold) == pytest.approx(IDBasedContextPrecision().single_turn_score(sample))


def test_text_metrics_agree_with_ragas_reference_implementations():
    from rouge_score import rouge_scorer
    from rapidfuzz.distance import Levenshtein

    pairs = [("the controller must notify within 72 hours", "notify the authority within 72 hours"),
             ("yes", "no"), ("Article 17 gives a right to erasure", "right to erasure under Article 17")]
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    for pred, ref in pairs:
        assert rouge_l(pred, ref) == pytest.approx(scorer.score(ref, pred)["rougeL"].fmeasure)
        assert string_similarity(pred, ref) == pytest.approx(1 - Levenshtein.normalized_distance(ref, pred))

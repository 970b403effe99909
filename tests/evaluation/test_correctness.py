"""The per-answer correctness decision and the headline built on it (known values), and its agreement with
hand labels."""

import pytest

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.correctness import (agreement, committed_verdict, credit, echoes_question, headline_score,
                                               is_correct, key_content)
from rag_vs_ft.evaluation.refusal import is_refusal

Q = "Under the GDPR, within what period must a controller notify a personal data breach?"
REF = "Without undue delay and, where feasible, not later than 72 hours after becoming aware of it."


def test_key_content_is_what_the_reference_adds_to_the_question():
    words, numbers = key_content(Q, REF)
    assert numbers == {"72"}
    assert {"undu", "delay", "hour", "awar"} <= words
    assert "breach" not in words and "control" not in words  # already in the question


@pytest.mark.parametrize("answer, expected", [
    ("The controller must notify it without undue delay, within 72 hours of becoming aware.", True),
    ("Not later than seventy-two hours: 72 hours after becoming aware, without undue delay.", True),
    ("Within 48 hours after becoming aware of it, without undue delay.", False),  # wrong number
    ("Without undue delay.", False),  # the number is missing
    ("72.", False),  # the number alone states too little of the rest
    ("The provided documents do not cover this.", False),  # a refusal
])
def test_free_form_decision(answer, expected):
    assert is_correct(answer, Q, REF, True, is_refusal(answer)) is expected


@pytest.mark.parametrize("question, reference, answer, expected", [
    # the fact asked, without the reference's qualifier (answers the independent labels called correct)
    ("Under DORA, within what time after an inspection must the Lead Overseer adopt recommendations?",
     "Within 3 months, after consulting the Oversight Forum.",
     "The Lead Overseer must adopt recommendations within 3 months of the completion of an investigation.", True),
    ("For how long may the designation be valid?",
     "A maximum period of five years; it may be renewed on the same conditions.", "5 years.", True),
    ("For how long may the designation be valid?",
     "A maximum period of five years; it may be renewed on the same conditions.", "3 years.", False),
    ("How long does a supervisory authority have to give written advice?",
     "Up to eight weeks of receipt of the request, which may be extended by six weeks.",
     "Within eight weeks of receiving the request.", True),
    # a code name is the fact: stated, few other words are needed; missing, none suffice
    ("How do I convert between tuples and lists?",
     "The type constructor tuple(seq) converts any sequence (actually, any iterable) into a tuple.",
     "Use the `tuple()` type constructor.", True),
    ("How do I loop over a sequence in reverse?",
     "First specify the sequence in a forward direction and then call the `reversed()` function.",
     "Call `reversed()` on the sequence, specified in forward direction.", True),
    ("How do I loop over a sequence in reverse?",
     "First specify the sequence in a forward direction and then call the `reversed()` function.",
     "Specify the sequence in a forward direction and then call the sort function.", False),
])
def test_the_core_clause_and_code_names_decide(question, reference, answer, expected):
    assert is_correct(answer, question, reference, True, is_refusal(answer)) is expected


def test_number_words_count_as_numbers():
    q, ref = "How long may the period be extended?", "By two further months."
    assert is_correct("It may be extended by two further months.", q, ref, True, False)
    assert is_correct("By 2 more months where necessary.", q, ref, True, False)
    assert not is_correct("By three further months.", q, ref, True, False)


def test_yes_no_and_unanswerable():
    q = "Does the MIT License require you to disclose source?"
    assert is_correct("No, it does not.", q, "No. Its conditions are: notice.", True, False)
    assert is_correct("The MIT License does not require disclosure.", q, "No.", True, False)
    assert not is_correct("Yes.", q, "No.", True, False)
    assert is_correct("I don't know.", "Who won?", "", False, True)
    assert not is_correct("Team A.", "Who won?", "", False, False)


def test_credit_is_chance_corrected_on_yes_no_only():
    assert credit(True, True, "No.", True) == 1.0
    assert credit(False, True, "No.", True) == -1.0  # a wrong verdict costs what a right one earns
    assert credit(False, False, "No.", True) == 0.0   # no verdict (refusal, hedge, echo): like guessing
    assert credit(False, False, "72 hours.", True) == 0.0
    assert credit(True, False, "", False) == 1.0


NIS2 = "Under the NIS2 Directive, may entities outside its scope submit voluntary notifications?"


@pytest.mark.parametrize("answer, verdict", [
    ("Yes, they may notify on a voluntary basis.", "yes"),
    ("Entities outside its scope may submit voluntary notifications to the CSIRT.", "yes"),
    ("Entities outside its scope may not submit voluntary notifications.", "no"),
    # real answers of the default run that carry no verdict
    ("Under NIS2, may entities outside its scope may submit voluntary notifications.", None),  # an echo
    ("The NIS2 Directive does not cover this.", None),  # a non-answer, not a "no"
    ("The answer is not possible to provide.", None),
    ("The NIS2 Directive is a European cybersecurity law.", None),  # talks about something else
])
def test_a_verdict_is_taken_only_from_an_answer_that_commits_to_one(answer, verdict):
    assert committed_verdict(answer, NIS2) == verdict
    refused = is_refusal(answer)
    assert is_correct(answer, NIS2, "Yes. Voluntary notification is open to them.", True, refused) is (verdict == "yes")
    assert is_correct(answer, NIS2, "No.", True, refused) is (verdict == "no")


def test_an_echo_is_recognised_by_the_questions_inverted_order():
    assert echoes_question("Under NIS2, may entities outside its scope may submit notifications.", NIS2)
    assert not echoes_question("Entities outside its scope may submit notifications.", NIS2)


def test_headline_score_guessing_and_refusing_earn_nothing():
    qs = [QAItem(f"q{i}", f"Does licence {i} allow it?", "Yes." if i % 2 else "No.", [], True, "license")
          for i in range(4)]
    assert headline_score(["Yes."] * 4, qs) == pytest.approx(0.0)  # half right, half wrong
    assert headline_score(["I don't know."] * 4, qs) == pytest.approx(0.0)
    assert headline_score(["Yes.", "Yes.", "No.", "Yes."], qs) == pytest.approx(0.5)


def test_agreement_known_values():
    pairs = [(True, 1)] * 4 + [(False, 0)] * 4 + [(True, 0), (False, 1)]
    got = agreement(pairs)
    assert got["balanced_accuracy"] == pytest.approx(0.8) and got["kappa"] == pytest.approx(0.6)
    assert agreement([(True, 1), (False, 1)]) is None  # one class only: kappa is undefined


def test_saved_rows_are_judged_again_by_todays_rules():
    from rag_vs_ft.arms.base import ArmAnswer
    from rag_vs_ft.evaluation.harness import score_answers, with_correctness

    qs = [QAItem("a1", "Within what period must a breach be notified?", "Within 72 hours.", ("d",), True, "article"),
          QAItem("a2", "Who must be told?", "The supervisory authority.", ("d",), True, "article"),
          QAItem("l1", "Does the MIT License require disclosure?", "No.", ("m",), True, "license"),
          QAItem("u1", "Who won the cup?", "The documents do not cover this.", (), False, "unanswerable")]
    answers = [ArmAnswer("a1", "Within 72 hours of awareness.", 0.1, 5, 5),
               ArmAnswer("a2", "The controller.", 0.1, 5, 5), ArmAnswer("l1", "Yes.", 0.1, 5, 5),
               ArmAnswer("u1", "I don't know.", 0.1, 5, 5)]
    new = score_answers("rag", False, qs, answers)
    old = [{k: v for k, v in r.items() if k not in ("correct", "credit", "headline")} for r in new]
    stale = [{**r, "correct": 0.0, "headline": 0.0} for r in new]  # judged by an older rule
    for saved in (old, stale):
        redone = with_correctness(saved)
        assert [(r["question_id"], r["correct"], r["credit"], r["headline"]) for r in redone] == [
            (r["question_id"], r["correct"], r["credit"], r["headline"]) for r in new]
    assert [r["credit"] for r in new] == [1.0, 0.0, -1.0, 1.0]
    # kinds below MIN_KIND weigh by size: article 2, licence 1 (w = 2/3, 1/3); S = 2/3 * 1/2 + 1/3 * 0, C = 1/6
    assert sum(r["headline"] for r in new) / 4 == pytest.approx((1 / 3 - 1 / 6) / (1 - 1 / 6))

"""The per-answer correctness decision and the headline built on it (known values)."""

import pytest

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.correctness import (credit, headline_score, headline_weights, is_correct,
                                               key_content)

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
    from rag_vs_ft.evaluation.refusal import is_refusal

    assert is_correct(answer, Q, REF, True, is_refusal(answer)) is expected


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
    assert credit(True, False, "No.", True) == 1.0
    assert credit(False, False, "No.", True) == -1.0  # a wrong verdict costs what a right one earns
    assert credit(False, True, "No.", True) == 0.0    # refusing a yes/no question: like guessing
    assert credit(False, False, "72 hours.", True) == 0.0
    assert credit(True, True, "", False) == 1.0


def test_headline_weights_macro_average_over_answerable_kinds():
    kinds = ["article"] * 3 + ["license"] * 1 + ["unanswerable"] * 2
    answerable = [True] * 4 + [False] * 2
    w = headline_weights(kinds, answerable)
    assert w == pytest.approx([1.0, 1.0, 1.0, 3.0, 0.0, 0.0])  # 6 / (2 kinds × n_kind)
    # all article answers right, the licence one wrong: macro mean (1 + -1) / 2 = 0
    credits = [1, 1, 1, -1, 1, 1]
    assert sum(c * x for c, x in zip(credits, w)) / len(w) == pytest.approx(0.0)


def test_headline_score_guessing_and_refusing_earn_nothing():
    qs = [QAItem(f"q{i}", f"Does licence {i} allow it?", "Yes." if i % 2 else "No.", [], True, "license")
          for i in range(4)]
    assert headline_score(["Yes."] * 4, qs) == pytest.approx(0.0)  # half right, half wrong
    assert headline_score(["I don't know."] * 4, qs) == pytest.approx(0.0)
    assert headline_score(["Yes.", "Yes.", "No.", "Yes."], qs) == pytest.approx(0.5)

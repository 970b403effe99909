"""The per-answer correctness decision and the headline built on it (known values), and its agreement with
hand labels."""

import json
import re
from pathlib import Path

import pytest

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.correctness import (agreement, credit, headline_score, headline_weights, is_correct,
                                               key_content)
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


LABELS = Path(__file__).parent / "data" / "correctness_labels.jsonl"


def test_agreement_with_hand_labels(legal):
    """217 real answers of the default legal run (every arm but the majority and always-refuse floors), labelled
    by hand against the documents before the decision was ever run on them; the extractive floor's answers are
    corpus sentences, so the file stores where they are, not their text. The README's figures are these."""
    docs = {d.id: d.text for d in legal.documents}
    rows = [json.loads(line) for line in LABELS.read_text().splitlines()]
    pairs = []
    for r in rows:
        src = r.get("answer_source")
        answer = docs[src["doc_id"]][src["start"]:src["end"]] if src else r["answer"]
        pairs.append((is_correct(answer, r["question"], r["reference"], r["answerable"], is_refusal(answer)),
                      r["label"]))
    got = agreement(pairs)
    assert got["n"] >= 150 and 50 <= got["correct"] <= got["n"] - 50  # both classes well represented
    assert got["kappa"] >= 0.7 and got["balanced_accuracy"] >= 0.85
    readme = (Path(__file__).parents[1] / "evals" / "README.md").read_text()
    stated = re.search(r"Cohen's κ ([0-9.]+) and balanced accuracy ([0-9.]+) on (\d+) answers \((\d+) correct\)", readme)
    assert stated, "evals/README.md must state the agreement"
    assert (float(stated[1]), float(stated[2]), int(stated[3]), int(stated[4])) == (
        round(got["kappa"], 3), round(got["balanced_accuracy"], 3), got["n"], got["correct"])


def test_agreement_known_values():
    pairs = [(True, 1)] * 4 + [(False, 0)] * 4 + [(True, 0), (False, 1)]
    got = agreement(pairs)
    assert got["balanced_accuracy"] == pytest.approx(0.8) and got["kappa"] == pytest.approx(0.6)
    assert agreement([(True, 1), (False, 1)]) is None  # one class only: kappa is undefined


def test_rows_of_an_older_run_get_the_same_correctness_as_a_new_run():
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
    redone = with_correctness(old)
    assert [(r["correct"], r["credit"], r["headline"]) for r in redone] == [
        (r["correct"], r["credit"], r["headline"]) for r in new]
    assert [r["credit"] for r in new] == [1.0, 0.0, -1.0, 1.0]
    assert sum(r["headline"] for r in new) / 4 == pytest.approx((0.5 + -1.0) / 2)  # macro over answerable kinds

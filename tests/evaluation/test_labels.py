"""The decision against a user's labels: the stratified sample, the weighted agreement, the re-estimated shares."""

import random

import pytest

from rag_vs_ft.evaluation.correctness import agreement
from rag_vs_ft.evaluation.labels import (Labelled, label_agreement, label_sample, labelled_answers,
                                         share_from_labels, weighted_agreement)


def rows(seed: int = 0, n: int = 50) -> list[dict]:
    rng = random.Random(seed)
    shares = {"rag": 0.6, "prompt": 0.1, "always-refuse": 0.0}
    return [{"arm": a, "question_id": f"q{i}", "correct": float(rng.random() < p)} for a, p in shares.items()
            for i in range(n)]


def test_the_sample_holds_every_arm_and_both_decisions_and_repeats_with_its_seed():
    rs = rows()
    sample = label_sample(rs, 12, seed=3)
    decision = {(r["arm"], r["question_id"]): bool(r["correct"]) for r in rs}
    strata = {(a, decision[(a, q)]) for a, q in sample}
    assert strata == {(r["arm"], bool(r["correct"])) for r in rs}  # 5 strata: always-refuse is never correct
    assert len(sample) == len(set(sample)) == 12
    assert label_sample(rs, 12, seed=3) == sample and label_sample(rs, 12, seed=4) != sample


def test_equal_weights_give_the_plain_agreement():
    rng = random.Random(1)
    pairs = [(rng.random() < 0.5, rng.random() < 0.6) for _ in range(80)]
    pairs = [(d, lab if rng.random() < 0.7 else d) for d, lab in pairs]
    plain = agreement(pairs)
    weighted = weighted_agreement([Labelled("a", d, lab, 2.5) for d, lab in pairs])
    assert weighted["kappa"] == pytest.approx(plain["kappa"])
    assert weighted["balanced_accuracy"] == pytest.approx(plain["balanced_accuracy"])


def test_weights_stand_for_the_strata_of_the_run():
    rs = [{"arm": "a", "question_id": f"q{i}", "correct": float(i < 90)} for i in range(100)]  # 90 right, 10 wrong
    labels = {("a", "q0"): True, ("a", "q1"): True, ("a", "q95"): False, ("a", "q96"): False}
    weights = {i.weight for i in labelled_answers(rs, labels)}
    assert weights == {45.0, 5.0}


def test_a_user_who_agrees_leaves_the_shares_and_one_who_disagrees_moves_them():
    rs = rows(2)
    sample = label_sample(rs, 30)
    decision = {(r["arm"], r["question_id"]): bool(r["correct"]) for r in rs}
    same = label_agreement(rs, {k: decision[k] for k in sample}, resamples=200)
    assert same["kappa"] == pytest.approx(1.0) and not same["warning"] and same["disagreements"] == 0
    for a in same["arms"]:
        assert a["label_share"] == pytest.approx(a["auto_share"])
    # this user finds every answer the decision accepted on rag wrong: rag's share by the labels falls to 0
    harsh = {k: (False if k[0] == "rag" else decision[k]) for k in sample}
    got = label_agreement(rs, harsh, resamples=200)
    rag = next(a for a in got["arms"] if a["arm"] == "rag")
    assert rag["label_share"] == pytest.approx(0.0) and rag["auto_share"] > 0.4
    assert got["kappa"] < same["kappa"] and got["disagreements"] == sum(decision[k] for k in sample if k[0] == "rag")
    assert got["kappa_ci"][0] <= got["kappa"] <= got["kappa_ci"][1]


def test_no_labels_of_one_class_give_no_agreement():
    assert weighted_agreement([Labelled("a", True, True, 1.0), Labelled("a", False, True, 1.0)]) is None
    assert share_from_labels([Labelled("a", True, True, 1.0)], "a", 0.5) is None  # the wrong decisions unlabelled

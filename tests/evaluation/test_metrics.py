import math

import pytest
from rouge_score import rouge_scorer

from rag_vs_ft.evaluation.harness import percentile, summarize_arm
from rag_vs_ft.evaluation.metrics import (answer_metrics, cited_ids, context_precision, context_recall, exact_match,
                                          normalize_answer, rouge_l, string_similarity, token_f1, yes_no,
                                          yes_no_verdict)
from rag_vs_ft.evaluation.statistics import paired_bootstrap


def test_normalize_answer():
    assert normalize_answer("The  Controller, [gdpr-art-33]!") == "controller"


def test_exact_match_and_yes_no():
    assert exact_match("the 72 hours.", "72 hours") == 1.0
    assert exact_match("72 hours after", "72 hours") == 0.0
    assert yes_no("No, it does not.") == "no"
    assert exact_match("Yes, the licence requires it.", "Yes. Its conditions include Disclose source.") == 1.0
    assert exact_match("No.", "Yes. Its conditions include Disclose source.") == 0.0
    assert exact_match("I do not know.", "Yes.") == 0.0  # a refusal is neither yes nor no


@pytest.mark.parametrize("answer, verdict", [
    ("Yes, it does.", "yes"),
    ("No. Its conditions are: none.", "no"),
    ("The BSD Zero Clause License does not require you to disclose the source code.", "no"),
    ("It doesn't grant patent rights.", "no"),
    ("The GPL requires you to disclose the source code when distributing.", "yes"),
    ("The licence requires attribution. It does not grant trademark rights.", "yes"),  # first sentence decides
    ("The provided documents do not cover this.", None),
])
def test_yes_no_verdict_of_free_form_answers(answer, verdict):
    assert yes_no_verdict(answer) == verdict
    if verdict:
        assert exact_match(answer, f"{verdict.capitalize()}. Reference detail.") == 1.0


def test_token_f1_known_values():
    assert token_f1("within 72 hours", "72 hours") == pytest.approx(0.8)  # p=2/3, r=1
    assert token_f1("the cat sat", "a dog ran") == 0.0
    assert token_f1("", "") == 1.0


def test_rouge_l_matches_rouge_score():
    pred, ref = "the controller must notify within 72 hours", "notify the authority within 72 hours"
    expected = rouge_scorer.RougeScorer(["rougeL"]).score(ref, pred)["rougeL"].fmeasure
    assert rouge_l(pred, ref) == pytest.approx(expected)
    assert rouge_l("identical text", "identical text") == pytest.approx(1.0)


def test_string_similarity_bounds():
    assert string_similarity("abc", "abc") == pytest.approx(1.0)
    assert string_similarity("abc", "xyz") == pytest.approx(0.0)


def test_retrieval_metrics():
    assert context_recall(["a", "b", "c"], ["b"]) == 1.0
    assert context_recall(["a"], ["b", "c"]) == 0.0
    assert context_recall(["a"], []) is None
    assert context_precision(["a", "b", "c", "d"], ["b"]) == 0.25
    assert cited_ids("See [gdpr-art-33] and [license-mit], again [gdpr-art-33].") == ["gdpr-art-33", "license-mit"]


def test_unanswerable_questions_reward_refusal():
    ok = answer_metrics("The provided documents do not cover this.", "The provided documents do not cover this.", False)
    bad = answer_metrics("It is 10 years.", "The provided documents do not cover this.", False)
    assert ok["exact_match"] == ok["token_f1"] == ok["refused"] == 1.0
    assert bad["exact_match"] == bad["token_f1"] == bad["refused"] == 0.0


def test_percentile_matches_linear_interpolation():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 95) == 10
    assert percentile(list(range(101)), 95) == pytest.approx(95)
    assert math.isnan(percentile([], 50))


def test_paired_bootstrap_separates_a_real_difference():
    a = [1.0] * 40 + [0.0] * 10
    b = [0.0] * 40 + [1.0] * 10
    d = paired_bootstrap(a, b, seed=0)
    assert d.mean_diff == pytest.approx(0.6) and d.significant and d.low > 0.3


def test_paired_bootstrap_calls_a_tie():
    a = [1.0, 0.0] * 25
    b = [0.0, 1.0] * 25
    d = paired_bootstrap(a, b, seed=0)
    assert d.mean_diff == 0 and not d.significant and d.low < 0 < d.high


def test_paired_bootstrap_rejects_unpaired():
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 0.0])


def test_summary_rates():
    rows = [
        {"answerable": True, "kind": "a", "refused": 1.0, "exact_match": 0.0, "token_f1": 0.0, "latency_s": 1.0,
         "answer_score": 0.0, "fabricated": 0.0, "headline": 0.0, "credit": 0.0, "correct": 0.0,
         "prompt_tokens": 10, "generated_tokens": 5, "context_recall": 1.0, "context_precision": 0.5},
        {"answerable": True, "kind": "a", "refused": 0.0, "exact_match": 1.0, "token_f1": 1.0, "latency_s": 3.0,
         "answer_score": 1.0, "fabricated": 1.0, "headline": 1.5, "credit": 1.0, "correct": 1.0,
         "prompt_tokens": 20, "generated_tokens": 5, "context_recall": 0.0, "context_precision": 0.0},
        {"answerable": False, "kind": "u", "refused": 1.0, "exact_match": 1.0, "token_f1": 1.0, "latency_s": 2.0,
         "answer_score": 1.0, "fabricated": 0.0, "headline": 0.0, "credit": 1.0, "correct": 1.0,
         "prompt_tokens": 30, "generated_tokens": 5},
    ]
    s = summarize_arm(rows)
    assert s["wrong_refusal_rate"] == 0.5 and s["refusal_rate_unanswerable"] == 1.0
    assert s["exact_match"] == pytest.approx(2 / 3) and s["context_recall"] == 0.5
    assert s["latency_p50_s"] == 2.0 and s["prompt_tokens_mean"] == 20
    assert s["by_kind"]["u"]["n"] == 1 and s["by_kind"]["a"]["correct"] == 0.5
    assert s["headline"] == pytest.approx(0.5)  # the weighted credits' mean
    assert s["fabrication_rate"] == pytest.approx(1 / 3) and s["fabrication_rate_unanswerable"] == 0.0
    low, high = s["ci"]["exact_match"]
    assert 0.0 <= low < 2 / 3 < high <= 1.0  # every mean carries its bootstrap interval
    assert s["ci"]["context_recall"] is not None and s["ci"]["citation_precision"] is None

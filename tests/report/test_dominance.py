"""Dominance before simplicity; a criterion on a handful of questions never decides (known cases)."""

import numpy as np

from rag_vs_ft.report.dominance import SMALL_N, compare, dominated, dominates


def _cols(headline, fabricated, refused, answerable):
    f = lambda v: np.array(v, dtype=float)  # noqa: E731
    return {"headline": f(headline), "fabricated": f(fabricated), "refused": f(refused),
            "answerable": f(answerable), "credit": f(headline), "fresh": f([0] * len(headline))}


def _pair(n=60):
    """rag and prompt equally correct; prompt fabricates in 70 % of answers, rag in 25 %; the one unanswerable
    question is refused by prompt only."""
    rng = np.random.default_rng(0)
    correct = (rng.random(n) < 0.2).astype(float)
    answerable = [1.0] * (n - 1) + [0.0]
    prompt = _cols(correct, (np.arange(n) % 10 < 7), [0.0] * (n - 1) + [1.0], answerable)
    rag = _cols(correct, (np.arange(n) % 4 == 0), [0.0] * n, answerable)
    return prompt, rag


def test_fabrication_decides_when_correct_answers_tie():
    prompt, rag = _pair()
    diffs = {d.name: d for d in compare(rag, prompt)}
    assert not diffs["correct answers"].diff.significant
    assert diffs["no fabrication"].better
    assert dominates(list(diffs.values()))
    assert dominated(["prompt", "rag"], {"prompt": prompt, "rag": rag}) == {
        "prompt": ("rag", compare(rag, prompt))}


def test_one_unanswerable_question_cannot_decide():
    prompt, rag = _pair()
    diffs = {d.name: d for d in compare(prompt, rag)}
    refusal = diffs["refusing unanswerable questions"]
    assert refusal.diff.n == 1 < SMALL_N and not refusal.decisive
    assert refusal.diff.mean_diff == 1.0 and not refusal.better  # "significant" on one question, still no say
    assert not dominates(list(diffs.values()))  # prompt is worse on fabrication anyway


def test_worse_on_something_means_no_dominance():
    n = 60
    a = _cols([1.0] * 30 + [0.0] * 30, [1.0] * 40 + [0.0] * 20, [0.0] * n, [1.0] * n)
    b = _cols([0.0] * n, [0.0] * n, [0.0] * n, [1.0] * n)
    diffs = compare(a, b)
    assert any(d.better for d in diffs) and any(d.worse for d in diffs)
    assert not dominates(diffs) and dominated(["a", "b"], {"a": a, "b": b}) == {}

"""The headline estimator (evaluation/headline.py): known values, guessers and refusers at chance, strata."""

import numpy as np
import pytest

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.correctness import headline_score
from rag_vs_ft.evaluation.headline import kind_weights, question_weights, stratum
from rag_vs_ft.evaluation.statistics import paired_power, paired_sd, resample_indices

ARTICLE = [QAItem(f"a{i}", f"Within what period must report {i} be filed?", f"Within {i + 2} months.", ("d",),
                  True, "article") for i in range(10)]
# 7 "yes" and 3 "no": a lopsided yes/no kind, where answering always "yes" is right 70 % of the time
LICENSE = [QAItem(f"l{i}", f"Does licence {i} require notice?", "Yes." if i < 7 else "No.", ("m",), True, "license")
           for i in range(10)]
UNANSWERABLE = [QAItem(f"u{i}", f"Who won cup {i}?", "The documents do not cover this.", (), False, "unanswerable")
                for i in range(3)]
QS = ARTICLE + LICENSE + UNANSWERABLE


def right(q: QAItem) -> str:
    return q.answer if q.answerable else "I don't know."


@pytest.mark.parametrize("name, answer", [
    ("always refuse", lambda q: "The provided documents do not cover this."),
    ("always yes", lambda q: "Yes."),
    ("always no", lambda q: "No."),
    ("train majority (yes to yes/no questions, else refuse)",
     lambda q: "Yes." if q.kind == "license" else "I don't know."),
    ("echo the question", lambda q: q.question.rstrip("?") + "."),
])
def test_guessers_and_refusers_score_nothing(name, answer):
    assert headline_score([answer(q) for q in QS], QS) == pytest.approx(0.0, abs=1e-12), name


def test_known_values():
    assert headline_score([right(q) for q in QS], QS) == pytest.approx(1.0)
    # half the article questions right, every verdict right: S = .5 * .5 + .5 * 1 = .75, C = .5 * .5 = .25
    half = [right(q) if not q.id.startswith("a") or int(q.id[1:]) < 5 else "Never." for q in QS]
    assert headline_score(half, QS) == pytest.approx((0.75 - 0.25) / 0.75)
    # every verdict wrong, articles all right: S = .5, the yes/no kind at 0 against chance .5
    flipped = [("No." if q.answer == "Yes." else "Yes.") if q.kind == "license" else right(q) for q in QS]
    assert headline_score(flipped, QS) == pytest.approx((0.5 - 0.25) / 0.75)


def test_no_verdict_scores_chance_and_a_wrong_one_less():
    lic = LICENSE[:1] + LICENSE[7:8]  # one yes, one no
    assert headline_score(["The licence is about software.", "I cannot tell."], lic) == pytest.approx(0.0)
    assert headline_score(["No.", "Yes."], lic) == pytest.approx(-1.0)


def test_strata_split_yes_no_kinds_by_verdict():
    assert stratum("license", "Yes. Notice.", True) == "license:yes"
    assert stratum("article", "Within 3 months.", True) == "article"
    assert stratum("unanswerable", "n/a", False) == "unanswerable"
    beta, chance, c_all = question_weights([q.kind for q in QS], [stratum(q.kind, q.answer, q.answerable) for q in QS])
    assert sum(beta) == pytest.approx(1.0)
    assert beta[10] == pytest.approx(0.5 / 2 / 7) and beta[17] == pytest.approx(0.5 / 2 / 3)  # classes weigh half each
    assert c_all == pytest.approx(0.25) and chance[0] == 0 and chance[10] == 0.5


def test_a_small_kind_weighs_by_its_size():
    assert kind_weights({"faq": 40, "definition": 3}) == pytest.approx({"faq": 1 / 1.3, "definition": 0.3 / 1.3})
    assert kind_weights({"a": 12, "b": 30}) == pytest.approx({"a": 0.5, "b": 0.5})  # macro above MIN_KIND


def test_stratified_resamples_keep_each_stratum_in_place():
    strata = ["a"] * 5 + ["b"] * 3 + ["c"] * 2
    idx = resample_indices(10, 200, 0, strata)
    assert idx.shape == (200, 10)
    labels = np.array(strata)
    assert (labels[idx] == labels[None, :]).all()
    assert len(set(idx[:, 0])) > 1  # still resampled within the stratum


def test_paired_sd_pools_within_strata():
    # the strata differ in mean only: pooled within them there is no spread left
    a, b = [1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]
    assert paired_sd(a) == pytest.approx(np.std(a, ddof=1))
    assert paired_sd(np.subtract(a, b), ["x"] * 3 + ["y"] * 3) == pytest.approx(0.0)
    d = [1, 0, 1, 0, 2, 0]  # stratum x: mean 2/3, y: mean 2/3
    within = sum((x - 2 / 3) ** 2 for x in d)
    assert paired_sd(d, ["x"] * 3 + ["y"] * 3) == pytest.approx(np.sqrt(within / (6 - 2)))
    p = paired_power(d, [0] * 6, ["x"] * 3 + ["y"] * 3)
    assert p.sd == pytest.approx(np.sqrt(within / 4)) and p.n == 6


def test_a_kind_scores_on_the_headlines_scale():
    from rag_vs_ft.evaluation.correctness import add_correctness
    from rag_vs_ft.evaluation.headline import kind_score
    from rag_vs_ft.report.kinds import kind_versus

    def rows(arm, answer):
        return [{**r, "arm": arm} for r in add_correctness([
            {"question_id": q.id, "question": q.question, "reference": q.answer, "answer": answer(q),
             "kind": q.kind, "answerable": q.answerable, "refused": False} for q in LICENSE])]

    always_no, right = rows("prompt", lambda q: "No."), rows("rag", right_answer)
    assert kind_score(always_no) == pytest.approx(0.0)  # 3 of 10 right by saying "no": chance, not skill
    assert kind_score(right) == pytest.approx(1.0)
    d = kind_versus(always_no + right, "prompt", ["rag"], resamples=200)["license"]["rag"]
    assert d.mean_diff == pytest.approx(1.0) and d.significant


def right_answer(q: QAItem) -> str:
    return q.answer


def test_error_bars_never_go_negative():
    from rag_vs_ft.report.plots import metric_bars

    # a floor's headline that every stratified resample reproduces: its interval can miss it by a rounding error
    s = {"headline": 0.1, "correct": 0.2, "ci": {"headline": [0.1 + 1e-12, 0.1 + 1e-12], "correct": [0.1, 0.3]}}
    assert metric_bars({"majority": s, "rag": {**s, "headline": 0.3}})[:4] == b"\x89PNG"

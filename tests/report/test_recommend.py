import math

import numpy as np
import pytest

from rag_vs_ft.evaluation.harness import summarize
from rag_vs_ft.report.profiles import (ProfileError, Weights, arm_constants, list_profiles, load_profile,
                                       profile_score, question_criteria)
from rag_vs_ft.report.kinds import best_per_kind, kind_versus
from rag_vs_ft.report.recommend import recommend

FREE = {"prompt": 0.0, "rag": 0.0, "finetune": 0.0}


def _rows(scores: dict[str, list[float]], kinds: list[str] | None = None, fabricated: dict | None = None,
          fresh: set[int] = frozenset()) -> list[dict]:
    rows = []
    for arm, vals in scores.items():
        for i, v in enumerate(vals):
            rows.append({"arm": arm, "question_id": f"q{i}", "kind": (kinds or ["k"] * len(vals))[i],
                         "answerable": True, "exact_match": v, "token_f1": v, "answer_score": v, "rouge_l": v,
                         "headline": v, "credit": v, "correct": v,
                         "string_similarity": v, "refused": 0.0, "fresh": float(i in fresh),
                         "fabricated": (fabricated or {}).get(arm, 0.0),
                         "latency_s": 1.0 + (arm == "rag"), "prompt_tokens": 10, "generated_tokens": 5})
    return rows


ARMS = {"prompt": {"role": "candidate", "complexity": 0}, "rag": {"role": "candidate", "complexity": 1},
        "finetune": {"role": "candidate", "complexity": 2}, "always-refuse": {"role": "floor", "complexity": 0},
        "oracle": {"role": "ceiling", "complexity": 0}}


def _recommend(rows, profile="default"):
    return recommend(rows, summarize(rows, resamples=500), load_profile(profile), FREE, FREE, resamples=1000,
                     arms=ARMS)


def test_every_shipped_profile_is_valid():
    names = list_profiles()
    assert {"default", "accuracy-first", "low-latency", "frequently-updated-corpus"} <= set(names)
    for name in names:
        p = load_profile(name)
        assert p.name == name and p.description and sum(p.weights.model_dump().values()) == pytest.approx(1.0)


def test_unknown_profile_is_a_one_line_error():
    with pytest.raises(ProfileError, match="unknown profile 'nope'; shipped profiles: accuracy-first") as e:
        load_profile("nope")
    assert "\n" not in str(e.value)


def test_a_profile_file_path_works(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("description: only quality\nweights: {quality: 1}\n")
    assert load_profile(str(f)).weights.quality == 1
    f.write_text("description: nothing\nweights: {quality: 0}\n")
    with pytest.raises(ProfileError, match="at least one weight"):
        load_profile(str(f))


def test_question_criteria_known_values():
    cols = {"headline": np.array([1.0, 0.5, 0.0, 1.0]), "credit": np.array([1.0, 0.5, 0.0, 1.0]), "fabricated": np.array([0.0, 1.0, 0.0, 0.0]),
            "refused": np.array([0.0, 0.0, 1.0, 1.0]), "answerable": np.array([1.0, 1.0, 0.0, 1.0]),
            "fresh": np.array([0.0, 1.0, 0.0, 0.0])}
    c = question_criteria(cols)
    assert c["quality"] == pytest.approx(0.625) and c["groundedness"] == pytest.approx(0.75)
    assert c["refusal"] == pytest.approx((1.0 + 2 / 3) / 2)  # refused the unanswerable one, 2 of 3 answered
    assert c["freshness"] == pytest.approx(0.5)


def test_profile_score_weights_and_drops_undefined_criteria():
    w = Weights(quality=0.5, latency=0.25, freshness=0.25)
    assert profile_score({"quality": np.array(0.8), "latency": 0.4, "freshness": np.array(math.nan),
                          "groundedness": 1, "refusal": 1, "cost": 1}, w) == pytest.approx((0.4 + 0.1) / 0.75)


def test_latency_and_cost_relative_to_the_best_arm():
    c = arm_constants({"prompt": 1.0, "finetune": 2.0}, {"prompt": 0.0, "finetune": 5.0},
                      {"prompt": 0.001, "finetune": 0.001}, queries=5000)
    assert c["prompt"] == {"latency": 1.0, "cost": 1.0}
    assert c["finetune"] == {"latency": 0.5, "cost": pytest.approx(5 / 10)}


def test_clear_winner_is_recommended():
    rows = _rows({"prompt": [0.0] * 30, "rag": [1.0] * 27 + [0.0] * 3})
    rec = _recommend(rows)
    assert rec.arm == "rag" and rec.tied_with_leader == [] and rec.dominated["prompt"][0] == "rag"
    assert "dominated by no other arm" in rec.reasons[0] and "`default` profile" in rec.reasons[0]
    assert not any("correct answers alone" in r for r in rec.reasons)
    assert len(rec.pairwise) == 1 and rec.pairwise[0]["headline"].significant


def test_tie_goes_to_the_simpler_arm_and_says_so():
    rows = _rows({"prompt": [1.0, 0.0] * 15, "rag": [0.0, 1.0] * 14 + [1.0, 1.0]}, fabricated={"prompt": 0.0})
    rec = _recommend(rows, "accuracy-first")
    assert rec.ranking[0][0] == "rag"
    assert rec.arm == "prompt" and rec.tied_with_leader == ["prompt"]
    assert "cannot separate" in rec.reasons[0]
    assert "On correct answers alone the data cannot separate prompt from rag" in rec.reasons[1]


def test_the_profile_changes_the_decision():
    # finetune answers a bit better but fabricates on every answer and is slower; accuracy-first still
    # weighs groundedness, low-latency weighs speed: both prefer prompt; a quality-only profile prefers finetune.
    rows = _rows({"prompt": [0.6] * 40, "finetune": [0.7] * 40}, fabricated={"finetune": 1.0})
    for r in rows:
        r["latency_s"] = 1.0 if r["arm"] == "prompt" else 3.0
    assert _recommend(rows, "low-latency").arm == "prompt"
    assert _recommend(rows, "accuracy-first").arm == "prompt"


def test_freshness_criterion_uses_only_fresh_questions(tmp_path):
    f = tmp_path / "fresh.yaml"
    f.write_text("description: freshness only\nweights: {freshness: 1}\n")
    rows = _rows({"prompt": [1.0] * 20 + [0.0] * 10, "rag": [0.5] * 30}, fresh=set(range(20, 30)))
    rec = recommend(rows, summarize(rows, resamples=200), load_profile(str(f)), FREE, FREE, resamples=500)
    assert rec.arm == "rag" and rec.criteria["rag"]["freshness"] == 0.5 and rec.criteria["prompt"]["freshness"] == 0


def test_best_per_kind():
    rows = _rows({"prompt": [1, 1, 0, 0], "rag": [0, 0, 1, 1]}, kinds=["a", "a", "b", "b"])
    assert best_per_kind(rows, {"prompt": 0, "rag": 1}) == {"a": ("prompt", 1.0, 2), "b": ("rag", 1.0, 2)}


def test_kind_versus_compares_within_each_kind():
    kinds = ["article"] * 30 + ["license"] * 30
    rows = _rows({"prompt": [0.0] * 30 + [1.0] * 30, "rag": [1.0] * 25 + [0.0] * 5 + [1.0] * 30}, kinds=kinds)
    out = kind_versus(rows, "prompt", ["rag"], resamples=500)
    assert out["article"]["rag"].mean_diff == pytest.approx(25 / 30) and out["article"]["rag"].significant
    assert out["license"]["rag"].mean_diff == 0.0 and not out["license"]["rag"].significant


def test_report_says_how_many_questions_would_separate_close_arms():
    from rag_vs_ft.report.recommend import too_small_note

    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, 20).round(2).tolist()
    b = [float(np.clip(x + d, 0, 1)) for x, d in zip(a, rng.normal(0, 0.3, 20))]  # the same arm, noisier
    rec = _recommend(_rows({"prompt": a, "rag": b}))
    pair = rec.pairwise[0]
    assert not pair["headline"].significant
    note = too_small_note(rec.pairwise, rec.n)
    assert note and f"{pair['power'].needed:,} test questions" in note and "with 20 test questions" in note
    # the run's warning says the same thing when the prior equals the spread observed here
    from rag_vs_ft.preflight import size_note
    warning = size_note(20, pair["power"].sd)
    same = "detects differences in the headline of about {:.2f}".format(pair["power"].detectable)
    assert same in note and same in warning
    assert note in rec.reasons
    far = _recommend(_rows({"prompt": [1.0] * 20, "rag": [0.0] * 20}))
    assert too_small_note(far.pairwise, far.n) is None  # a difference it resolved: nothing to say


def test_only_an_arm_that_beats_the_floors_is_recommended():
    # prompt answers 40 % right, rag 70 %; the trivial answerer gets 40 % too (guessing, or refusing right)
    floor = [1.0] * 12 + [0.0] * 18
    rows = _rows({"prompt": [0.0] * 18 + [1.0] * 12, "rag": [1.0] * 21 + [0.0] * 9, "always-refuse": floor,
                  "oracle": [1.0] * 30})
    rec = _recommend(rows)
    assert rec.arm == "rag" and rec.below_floor == ["prompt"]
    assert set(rec.scores) == {"prompt", "rag"}  # reference rows are never ranked
    assert any("Not ranked: prompt" in r for r in rec.reasons)
    none = _recommend(_rows({"prompt": floor, "rag": floor[::-1], "always-refuse": floor}))
    assert none.arm is None and none.below_floor == ["prompt", "rag"]
    assert none.reasons[0].startswith("No approach beats a trivial answerer")


def test_an_arm_below_the_floors_is_never_the_one_the_choice_is_compared_with():
    floor = [1.0] * 15 + [0.0] * 15
    rows = _rows({"rag": [1.0] * 20 + [0.0] * 10, "prompt": [1.0] * 17 + [0.0] * 13, "always-refuse": floor})
    rec = _recommend(rows)
    rag_vs_prompt = rec.pairwise[0]["headline"]
    assert rec.arm == "rag" and rec.below_floor == ["prompt"] and not rag_vs_prompt.significant
    assert not any("correct answers alone" in r for r in rec.reasons)


def test_dominance_comes_before_simplicity():
    # prompt and rag are equally often correct, but prompt fabricates in 70 % of its answers and rag in 25 %:
    # the simpler prompt is not recommended. prompt refuses the one unanswerable question and rag does not:
    # shown, but one question decides nothing.
    n = 60
    correct = [1.0] * 30 + [0.0] * 30
    rows = _rows({"prompt": correct, "rag": correct, "always-refuse": [0.0] * n})
    for r in rows:
        i = int(r["question_id"][1:])
        if r["arm"] == "prompt":
            r["fabricated"] = float(i % 10 < 7)
        elif r["arm"] == "rag":
            r["fabricated"] = float(i % 4 == 0)
        if i == n - 1:
            r["answerable"] = False
            r["refused"] = float(r["arm"] in ("prompt", "always-refuse"))
    rec = _recommend(rows, "accuracy-first")
    assert rec.arm == "rag" and list(rec.dominated) == ["prompt"]
    assert any(r.startswith("rag dominates prompt: significantly better on no fabrication") for r in rec.reasons)
    assert rec.n_unanswerable == 1
    assert any("Only 1 unanswerable test question(s)" in r for r in rec.reasons)


def test_an_undertrained_fine_tune_is_not_judged():
    rows = _rows({"prompt": [0.0] * 20 + [1.0] * 10, "finetune": [1.0] * 30, "always-refuse": [0.0] * 30})
    rec = recommend(rows, summarize(rows, resamples=200), load_profile("default"), FREE, FREE, resamples=500,
                    arms=ARMS, undertrained=["finetune"])
    assert rec.arm == "prompt" and rec.undertrained == ["finetune"]  # finetune would win if it were judged
    assert any(r.startswith("Not judged: finetune") and "undertrained" in r for r in rec.reasons)
    assert _recommend(rows).arm == "finetune"


def test_only_the_arm_whose_own_adapter_is_short_is_undertrained():
    from rag_vs_ft.report.context import undertrained_arms

    spec = {"prompt": {"role": "candidate", "tuned": False},
            "finetune": {"role": "candidate", "tuned": True, "recipe": "closed_book"},
            "finetune_rag": {"role": "candidate", "tuned": True, "recipe": "raft"},
            "oracle": {"role": "ceiling", "tuned": False}}
    runs = [{"recipe": "closed_book", "seed": 0, "epochs_done": 2.0}, {"recipe": "raft", "seed": 0, "epochs_done": 0.4}]
    assert undertrained_arms(runs, spec) == ["finetune_rag"]
    runs[1]["epochs_done"] = 1.0
    assert undertrained_arms(runs, spec) == []

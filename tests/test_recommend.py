from rag_vs_ft.evaluation.harness import summarize
from rag_vs_ft.report.recommend import best_per_kind, recommend


def _rows(scores: dict[str, list[float]], kinds: list[str] | None = None) -> list[dict]:
    rows = []
    for arm, vals in scores.items():
        for i, v in enumerate(vals):
            rows.append({"arm": arm, "question_id": f"q{i}", "kind": (kinds or ["k"] * len(vals))[i],
                         "answerable": True, "exact_match": v, "token_f1": v, "rouge_l": v, "string_similarity": v,
                         "refused": 0.0, "latency_s": 1.0 + (arm == "rag"), "prompt_tokens": 10, "generated_tokens": 5})
    return rows


def test_clear_winner_is_recommended():
    rows = _rows({"prompt": [0.0] * 30, "rag": [1.0] * 27 + [0.0] * 3})
    rec = recommend(rows, summarize(rows))
    assert rec.arm == "rag" and rec.tied_with_leader == []
    assert rec.versus["prompt"].significant
    assert "excludes zero" in rec.reasons[0]


def test_tie_goes_to_the_simpler_arm_and_says_so():
    rows = _rows({"prompt": [1.0, 0.0] * 15, "rag": [0.0, 1.0] * 14 + [1.0, 1.0]})
    rec = recommend(rows, summarize(rows))
    assert rec.ranking[0][0] == "rag"
    assert rec.arm == "prompt" and rec.tied_with_leader == ["prompt"]
    assert "no significant difference" in rec.reasons[0]


def test_best_per_kind():
    rows = _rows({"prompt": [1, 1, 0, 0], "rag": [0, 0, 1, 1]}, kinds=["a", "a", "b", "b"])
    assert best_per_kind(rows) == {"a": ("prompt", 1.0, 2), "b": ("rag", 1.0, 2)}

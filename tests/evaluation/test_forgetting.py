import json

import pytest

from conftest import REPO
from rag_vs_ft.evaluation.forgetting import GeneralItem, contains_answer, forgetting_summary, load_general_qa


def test_the_general_set_is_well_formed():
    items = load_general_qa()
    assert len(items) >= 50 and len({i.id for i in items}) == len(items)
    assert all(i.question.endswith("?") and i.answer for i in items)
    text = (REPO / "evals" / "general_qa.jsonl").read_text().lower()
    assert "gdpr" not in text and "license" not in text  # general knowledge, not the domain


@pytest.mark.parametrize("answer,expected", [("The capital of France is Paris.", 1.0), ("paris", 1.0),
                                             ("Parisian food is great.", 0.0), ("Lyon", 0.0), ("", 0.0)])
def test_contains_answer_matches_whole_words(answer, expected):
    assert contains_answer(answer, GeneralItem("g", "Capital of France?", "Paris")) == expected


def test_aliases_count():
    item = GeneralItem("g", "How many legs does a spider have?", "8", ("eight",))
    assert contains_answer("A spider has eight legs.", item) == 1.0


def test_summary_reports_a_loss_only_when_it_is_real():
    items = [GeneralItem(f"g{i}", "q?", "yes") for i in range(40)]
    base = ["yes"] * 40
    summary = forgetting_summary(items, {"base": base, "tuned": ["no"] * 30 + ["yes"] * 10,
                                         "same": ["yes"] * 39 + ["no"]}, resamples=500)
    assert summary["models"]["base"]["accuracy"] == 1.0 and "change" not in summary["models"]["base"]
    assert summary["models"]["tuned"]["change"] == pytest.approx(-0.75) and summary["models"]["tuned"]["significant"]
    assert not summary["models"]["same"]["significant"]
    json.dumps(summary)  # goes into run.json

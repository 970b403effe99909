from collections import Counter

from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.corpus.splits import contaminated, interleave_kinds, split_questions
from rag_vs_ft.preflight import check_questions, plan_questions


def _items(n_per_kind=20, kinds=("a", "b", "u")):
    return [QAItem(f"{k}{i}", f"question {k} {i}?", "x", ("d",), k != "u", k) for k in kinds for i in range(n_per_kind)]


def test_split_is_stratified_and_sized():
    items = split_questions(_items(), 0.7, 0.1, seed=0)
    for kind in ("a", "b", "u"):
        c = Counter(q.split for q in items if q.kind == kind)
        assert c == {"train": 14, "dev": 2, "test": 4}


def test_split_is_deterministic_per_seed():
    a = [q.split for q in split_questions(_items(), 0.7, 0.1, seed=0)]
    b = [q.split for q in split_questions(_items(), 0.7, 0.1, seed=0)]
    c = [q.split for q in split_questions(_items(), 0.7, 0.1, seed=1)]
    assert a == b and a != c


def test_identical_questions_share_a_split():
    items = _items(10) + [QAItem("dup", "Question a 3?", "y", ("d",), True, "a")]
    split = {q.id: q.split for q in split_questions(items, 0.5, 0.2, seed=3)}
    assert split["dup"] == split["a3"]


def test_small_kinds_keep_a_test_question():
    items = split_questions(_items(3), 0.9, 0.0, seed=0)
    for kind in ("a", "b", "u"):
        assert any(q.split == "test" and q.kind == kind for q in items)


def test_legal_test_split_is_clean(legal):
    from rag_vs_ft.finetune.data import document_pieces

    plan, checked = check_questions(legal.questions, legal.documents, RunConfig(domain="legal"))
    splits = plan.splits
    assert set(Counter(q.kind for q in splits["test"])) == {"article", "license", "unanswerable"}
    assert checked.ok, checked.errors
    # the hand-written questions are not copied from the documents either
    assert contaminated(splits["test"], document_pieces(legal.documents, 900)) == []


def test_contamination_is_detected():
    test = [QAItem("t1", "What is the notification deadline?", "72 hours", ("d",), True, "a"),
            QAItem("t2", "Who appoints the officer?", "the controller", ("d",), True, "a")]
    assert contaminated(test, ["Notes: what is the NOTIFICATION deadline? It is 72 hours."]) == ["t1"]
    assert contaminated(test, ["Notes: somewhat is the notification deadlines"]) == []  # whole words only


def test_interleave_kinds_round_robin():
    order = [q.kind for q in interleave_kinds(_items(2))]
    assert order == ["a", "b", "u", "a", "b", "u"]


def test_withheld_documents_are_the_evidence_of_a_share_of_test_questions():
    from rag_vs_ft.corpus.schema import QAItem
    from rag_vs_ft.corpus.splits import cites_any, withheld_documents

    test = [QAItem(f"q{i}", f"question {i}?", "a", (f"d{i}",), True, "k") for i in range(20)]
    test.append(QAItem("u", "unanswerable?", "no", (), False, "unanswerable"))
    held = withheld_documents(test, 0.1, seed=0)
    assert len(held) == 2 and held <= {f"d{i}" for i in range(20)}
    assert withheld_documents(test, 0.1, seed=0) == held  # seeded
    assert withheld_documents(test, 0.0, seed=0) == set()
    assert len(withheld_documents(test[:3], 0.1, seed=0)) == 1  # at least one question when switched on
    assert sum(cites_any(q, held) for q in test) == 2


def test_contamination_names_the_rows_and_the_fix():
    # the shape of the bug seen in the wild: a wrapped heading's tail became a question of its own
    rows = [QAItem(f"a{i}", f"What does status code {i} mean in the package status?", f"Code {i} means state {i}.",
                   ("d",), True, "k") for i in range(30)]
    rows.append(QAItem("tail", "in the package status?", "It is a state.", ("d",), True, "k"))
    cfg = RunConfig(domain="demo")
    plan = plan_questions(rows, cfg)
    if not any(q.id == "tail" for q in plan.splits["test"]):  # make the tail a test question for this check
        plan.splits["test"].append(next(q for q in rows if q.id == "tail"))
        plan.splits["train"] = [q for q in plan.splits["train"] if q.id != "tail"]
    _, checked = check_questions(rows, [], cfg, plan)
    assert not checked.ok
    assert "tail" in checked.errors[0] and "occurs in train" in checked.errors[0]
    assert "domain synth demo --replace" in checked.errors[0]

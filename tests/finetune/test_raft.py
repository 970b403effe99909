"""RAFT examples: oracle share, hard-negative distractors, the citation in the target, refusal without oracle."""

import pytest

from rag_vs_ft.models.prompts import REFUSAL
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.finetune.raft import cite, raft_examples
from rag_vs_ft.index.retriever import Hit


def _q(i, answerable=True):
    return QAItem(f"q{i}", f"What does article {i} say?", f"It says {i}.", (f"gold-{i}",) if answerable else (),
                  answerable, "article" if answerable else "unanswerable")


def _ranked(questions):
    """Each question's ranking: two distractors, its evidence chunk, then more distractors."""
    out = []
    for text in questions:
        i = text.split()[3]
        out.append([Hit(f"other-{i}-a", "A", "a", 0.9), Hit(f"other-{i}-b", "B", "b", 0.8),
                    Hit(f"gold-{i}", "G", "g", 0.7)] + [Hit(f"other-{i}-{j}", "X", "x", 0.5 - j / 100)
                                                      for j in range(5)])
    return out


def test_oracle_share_citation_and_refusal():
    train = [_q(i) for i in range(400)]
    ex = raft_examples(train, _ranked, k=3, p_oracle=0.8, seed=1)
    with_oracle = [e for e in ex if e.oracle]
    assert len(with_oracle) == 320  # exactly P = 0.8 of the 400, not a draw per question
    for e in with_oracle:
        gold = e.question.doc_ids[0]
        assert len(e.documents) == 3 and e.oracle.doc_id == gold and e.oracle in e.documents
        assert e.target == f"{e.question.answer} [{gold}]"  # the answer, citing the oracle
        others = [d for d in e.documents if d is not e.oracle]
        # the hardest negatives: the best-ranked chunks that are not evidence
        assert sorted(d.doc_id for d in others) == [f"other-{e.question.id[1:]}-a", f"other-{e.question.id[1:]}-b"]
    for e in ex:
        if not e.oracle:
            assert e.target == REFUSAL and len(e.documents) == 3
            assert all(not d.doc_id.startswith("gold") for d in e.documents)  # distractors only
    assert len({tuple(d.doc_id for d in e.documents).index(e.oracle.doc_id) for e in with_oracle}) == 3  # shuffled


def test_unanswerable_questions_and_missing_evidence_train_the_refusal():
    ex = raft_examples([_q(1, answerable=False)], _ranked, k=2, p_oracle=1.0)
    assert ex[0].oracle is None and ex[0].target == REFUSAL
    nothing_relevant = raft_examples([_q(2)], lambda qs: [[Hit("other", "O", "o", 1.0)] for _ in qs], k=2,
                                     p_oracle=1.0)
    assert nothing_relevant[0].oracle is None and nothing_relevant[0].target == REFUSAL


@pytest.mark.parametrize("answer, expected", [("At least 16 years.", "At least 16 years. [d]"),
                                              ("At least 16 years", "At least 16 years. [d]")])
def test_cite(answer, expected):
    assert cite(answer, "d") == expected

"""The adapters' training sets: knowledge as QA under a token budget that cuts depth before breadth, and RAFT
examples in the RAG prompt the arm is asked with, never holding a withheld document."""

from rag_vs_ft.models.prompts import REFUSAL, RAG_SYSTEM
from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.finetune.data import IGNORE
from rag_vs_ft.finetune.recipes.closed_book import closed_book_set
from rag_vs_ft.finetune.recipes.raft import raft_set
from rag_vs_ft.finetune.recipes.selection import round_robin_within
from rag_vs_ft.index.retriever import Hit
from rag_vs_ft.models.generator import load_tokenizer


def test_round_robin_budget_takes_one_per_group_before_seconds():
    groups = ["a", "a", "a", "b", "c", "c"]
    kept = round_robin_within(groups, [10] * 6, budget=30)
    assert sorted(groups[i] for i in kept) == ["a", "b", "c"]  # every group once before any twice
    assert round_robin_within(groups, [10] * 6, budget=None) == list(range(6))
    assert len(round_robin_within(groups, [10] * 6, budget=50)) == 5
    assert round_robin_within(["a", "b"], [40, 10], budget=20) == [1]  # a big item is skipped, a small one fits


WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]


def _corpus():
    text = ("Article {i}\nDefinitions\n\nFor the purposes of this Regulation:\n(1) ‘widget {w}’ means a device that "
            "counts items per hour for the operator of a plant;\n(2) ‘gadget {w}’ means a tool that records the "
            "output of a widget every day.\n\nThe operator shall keep records for {i} years.")
    docs = [Document(f"d{i}", f"Article {i}", text.format(i=i, w=w)) for i, w in enumerate(WORDS, 1)]
    qa = [QAItem(f"q{i}", f"How long are records kept under article {i}?", f"For {i} years.", (f"d{i}",), True,
                 "article") for i in range(1, 9)]
    return docs, qa


def test_closed_book_set_is_question_answer_pairs_within_budget(base_model_path):
    tok = load_tokenizer(base_model_path)
    docs, qa = _corpus()
    cfg = FinetuneConfig()
    full = closed_book_set(tok, docs, qa, qa[:2], cfg, budget=None)
    assert full.sources["train QA"] == 8 and full.sources.get("generated QA", 0) > 0  # the generator adds pairs
    assert "document piece" not in full.sources  # raw text is off by default
    assert all(e.labels[0] == IGNORE and any(label != IGNORE for label in e.labels) for e in full.examples)
    budget = full.available_tokens // 3
    capped = closed_book_set(tok, docs, qa, qa[:2], cfg, budget=budget)
    assert sum(len(e.input_ids) for e in capped.examples) <= budget < full.available_tokens
    assert capped.available == full.available and len(capped.examples) < len(full.examples)
    assert len(capped.documents) >= min(8, len(capped.examples)) - 1  # breadth kept: one example per document first
    assert len(capped.dev) == 2


def test_raft_set_uses_the_rag_prompt_and_never_a_withheld_document(base_model_path):
    tok = load_tokenizer(base_model_path)
    _, qa = _corpus()

    def search(questions, k):
        out = []
        for q in questions:
            i = q.split()[-1].rstrip("?")
            out.append([Hit("fresh", "Fresh", "withheld text", 1.0)]
                       + [Hit(f"d{j}", f"Article {j}", f"records for {j} years", 0.9 - j / 100) for j in range(1, 9)
                          if str(j) != i][:k] + [Hit(f"d{i}", f"Article {i}", f"records for {i} years", 0.1)])
        return out

    cfg = FinetuneConfig(raft_p_oracle=1.0)
    tset = raft_set(tok, qa, qa[:2], search, top_k=3, cfg=cfg, budget=None, seed=0, exclude={"fresh"})
    assert tset.sources == {"RAFT with oracle": 8} and len(tset.dev) == 2
    assert "fresh" not in tset.documents
    for e, q in zip(tset.examples, qa):
        text = tok.decode(e.input_ids)
        answer = tok.decode([t for t, label in zip(e.input_ids, e.labels) if label != IGNORE])
        assert RAG_SYSTEM[:40] in text and "Documents:" in text and "withheld text" not in text
        assert text.count('<document id="d') == 3 and answer.count("[d") == 1  # three documents, one citation
        assert answer.strip().startswith("For ") and "[d" in answer
    refusing = raft_set(tok, qa, [], search, top_k=3, cfg=FinetuneConfig(raft_p_oracle=0.0), budget=None, seed=0)
    assert refusing.sources == {"RAFT refusal": 8}
    assert all(REFUSAL in tok.decode([t for t, lb in zip(e.input_ids, e.labels) if lb != IGNORE])
               for e in refusing.examples)

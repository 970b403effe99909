"""arms.oracle: the RAG prompt with the gold evidence instead of what retrieval ranks first."""

from fakes import EchoGenerator, ListRetriever

from rag_vs_ft.arms.oracle import OracleArm
from rag_vs_ft.arms.registry import ArmInputs, registered
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Chunk
from rag_vs_ft.models.prompts import rag_messages

CHUNKS = [Chunk("noise", "N", "noise one"), Chunk("gold", "G", "gold first"), Chunk("noise", "N", "noise two"),
          Chunk("gold", "G", "gold second"), Chunk("gold", "G", "gold third")]


def _arm(order=None, top_k=2):
    return OracleArm(EchoGenerator(), rag_messages, ListRetriever(CHUNKS, order), top_k)


def test_gold_chunks_replace_the_retrieved_ones_best_ranked_first():
    arm = _arm(order=[0, 4, 2, 1, 3])
    [hits] = arm.evidence([QAItem("q", "?", "x", ("gold",), True, "k")])
    assert [h.text for h in hits] == ["gold third", "gold first"]  # retrieval's order among the gold, cut at top_k
    assert arm.retriever.calls == [(["?"], len(CHUNKS))]  # the whole ranking is read


def test_gold_beyond_a_sparse_ranking_is_still_given():
    arm = _arm(order=[0, 2])  # a ranking that never reaches the gold chunks (BM25 without a shared term)
    [hits] = arm.evidence([QAItem("q", "?", "x", ("gold",), True, "k")])
    assert [(h.doc_id, h.text, h.score) for h in hits] == [("gold", "gold first", 0.0), ("gold", "gold second", 0.0)]


def test_an_unanswerable_question_gets_what_retrieval_finds():
    arm = _arm(order=[2, 0, 1])
    [hits] = arm.evidence([QAItem("q", "?", "", (), False, "k")])
    assert [h.text for h in hits] == ["noise two", "noise one"]


def test_answers_carry_the_gold_ids_and_the_spec_is_the_ceiling():
    spec = registered()["oracle"]
    assert (spec.role, spec.uses_retrieval, spec.tuned) == ("ceiling", True, False)
    gen = EchoGenerator()
    arm = spec.make(ArmInputs(gen, ListRetriever(CHUNKS, [0, 1]), top_k=1))
    assert isinstance(arm, OracleArm)
    [a] = arm.answer([QAItem("q", "Which is gold?", "x", ("gold",), True, "k")])
    assert a.retrieved_ids == ["gold"] and a.contexts == ["gold first"]
    assert '<document id="gold">' in gen.conversations[0][1]["content"]

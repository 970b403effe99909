"""arms.finetune_rag: the RAFT-trained adapter asked with the very RAG prompt of the rag arm."""

from fakes import EchoGenerator, ListRetriever

from rag_vs_ft.arms.finetune_rag import FinetuneRagArm
from rag_vs_ft.arms.rag import RagArm
from rag_vs_ft.arms.registry import ArmInputs, registered
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Chunk

CHUNKS = [Chunk("a", "A", "alpha text"), Chunk("b", "B", "beta text")]


def test_it_sends_what_the_rag_arm_sends_under_its_own_name():
    q = [QAItem("q", "Which?", "alpha", ("a",), True, "k")]
    tuned, base = EchoGenerator(), EchoGenerator()
    answers = FinetuneRagArm(tuned, ListRetriever(CHUNKS), 1).answer(q)
    RagArm(base, ListRetriever(CHUNKS), 1).answer(q)
    assert tuned.conversations == base.conversations
    assert answers[0].retrieved_ids == ["a"]
    assert FinetuneRagArm.name == "finetune_rag" and FinetuneRagArm.uses_retrieval


def test_the_registered_spec_is_tuned_with_the_raft_recipe():
    spec = registered()["finetune_rag"]
    assert (spec.role, spec.tuned, spec.recipe, spec.uses_retrieval) == ("candidate", True, "raft", True)
    assert spec.complexity > registered()["rag"].complexity and spec.complexity > registered()["finetune"].complexity
    retriever = ListRetriever(CHUNKS, order=[1, 0])
    arm = spec.make(ArmInputs(EchoGenerator(), retriever, top_k=2))
    assert isinstance(arm, FinetuneRagArm)
    assert arm.answer([QAItem("q", "?", "x", ("b",), True, "k")])[0].retrieved_ids == ["b", "a"]

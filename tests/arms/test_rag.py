"""arms.rag: the retriever's top k chunks in the RAG prompt, with what was retrieved kept on the answer."""

from fakes import EchoGenerator, ListRetriever

from rag_vs_ft.arms.rag import RagArm
from rag_vs_ft.arms.registry import ArmInputs, registered
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Chunk
from rag_vs_ft.models.prompts import RAG_SYSTEM

CHUNKS = [Chunk("gdpr-art-33", "GDPR Article 33", "Notify within 72 hours."),
          Chunk("gdpr-art-33", "GDPR Article 33", "The processor informs the controller."),
          Chunk("license-mit", "MIT License", "Free of charge.")]


def test_the_top_k_chunks_are_in_the_prompt_and_on_the_answer():
    gen, retriever = EchoGenerator(), ListRetriever(CHUNKS)
    qs = [QAItem("q1", "How fast is a breach notified?", "72 hours", ("gdpr-art-33",), True, "k"),
          QAItem("q2", "Is MIT free?", "yes", ("license-mit",), True, "k")]
    answers = RagArm(gen, retriever, 2).answer(qs)
    assert retriever.calls == [(["How fast is a breach notified?", "Is MIT free?"], 2)]  # one call for all
    system, user = gen.conversations[0]
    assert system == {"role": "system", "content": RAG_SYSTEM}
    assert "Notify within 72 hours." in user["content"] and "The processor informs" in user["content"]
    assert "Free of charge." not in user["content"]  # third: beyond top_k
    assert user["content"].endswith("Question: How fast is a breach notified?")
    a = answers[0]
    assert a.retrieved_ids == ["gdpr-art-33"]  # two chunks of one document: one id
    assert a.contexts == ["Notify within 72 hours.", "The processor informs the controller."]
    assert a.latency_s == 0.5 + a.retrieval_s and a.retrieval_s >= 0.0


def test_the_registered_spec_uses_the_run_s_retriever_and_top_k():
    spec = registered()["rag"]
    assert (spec.role, spec.uses_retrieval, spec.tuned) == ("candidate", True, False)
    retriever = ListRetriever(CHUNKS, order=[2, 0, 1])
    arm = spec.make(ArmInputs(EchoGenerator(), retriever, top_k=1))
    assert isinstance(arm, RagArm) and arm.uses_retrieval
    [a] = arm.answer([QAItem("q", "Free?", "yes", ("license-mit",), True, "k")])
    assert retriever.calls == [(["Free?"], 1)] and a.retrieved_ids == ["license-mit"]

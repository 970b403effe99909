"""arms.finetune: the tuned model asked exactly as in training: closed-book, no examples, no retrieval."""

from fakes import EchoGenerator, ListRetriever

from rag_vs_ft.arms.finetune import FinetuneArm
from rag_vs_ft.arms.registry import ArmInputs, registered
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Chunk
from rag_vs_ft.models.prompts import closed_book_messages


def test_the_question_is_asked_closed_book_without_examples():
    gen = EchoGenerator()
    qs = [QAItem("q1", "Within how many hours?", "72", ("d",), True, "k"),
          QAItem("q2", "Is it free?", "yes", (), False, "k")]
    answers = FinetuneArm(gen).answer(qs)
    assert gen.conversations == [closed_book_messages(q) for q in qs]
    assert [len(c) for c in gen.conversations] == [2, 2]  # system + question
    assert [a.question_id for a in answers] == ["q1", "q2"] and [a.prompt_tokens for a in answers] == [10, 20]
    assert all(a.retrieved_ids == [] for a in answers)


def test_the_registered_spec_is_a_tuned_closed_book_candidate_that_ignores_the_retriever():
    spec = registered()["finetune"]
    assert (spec.role, spec.tuned, spec.recipe, spec.uses_retrieval) == ("candidate", True, "closed_book", False)
    gen, retriever = EchoGenerator(), ListRetriever([Chunk("d", "T", "text")])
    arm = spec.make(ArmInputs(gen, retriever, top_k=2, few_shot=[QAItem("e", "Ex?", "A", (), True, "k")]))
    assert isinstance(arm, FinetuneArm)
    arm.answer([QAItem("q", "Asked?", "x", ("d",), True, "k")])
    assert retriever.calls == [] and len(gen.conversations[0]) == 2  # no retrieval, no few-shot

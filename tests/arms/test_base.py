"""arms.base: the generation arm's bookkeeping — evidence, timings, and resuming from saved answers."""

from fakes import EchoGenerator, ListRetriever

from rag_vs_ft.arms.base import ArmAnswer, GenerationArm
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Chunk

QS = [QAItem(f"q{i}", f"Question {i}?", "a", ("d",), True, "k") for i in range(3)]


def _messages(q, hits):
    return [{"role": "user", "content": f"{q.question} | " + ",".join(h.doc_id for h in hits)}]


def test_without_a_retriever_every_question_is_asked_alone():
    gen = EchoGenerator()
    arm = GenerationArm(gen, _messages)
    answers = arm.answer(QS)
    assert arm.evidence(QS) == [[], [], []]
    assert [c[0]["content"] for c in gen.conversations] == ["Question 0? | ", "Question 1? | ", "Question 2? | "]
    assert [(a.question_id, a.answer) for a in answers] == [(q.id, f"echo: {q.question} | ") for q in QS]
    assert all(a.retrieval_s == 0.0 and a.latency_s == 0.5 and a.generated_tokens == 3 for a in answers)
    assert [a.prompt_tokens for a in answers] == [10, 20, 30]


def test_retrieved_documents_are_listed_once_in_rank_order():
    chunks = [Chunk("b", "B", "b1"), Chunk("a", "A", "a1"), Chunk("b", "B", "b2")]
    retriever = ListRetriever(chunks)
    arm = GenerationArm(EchoGenerator(), _messages, retriever, top_k=3)
    [a] = arm.answer(QS[:1])
    assert retriever.calls == [(["Question 0?"], 3)]
    assert a.retrieved_ids == ["b", "a"] and a.contexts == ["b1", "a1", "b2"]
    assert a.answer == "echo: Question 0? | b,a,b"
    assert a.latency_s == 0.5 + a.retrieval_s


def test_saved_answers_are_kept_and_only_new_ones_are_handed_back():
    saved = ArmAnswer(question_id="q1", answer="from the interrupted run", latency_s=9.0, prompt_tokens=1,
                      generated_tokens=1)
    gen, handed = EchoGenerator(), []
    skips = []
    real = gen.generate

    def generate(conversations, on_batch=None, skip=frozenset(), on_done=None):
        skips.append(set(skip))
        return real(conversations, on_batch, skip, on_done)

    gen.generate = generate
    answers = GenerationArm(gen, _messages).answer(QS, done={"q1": saved}, on_answers=handed.extend)
    assert skips == [{1}]  # the generator is told which conversation is already answered
    assert answers[1] is saved and [a.question_id for a in answers] == ["q0", "q1", "q2"]
    assert [a.question_id for a in handed] == ["q0", "q2"]  # what the caller saves: only the new answers
    assert len(gen.conversations) == 3  # every prompt is still built, so batches match the first run

"""The arm interface: questions in, answers with timings and token counts out."""

from __future__ import annotations

import time
from typing import Callable, Protocol

from rag_vs_ft.answer import Answer as ArmAnswer  # the arms' name for the plain answer record
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Hit, Retriever
from rag_vs_ft.models.generator import Generator, Messages

Progress = Callable[[int], None]


class Arm(Protocol):
    name: str
    uses_retrieval: bool

    def answer(self, questions: list[QAItem], on_batch: Progress | None = None) -> list[ArmAnswer]: ...


class GenerationArm:
    """An arm = a generator + a way to turn a question (and maybe retrieved hits) into chat messages.

    Resumable: `answer(..., done=..., on_answers=...)` takes the answers an interrupted run already saved and
    hands back each new batch of answers as soon as it exists, so Ctrl-C loses at most the batch in flight."""

    name = "base"
    uses_retrieval = False
    resumable = True

    def __init__(self, generator: Generator, build_messages: Callable[[QAItem, list[Hit]], Messages],
                 retriever: Retriever | None = None, top_k: int = 0):
        self.generator, self.build_messages = generator, build_messages
        self.retriever, self.top_k = retriever, top_k

    def evidence(self, questions: list[QAItem]) -> list[list[Hit]]:
        """The chunks each question is asked with: the retriever's top k (an arm may choose otherwise)."""
        if self.retriever is None:
            return [[] for _ in questions]
        return self.retriever.search([q.question for q in questions], self.top_k)

    def answer(self, questions: list[QAItem], on_batch: Progress | None = None,
               done: dict[str, ArmAnswer] | None = None,
               on_answers: Callable[[list[ArmAnswer]], None] | None = None) -> list[ArmAnswer]:
        done = done or {}
        t0 = time.perf_counter()
        hits = self.evidence(questions)  # cheap and deterministic: redone for every question, so prompts match
        per_q_retrieval = (time.perf_counter() - t0) / max(1, len(questions)) if self.retriever is not None else 0.0

        def make(i: int, g) -> ArmAnswer:
            q, hs = questions[i], hits[i]
            return ArmAnswer(question_id=q.id, answer=g.text, latency_s=g.latency_s + per_q_retrieval,
                             prompt_tokens=g.prompt_tokens, generated_tokens=g.generated_tokens,
                             retrieved_ids=list(dict.fromkeys(h.doc_id for h in hs)), retrieval_s=per_q_retrieval,
                             contexts=[h.text for h in hs], context_ids=[h.doc_id for h in hs])

        def batch_done(idx: list[int], gens) -> None:
            if on_answers:
                on_answers([make(i, g) for i, g in zip(idx, gens) if questions[i].id not in done])

        skip = {i for i, q in enumerate(questions) if q.id in done}
        gens = self.generator.generate([self.build_messages(q, h) for q, h in zip(questions, hits)], on_batch,
                                       skip, batch_done)
        return [done[q.id] if q.id in done else make(i, g) for i, (q, g) in enumerate(zip(questions, gens))]

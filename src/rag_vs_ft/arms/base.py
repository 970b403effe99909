"""The arm interface: questions in, answers with timings and token counts out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Hit, Retriever
from rag_vs_ft.models.generator import Generator, Messages

Progress = Callable[[int], None]


@dataclass
class ArmAnswer:
    question_id: str
    answer: str
    latency_s: float
    prompt_tokens: int
    generated_tokens: int
    retrieved_ids: list[str] = field(default_factory=list)
    retrieval_s: float = 0.0
    contexts: list[str] = field(default_factory=list)  # retrieved chunk texts, for an LLM judge's faithfulness


class Arm(Protocol):
    name: str
    uses_retrieval: bool

    def answer(self, questions: list[QAItem], on_batch: Progress | None = None) -> list[ArmAnswer]: ...


class GenerationArm:
    """An arm = a generator + a way to turn a question (and maybe retrieved hits) into chat messages."""

    name = "base"
    uses_retrieval = False

    def __init__(self, generator: Generator, build_messages: Callable[[QAItem, list[Hit]], Messages],
                 retriever: Retriever | None = None, top_k: int = 0):
        self.generator, self.build_messages = generator, build_messages
        self.retriever, self.top_k = retriever, top_k

    def evidence(self, questions: list[QAItem]) -> list[list[Hit]]:
        """The chunks each question is asked with: the retriever's top k (an arm may choose otherwise)."""
        if self.retriever is None:
            return [[] for _ in questions]
        return self.retriever.search([q.question for q in questions], self.top_k)

    def answer(self, questions: list[QAItem], on_batch: Progress | None = None) -> list[ArmAnswer]:
        t0 = time.perf_counter()
        hits = self.evidence(questions)
        per_q_retrieval = (time.perf_counter() - t0) / max(1, len(questions)) if self.retriever is not None else 0.0
        gens = self.generator.generate([self.build_messages(q, h) for q, h in zip(questions, hits)], on_batch)
        return [ArmAnswer(question_id=q.id, answer=g.text, latency_s=g.latency_s + per_q_retrieval,
                          prompt_tokens=g.prompt_tokens, generated_tokens=g.generated_tokens,
                          retrieved_ids=list(dict.fromkeys(h.doc_id for h in hs)), retrieval_s=per_q_retrieval,
                          contexts=[h.text for h in hs])
                for q, g, hs in zip(questions, gens, hits)]

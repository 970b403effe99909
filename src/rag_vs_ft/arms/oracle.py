"""The ceiling: the RAG prompt with the question's gold evidence instead of retrieved chunks — the best this
model reads with perfect retrieval. Not a candidate (no deployment knows the evidence in advance)."""

from __future__ import annotations

from rag_vs_ft.arms.base import GenerationArm
from rag_vs_ft.models.prompts import rag_messages
from rag_vs_ft.arms.registry import ArmSpec, register
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Hit


class OracleArm(GenerationArm):
    name, uses_retrieval = "oracle", True

    def evidence(self, questions: list[QAItem]) -> list[list[Hit]]:
        """The top_k chunks of the gold documents, best-ranked first; an unanswerable question (no gold) gets
        what retrieval finds, so refusing stays the right answer."""
        found = self.retriever.search([q.question for q in questions], len(self.retriever.chunks))
        out = []
        for q, hits in zip(questions, found):
            gold = [h for h in hits if h.doc_id in q.doc_ids] or [  # a sparse ranking may not reach them
                Hit(c.doc_id, c.title, c.text, 0.0) for c in self.retriever.chunks if c.doc_id in q.doc_ids]
            out.append((gold or hits)[: self.top_k])
        return out


register(ArmSpec("oracle", "ceiling", "the RAG prompt with the gold evidence documents instead of retrieved ones",
                 lambda i: OracleArm(i.generator, rag_messages, i.retriever, i.top_k), uses_retrieval=True))

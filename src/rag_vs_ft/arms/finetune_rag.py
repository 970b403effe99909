"""Arm 4 — fine-tune + RAG: the same adapter, asked with the RAG prompt."""

from __future__ import annotations

from rag_vs_ft.arms.rag import RagArm
from rag_vs_ft.arms.registry import ArmSpec, register


class FinetuneRagArm(RagArm):
    name = "finetune_rag"


register(ArmSpec("finetune_rag", "candidate", "the QLoRA-tuned model asked with the RAG prompt",
                 lambda i: FinetuneRagArm(i.generator, i.retriever, i.top_k), uses_retrieval=True, tuned=True,
                 complexity=3))

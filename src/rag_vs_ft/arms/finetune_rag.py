"""Arm 4 — fine-tune + RAG: an adapter trained RAFT-style (finetune.raft) in the very RAG prompt it is asked with."""

from __future__ import annotations

from rag_vs_ft.arms.rag import RagArm
from rag_vs_ft.arms.registry import ArmSpec, register


class FinetuneRagArm(RagArm):
    name = "finetune_rag"


register(ArmSpec("finetune_rag", "candidate",
                 "the QLoRA model trained RAFT-style on retrieved documents, asked with the RAG prompt",
                 lambda i: FinetuneRagArm(i.generator, i.retriever, i.top_k), uses_retrieval=True, tuned=True,
                 recipe="raft", complexity=3))

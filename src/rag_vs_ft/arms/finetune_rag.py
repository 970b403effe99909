"""Arm 4 — fine-tune + RAG: the same adapter, asked with the RAG prompt."""

from __future__ import annotations

from rag_vs_ft.arms.rag import RagArm


class FinetuneRagArm(RagArm):
    name = "finetune_rag"

"""Arm 2 — RAG: top-k retrieved chunks in the prompt; answer only from them, cite ids, or refuse."""

from __future__ import annotations

from rag_vs_ft.arms.base import GenerationArm
from rag_vs_ft.models.prompts import rag_messages
from rag_vs_ft.index.retriever import Retriever
from rag_vs_ft.models.generator import Generator
from rag_vs_ft.arms.registry import ArmSpec, register


class RagArm(GenerationArm):
    name = "rag"
    uses_retrieval = True

    def __init__(self, generator: Generator, retriever: Retriever, top_k: int):
        super().__init__(generator, rag_messages, retriever, top_k)


register(ArmSpec("rag", "candidate", "the retrieved chunks in the prompt: answer from them, cite ids, or refuse",
                 lambda i: RagArm(i.generator, i.retriever, i.top_k), uses_retrieval=True, complexity=1))

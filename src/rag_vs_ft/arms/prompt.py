"""Arm 1 — prompt engineering: system prompt + few-shot examples from the train split, no corpus access."""

from __future__ import annotations

from rag_vs_ft.arms.base import GenerationArm
from rag_vs_ft.models.prompts import closed_book_messages
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.models.generator import Generator
from rag_vs_ft.arms.registry import ArmSpec, register


class PromptArm(GenerationArm):
    name = "prompt"
    uses_retrieval = False

    def __init__(self, generator: Generator, examples: list[QAItem]):
        super().__init__(generator, lambda q, _hits: closed_book_messages(q, examples))


register(ArmSpec("prompt", "candidate", "system prompt + few-shot examples from the train split, no corpus access",
                 lambda i: PromptArm(i.generator, i.few_shot), uses_few_shot=True, complexity=0))

"""Arm 3 — fine-tune: the base model with the trained (Q)LoRA adapter merged in; no retrieval at answer time.

The generator handed in must already carry the adapter (see pipeline); the question is asked exactly as in
training: the closed-book system prompt, no few-shot examples.
"""

from __future__ import annotations

from rag_vs_ft.arms.base import GenerationArm
from rag_vs_ft.models.prompts import closed_book_messages
from rag_vs_ft.models.generator import Generator
from rag_vs_ft.arms.registry import ArmSpec, register


class FinetuneArm(GenerationArm):
    name = "finetune"
    uses_retrieval = False

    def __init__(self, tuned_generator: Generator):
        super().__init__(tuned_generator, lambda q, _hits: closed_book_messages(q))


register(ArmSpec("finetune", "candidate", "the QLoRA-tuned model, asked closed-book", lambda i: FinetuneArm(i.generator),
                 tuned=True, recipe="closed_book", complexity=2))

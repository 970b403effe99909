"""The plain answer record: what any answerer — an arm, a floor, a served model — hands to the evaluation, so
scoring depends on what was answered, never on how."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Answer:
    question_id: str
    answer: str
    latency_s: float
    prompt_tokens: int
    generated_tokens: int
    retrieved_ids: list[str] = field(default_factory=list)
    retrieval_s: float = 0.0
    contexts: list[str] = field(default_factory=list)  # retrieved chunk texts, for an LLM judge's faithfulness
    context_ids: list[str] = field(default_factory=list)  # the document of each context: marks the evidence read

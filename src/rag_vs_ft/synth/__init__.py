"""Synthetic QA sets for domains that have none: `synthesize` (extractive or LLM pairs plus unanswerable
questions, all filtered for grounding, copying, echoing, duplicates and length) and `write_qa`."""

from rag_vs_ft.synth.llm import PROMPT_VERSION, SynthError
from rag_vs_ft.synth.run import SynthResult, SynthSettings, compose_qa, synthesize, write_qa

__all__ = ["PROMPT_VERSION", "SynthError", "SynthResult", "SynthSettings", "compose_qa", "synthesize", "write_qa"]

"""Is an answer backed by evidence? Fabrication and citation precision, offline, by content-word support.

An answer's content words (no function words, no words it merely repeats from the question) are looked up in
the evidence; an answer is supported when most of them occur there and every number it states does. This is
the same test the QA files' own references must pass (`corpus` tests), applied to the arms' answers.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from rag_vs_ft.evaluation.metrics import cited_ids, yes_no, yes_no_verdict
from rag_vs_ft.text import SUPPORT_THRESHOLD, WORD as _WORD, content_words

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")


class Evidence:
    """Word sets of the corpus documents, built once per document and reused for every answer."""

    def __init__(self, documents: Mapping[str, str]):
        self.documents = documents
        self._vocab: dict[str, frozenset[str]] = {}

    def vocab(self, doc_id: str) -> frozenset[str]:
        if doc_id not in self._vocab:
            self._vocab[doc_id] = frozenset(_WORD.findall(self.documents.get(doc_id, "").lower()))
        return self._vocab[doc_id]

    def union(self, doc_ids: Iterable[str], extra: str = "") -> frozenset[str]:
        out = set(_WORD.findall(extra.lower()))
        for d in doc_ids:
            out |= self.vocab(d)
        return frozenset(out)


def claimed_words(answer: str, question: str) -> list[str]:
    """What an answer adds to its question: its content words, citations and echoed question words removed."""
    asked = set(content_words(question))
    return [w for w in content_words(re.sub(r"\[[^\]]*\]", " ", answer)) if w not in asked]


def supported(answer: str, question: str, vocab: frozenset[str]) -> bool:
    words = claimed_words(answer, question)
    numbers = [n.replace(",", ".") for n in _NUMBER.findall(re.sub(r"\[[^\]]*\]", " ", answer))]
    if any(n.split(".")[0] not in vocab for n in numbers):  # a wrong number is the classic fabrication
        return False
    return not words or sum(w in vocab for w in words) / len(words) >= SUPPORT_THRESHOLD


def is_fabricated(answer: str, question: str, reference: str, answerable: bool, refused: bool,
                  evidence_ids: Iterable[str], evidence: Evidence) -> bool:
    """Answered, but backed by neither the reference nor any evidence document (the question's own, retrieved
    or cited ones). A refusal is never a fabrication; a yes/no answer is fabricated when its verdict is wrong."""
    if refused:
        return False
    if answerable and yes_no(reference) is not None:
        return yes_no_verdict(answer) != yes_no(reference)
    vocab = evidence.union(evidence_ids, extra=reference if answerable else "")
    return not supported(answer, question, vocab)


def citation_precision(answer: str, question: str, evidence: Evidence) -> float | None:
    """Share of the ids an answer cites that exist in the corpus and contain the answer's content (None when it
    cites nothing)."""
    cited = cited_ids(answer)
    if not cited:
        return None
    good = sum(d in evidence.documents and supported(answer, question, evidence.vocab(d)) for d in cited)
    return good / len(cited)

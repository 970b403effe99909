"""Floors: trivial answerers that use no LLM. They are no candidates for deployment; they show what an answer
score is worth on this corpus. An approach that does not beat them significantly is not recommended."""

from __future__ import annotations

import re
import time
from collections import Counter

from rag_vs_ft.arms.base import ArmAnswer, Progress
from rag_vs_ft.models.prompts import REFUSAL
from rag_vs_ft.arms.registry import ArmSpec, register
from rag_vs_ft.corpus.schema import QAItem, yes_no

_YES_NO_QUESTION = re.compile(r"^(?:is|are|was|were|do|does|did|can|could|may|might|must|shall|should|will|would|"
                              r"has|have|had)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


def _timed(questions: list[QAItem], reply, on_batch: Progress | None, hits=None) -> list[ArmAnswer]:
    out = []
    for i, q in enumerate(questions):
        t0 = time.perf_counter()
        text, docs, contexts = reply(q, hits[i] if hits else [])
        out.append(ArmAnswer(q.id, text, time.perf_counter() - t0, 0, 0, retrieved_ids=docs, contexts=contexts,
                             context_ids=docs if len(docs) == len(contexts) else []))
    if on_batch:
        on_batch(len(questions))
    return out


class AlwaysRefuse:
    name, uses_retrieval = "always-refuse", False

    def answer(self, questions: list[QAItem], on_batch: Progress | None = None) -> list[ArmAnswer]:
        return _timed(questions, lambda q, _: (REFUSAL, [], []), on_batch)


class Majority:
    """A yes/no question gets the verdict most train answers give; any other question the refusal."""

    name, uses_retrieval = "majority", False

    def __init__(self, train: list[QAItem]):
        verdicts = Counter(v for q in train if (v := yes_no(q.answer)))
        self.verdict = f"{verdicts.most_common(1)[0][0].capitalize()}." if verdicts else None

    def answer(self, questions: list[QAItem], on_batch: Progress | None = None) -> list[ArmAnswer]:
        def reply(q: QAItem, _):
            return (self.verdict if self.verdict and _YES_NO_QUESTION.match(q.question.strip()) else REFUSAL), [], []
        return _timed(questions, reply, on_batch)


def best_sentence(question: str, text: str) -> str:
    """The sentence of `text` sharing the most words with the question (the first on a tie)."""
    words = set(_WORD.findall(question.lower()))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.split()) >= 3]
    return max(sentences, key=lambda s: len(words & set(_WORD.findall(s.lower()))), default=text.strip()[:300])


class Extractive:
    """Retrieval with no reader: the best-matching sentence of the top retrieved chunk, as the answer."""

    name, uses_retrieval = "extractive", True

    def __init__(self, retriever):
        self.retriever = retriever

    def answer(self, questions: list[QAItem], on_batch: Progress | None = None) -> list[ArmAnswer]:
        hits = self.retriever.search([q.question for q in questions], 1)

        def reply(q: QAItem, top):
            if not top:
                return REFUSAL, [], []
            return best_sentence(q.question, top[0].text), [top[0].doc_id], [top[0].text]
        return _timed(questions, reply, on_batch, hits)


register(ArmSpec("always-refuse", "floor", "refuses every question", lambda i: AlwaysRefuse(), uses_model=False))
register(ArmSpec("majority", "floor", "the train split's majority yes/no verdict to yes/no questions, else refuses",
                 lambda i: Majority(i.train), uses_model=False))
register(ArmSpec("extractive", "floor", "the best-matching sentence of the top retrieved chunk, no LLM",
                 lambda i: Extractive(i.retriever), uses_retrieval=True, uses_model=False))

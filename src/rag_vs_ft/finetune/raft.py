"""RAFT training examples (Zhang et al. 2024, "RAFT: Adapting Language Model to Domain Specific RAG").

The fine-tune + RAG arm is trained in exactly the prompt format it is asked in: a train question with `k`
documents. With probability `p_oracle` one of them is the oracle — the best-ranked chunk of the question's
evidence document — and the rest are distractors; otherwise all `k` are distractors. The target is the reference
answer citing the oracle's id, or the refusal when the oracle is absent, so the model learns both to read the
right document and to decline when it is not there.

Distractors are hard negatives: the retriever's best-ranked chunks for the *train* question that do not come from
its evidence documents. Only train questions reach this module, so no test question influences the choice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from rag_vs_ft.models.prompts import REFUSAL
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Hit

P_ORACLE = 0.8  # RAFT's default share of examples that carry the oracle document


@dataclass(frozen=True)
class RaftExample:
    question: QAItem
    documents: list[Hit]  # in prompt order
    oracle: Hit | None    # None: only distractors, the target is the refusal
    target: str


def cite(answer: str, doc_id: str) -> str:
    """The answer with the oracle's id, as the RAG prompt asks ("... [gdpr-art-33]")."""
    text = answer.strip()
    return f"{text} [{doc_id}]" if text.endswith((".", "!", "?")) else f"{text}. [{doc_id}]"


def raft_examples(train: list[QAItem], ranked: Callable[[list[str]], list[list[Hit]]], k: int,
                  p_oracle: float = P_ORACLE, seed: int = 0) -> list[RaftExample]:
    """One example per train question. `ranked(questions)` gives each question's retrieved chunks, best first,
    deep enough to hold k distractors and, usually, an evidence chunk. Exactly round((1 - p_oracle) * n) of the n
    answerable questions whose oracle was found go without it (seeded): drawing each one separately would, on the
    few dozen examples a CPU budget allows, often give twice the refusals intended — and a small model then learns
    to refuse everything."""
    rng = random.Random(seed)
    hits_of = ranked([q.question for q in train])
    if len(hits_of) != len(train):
        raise ValueError("ranked() must return one ranking per question")
    oracles = [next((h for h in hits if h.doc_id in set(q.doc_ids)), None) for q, hits in zip(train, hits_of)]
    eligible = [i for i, (q, o) in enumerate(zip(train, oracles)) if q.answerable and o is not None]
    without = set(rng.sample(eligible, round((1 - p_oracle) * len(eligible))))
    out = []
    for i, (q, hits, oracle) in enumerate(zip(train, hits_of, oracles)):
        distractors = [h for h in hits if h.doc_id not in set(q.doc_ids)][:k]
        if i not in eligible or i in without:
            out.append(RaftExample(q, distractors, None, REFUSAL))
            continue
        docs = distractors[:k - 1] + [oracle]
        rng.shuffle(docs)  # the oracle's position teaches nothing
        out.append(RaftExample(q, docs, oracle, cite(q.answer, oracle.doc_id)))
    return out

"""Train/dev/test splits, stratified by question kind, and the contamination check that guards the test set."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import Callable, Iterable

from rag_vs_ft.corpus.schema import QAItem


def normalize_question(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def split_questions(items: list[QAItem], train: float, dev: float, seed: int) -> list[QAItem]:
    """Assign every item a split. Within each kind the order is a seeded shuffle; identical questions
    (after normalisation) always land in the same split so none leaks across."""
    rng = random.Random(seed)
    by_kind: dict[str, list[str]] = {}
    for it in items:
        by_kind.setdefault(it.kind, [])
        key = normalize_question(it.question)
        if key not in by_kind[it.kind]:
            by_kind[it.kind].append(key)
    assigned: dict[str, str] = {}
    for kind in sorted(by_kind):
        keys = sorted(by_kind[kind])
        rng.shuffle(keys)
        n = len(keys)
        n_train = round(n * train)
        n_dev = round(n * dev)
        if n >= 3:  # every kind keeps at least one test question
            n_train = min(n_train, n - 1 - n_dev) if n_dev else min(n_train, n - 1)
        for i, key in enumerate(keys):
            assigned.setdefault(key, "train" if i < n_train else "dev" if i < n_train + n_dev else "test")
    return [replace(it, split=assigned[normalize_question(it.question)]) for it in items]


def contaminated(test_items: Iterable[QAItem], training_texts: Iterable[str]) -> list[str]:
    """Ids of test questions whose normalised text occurs inside any text the models learn or see as examples."""
    haystack = "\n".join(normalize_question(t) for t in training_texts)
    return [it.id for it in test_items if normalize_question(it.question) in haystack]


def interleave_kinds(items: list[QAItem], group: Callable[[QAItem], str] = lambda q: q.kind) -> list[QAItem]:
    """Round-robin over kinds (or any grouping), keeping order within a group: any prefix (few-shot examples,
    a small eval.limit) covers every group, unanswerable included."""
    by_kind: dict[str, list[QAItem]] = {}
    for q in items:
        by_kind.setdefault(group(q), []).append(q)
    queues = [by_kind[k] for k in sorted(by_kind)]
    out = []
    for i in range(max(map(len, queues), default=0)):
        out += [q[i] for q in queues if i < len(q)]
    return out


def withheld_documents(test: list[QAItem], share: float, seed: int) -> set[str]:
    """Documents held back from fine-tuning and the first index for the knowledge-update test: the evidence of a
    seeded `share` of the answerable test questions (at least one question when share > 0)."""
    answerable = sorted((q for q in test if q.answerable and q.doc_ids), key=lambda q: q.id)
    if share <= 0 or not answerable:
        return set()
    picked = random.Random(seed).sample(answerable, max(1, round(share * len(answerable))))
    return {d for q in picked for d in q.doc_ids}


def cites_any(q: QAItem, doc_ids: set[str]) -> bool:
    return bool(doc_ids.intersection(q.doc_ids))

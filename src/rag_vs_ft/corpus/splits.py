"""Train/dev/test splits, stratified by question kind, and the contamination check that guards the test set."""

from __future__ import annotations

import bisect
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


def contamination_sources(test_items: Iterable[QAItem], texts: list[str]) -> list[tuple[QAItem, int]]:
    """(test item, index of the first text containing it) for every test question whose normalised text occurs,
    as whole words, inside one of `texts` (what the models learn from or see as examples)."""
    starts, parts, pos = [], [], 0
    for t in texts:
        part = f" {normalize_question(t)} \n"
        starts.append(pos)
        parts.append(part)
        pos += len(part)
    haystack = "".join(parts)
    out = []
    for it in test_items:
        at = haystack.find(f" {normalize_question(it.question)} ")
        if at >= 0:
            out.append((it, bisect.bisect_right(starts, at) - 1))
    return out


def contaminated(test_items: Iterable[QAItem], training_texts: Iterable[str]) -> list[str]:
    """Ids of test questions whose normalised text occurs inside any text the models learn or see as examples."""
    return [it.id for it, _ in contamination_sources(test_items, list(training_texts))]


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


def few_shot_examples(train: list[QAItem], n: int) -> list[QAItem]:
    """Round-robin over kinds so the examples show every answer style, refusals included."""
    return interleave_kinds(sorted(train, key=lambda q: q.id))[:n]

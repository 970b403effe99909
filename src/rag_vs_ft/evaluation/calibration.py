"""Choosing the correctness decision's parameters from hand labels, and saying how well they transfer (pure
functions).

A rule tuned on one corpus's labels looks better there than it is anywhere else. So every parameter is chosen by
leave-one-corpus-out: for each labelled corpus the rule is fitted on the *other* corpora (the grid point with the
highest mean Cohen's κ over them, each corpus weighing the same) and measured on the one left out; the held-out
κ, with a bootstrap interval over its answers, is what a new corpus can expect. The shipped rule is the one
fitted on all corpora.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Sequence

import numpy as np

from rag_vs_ft.evaluation.correctness import Rule, agreement, is_correct


@dataclass(frozen=True)
class Labelled:
    """One hand-labelled answer."""

    corpus: str
    question: str
    reference: str
    answer: str
    answerable: bool
    refused: bool
    label: bool


GRID = tuple(Rule(core, number, qualifier) for core, number, qualifier in product(
    (0.3, 0.4, 0.5, 0.6, 0.7), (0.15, 0.25, 0.35, 0.5), (0.0, 0.25, 0.5, 1.0)))


def decisions(items: Sequence[Labelled], rule: Rule) -> list[tuple[bool, bool]]:
    return [(is_correct(x.answer, x.question, x.reference, x.answerable, x.refused, rule), x.label) for x in items]


def kappa(items: Sequence[Labelled], rule: Rule) -> float:
    got = agreement(decisions(items, rule))
    return got["kappa"] if got else float("nan")


def fit(by_corpus: dict[str, Sequence[Labelled]], grid: Sequence[Rule] = GRID) -> Rule:
    """The grid point with the highest mean κ over the corpora given (the first such point on ties)."""
    return max(grid, key=lambda rule: float(np.nanmean([kappa(items, rule) for items in by_corpus.values()])))


def kappa_interval(pairs: Sequence[tuple[bool, bool]], resamples: int = 2000, seed: int = 0,
                   confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of Cohen's κ over answers."""
    rng = np.random.default_rng(seed)
    arr = np.array(pairs, dtype=bool)
    stats = []
    for idx in rng.integers(0, len(arr), size=(resamples, len(arr))):
        got = agreement([tuple(row) for row in arr[idx]])
        if got:
            stats.append(got["kappa"])
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class HeldOut:
    corpus: str
    rule: Rule             # fitted on the other corpora
    n: int
    correct: int           # answers labelled correct
    kappa: float
    interval: tuple[float, float]
    balanced_accuracy: float


def leave_one_corpus_out(by_corpus: dict[str, Sequence[Labelled]], grid: Sequence[Rule] = GRID,
                         resamples: int = 2000) -> list[HeldOut]:
    out = []
    for corpus, items in by_corpus.items():
        rule = fit({c: v for c, v in by_corpus.items() if c != corpus}, grid)
        pairs = decisions(items, rule)
        got = agreement(pairs)
        out.append(HeldOut(corpus, rule, got["n"], got["correct"], got["kappa"], kappa_interval(pairs, resamples),
                           got["balanced_accuracy"]))
    return out

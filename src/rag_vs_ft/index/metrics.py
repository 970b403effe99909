"""Ranking quality of a retriever against the evidence documents of a question (pure functions).

A ranking is the list of document ids of the retrieved chunks, best first; several chunks of one document may
appear. A gold document counts once, at its first rank, so retrieving the same document twice earns nothing.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence


def _first_ranks(ranking: Sequence[str], gold: set[str], k: int) -> list[int]:
    """1-based ranks at which a gold document first appears within the top k."""
    seen, ranks = set(), []
    for rank, doc in enumerate(ranking[:k], 1):
        if doc in gold and doc not in seen:
            seen.add(doc)
            ranks.append(rank)
    return ranks


def recall_at_k(ranking: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Share of the gold documents found among the top k chunks."""
    gold = set(gold)
    return len(_first_ranks(ranking, gold, k)) / len(gold) if gold else 0.0


def reciprocal_rank(ranking: Sequence[str], gold: Iterable[str], k: int | None = None) -> float:
    """1 / rank of the first chunk from a gold document (0 when none is within the top k)."""
    ranks = _first_ranks(ranking, set(gold), len(ranking) if k is None else k)
    return 1.0 / ranks[0] if ranks else 0.0


def ndcg_at_k(ranking: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Binary-relevance nDCG: each gold document gains 1/log2(rank+1) at its first rank, against the ideal of
    all gold documents at the top."""
    gold = set(gold)
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 1) for r in _first_ranks(ranking, gold, k))
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = 60) -> list[tuple[int, float]]:
    """Fuse rankings of the same items (Cormack et al. 2009): score(item) = sum over rankings of 1/(k + rank).
    Returns (item, score), best first; ties keep the order of first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def mean_metrics(rankings: Sequence[Sequence[str]], golds: Sequence[Iterable[str]], k: int) -> dict[str, float]:
    """recall@k, MRR@k and nDCG@k averaged over questions (questions without gold documents are left out)."""
    pairs = [(r, set(g)) for r, g in zip(rankings, golds) if set(g)]
    if not pairs:
        return {"recall": 0.0, "mrr": 0.0, "ndcg": 0.0, "n": 0}
    n = len(pairs)
    return {"recall": sum(recall_at_k(r, g, k) for r, g in pairs) / n,
            "mrr": sum(reciprocal_rank(r, g, k) for r, g in pairs) / n,
            "ndcg": sum(ndcg_at_k(r, g, k) for r, g in pairs) / n, "n": n}

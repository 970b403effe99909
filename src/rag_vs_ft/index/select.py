"""RAG at its best, chosen on the dev split: a grid of retrieval settings (mode × top_k × chunk size) scored by
retrieval metrics alone (recall@k, MRR, nDCG of the evidence documents — no generation, so it is cheap).

The rule: the highest recall@k wins, because RAG can only answer from evidence that is in the prompt; settings
within `TOLERANCE` of it are as good on this many questions, and among those the smallest prompt (top_k × chunk
size) wins, then the better ranking (nDCG). Only dev questions reach this module: the caller passes (question,
evidence ids) pairs, so no test question can influence the choice.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

from rag_vs_ft.index.metrics import mean_metrics
from rag_vs_ft.index.retriever import DenseRetriever

TOLERANCE = 0.02  # recall@k this close to the best counts as a tie
MIN_DEV_QUESTIONS = 5  # below this the grid would choose on noise: keep the configured settings


@dataclass(frozen=True)
class GridRow:
    mode: str
    chunk_size: int
    top_k: int
    recall: float
    mrr: float
    ndcg: float
    n: int
    ms_per_query: float


@dataclass
class Choice:
    mode: str
    chunk_size: int
    top_k: int
    selected: bool  # False: too few dev questions, the configured settings were kept
    reason: str
    n_dev: int
    grid: list[GridRow] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**asdict(self), "grid": [asdict(r) for r in self.grid]}


def score_grid(dense_by_size: dict[int, DenseRetriever], dev: list[tuple[str, set[str]]], modes: Iterable[str],
               top_ks: list[int], make: Callable[[str, DenseRetriever], object]) -> list[GridRow]:
    """Every (mode, chunk size, top_k) on the dev questions; one ranking per mode and size, cut at each k."""
    questions, golds = [q for q, _ in dev], [g for _, g in dev]
    rows = []
    for size, dense in dense_by_size.items():
        for mode in modes:
            retriever = make(mode, dense)
            t0 = time.perf_counter()
            ranked = retriever.rank(questions, max(top_ks))
            ms = (time.perf_counter() - t0) * 1000 / max(1, len(questions))
            doc_rankings = [[retriever.chunks[j].doc_id for j, _ in row] for row in ranked]
            for k in top_ks:
                m = mean_metrics(doc_rankings, golds, k)
                rows.append(GridRow(mode, size, k, round(m["recall"], 4), round(m["mrr"], 4), round(m["ndcg"], 4),
                                    m["n"], round(ms, 2)))
    return rows


def choose(rows: list[GridRow], tolerance: float = TOLERANCE) -> GridRow:
    best = max(r.recall for r in rows)
    tied = [r for r in rows if r.recall >= best - tolerance]
    return min(tied, key=lambda r: (r.top_k * r.chunk_size, -r.ndcg, -r.recall, r.mode))


def select_retrieval(dense_by_size: dict[int, DenseRetriever], dev: list[tuple[str, set[str]]],
                     modes: Iterable[str], top_ks: list[int], fallback: tuple[str, int, int],
                     make: Callable[[str, DenseRetriever], object]) -> Choice:
    """The grid's choice, or `fallback` (mode, chunk size, top_k) when the dev split is too small to choose on."""
    dev = [(q, g) for q, g in dev if g]
    if len(dev) < MIN_DEV_QUESTIONS:
        mode, size, k = fallback
        return Choice(mode, size, k, False, f"only {len(dev)} answerable dev questions (fewer than "
                      f"{MIN_DEV_QUESTIONS}): kept the configured retrieval settings", len(dev))
    rows = score_grid(dense_by_size, dev, modes, top_ks, make)
    pick = choose(rows)
    best = max(rows, key=lambda r: r.recall)
    reason = f"recall@k {pick.recall:.2f} on {len(dev)} dev questions, "
    if pick.recall >= best.recall:
        reason += f"the highest of the {len(rows)} settings (ties within {TOLERANCE}: the smallest prompt wins)"
    else:
        reason += (f"within {TOLERANCE} of the highest ({best.recall:.2f}: {best.mode}, chunk {best.chunk_size}, "
                   f"top_k {best.top_k}) with a smaller prompt")
    return Choice(pick.mode, pick.chunk_size, pick.top_k, True, reason, len(dev), rows)

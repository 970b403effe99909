"""Comparisons within each question kind (pure functions over results rows): a headline that averages kinds
can hide that RAG wins the article questions while guessing wins the yes/no ones."""

from __future__ import annotations

from rag_vs_ft.evaluation.headline import headline_column, kind_score
from rag_vs_ft.evaluation.statistics import PairedDiff, paired_bootstrap


def best_per_kind(rows: list[dict], complexity: dict[str, int]) -> dict[str, tuple[str, float, int]]:
    """For each question kind, the arm with the highest score on the headline's scale (correctness beyond chance;
    ties: the simpler arm)."""
    sums: dict[str, dict[str, list[dict]]] = {}
    for r in rows:
        sums.setdefault(r["kind"], {}).setdefault(r["arm"], []).append(r)
    out = {}
    for kind in sorted(sums):
        means = {arm: kind_score(v) for arm, v in sums[kind].items()}
        arm = min(means, key=lambda a: (-means[a], complexity.get(a, 9)))
        out[kind] = (arm, means[arm], len(sums[kind][arm]))
    return out


def kind_versus(rows: list[dict], baseline: str, others: list[str], resamples: int = 2000,
                seed: int = 0) -> dict[str, dict[str, PairedDiff]]:
    """kind -> other arm -> paired difference of the kind's score on the headline's scale (other minus baseline),
    resampled within the kind's strata (its yes- and no-questions)."""
    by: dict[str, dict[str, dict[str, dict]]] = {}
    for r in rows:
        by.setdefault(r["kind"], {}).setdefault(r["arm"], {})[r["question_id"]] = r
    out: dict[str, dict[str, PairedDiff]] = {}
    for kind, arms in sorted(by.items()):
        if baseline not in arms:
            continue
        for other in others:
            qids = sorted(set(arms[baseline]) & set(arms.get(other, {})))
            if qids:
                a, b = ([arms[arm][q] for q in qids] for arm in (other, baseline))
                values = (headline_column(a), headline_column(b)) if any(r["answerable"] for r in a) else \
                    ([r["credit"] for r in a], [r["credit"] for r in b])
                out.setdefault(kind, {})[other] = paired_bootstrap(
                    *values, resamples, seed, strata=[r.get("stratum", "") for r in a])
    return out

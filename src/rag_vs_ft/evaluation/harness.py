"""The shared harness: the same questions go to every arm; every answer is scored the same way."""

from __future__ import annotations

import statistics
from typing import Iterable

import numpy as np

from rag_vs_ft.answer import Answer
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.columns import columns, plug_in_scores
from rag_vs_ft.evaluation.correctness import HEADLINE, add_correctness
from rag_vs_ft.evaluation.headline import kind_score
from rag_vs_ft.evaluation.grounding import Evidence, citation_precision, is_fabricated
from rag_vs_ft.evaluation.metrics import answer_metrics, cited_ids, context_precision, context_recall
from rag_vs_ft.evaluation.statistics import bootstrap_ci

def answer_score(exact: float, f1: float) -> float:
    """Per-question headline quality: mean of exact match and token F1 (a refusal is right on unanswerable ones)."""
    return (exact + f1) / 2


def score_answers(arm: str, uses_retrieval: bool, questions: list[QAItem], answers: list[Answer],
                  semantic=None, evidence: Evidence | None = None) -> list[dict]:
    """One results row per question: the question, reference, answer, retrieval, every metric, cost."""
    rows = []
    if semantic is not None:  # the same texts semantic.score embeds below (empty answers become " ")
        semantic.embeddings.warm([q.answer or " " for q in questions] + [a.answer or " " for a in answers])
    for q, a in zip(questions, answers, strict=True):
        assert q.id == a.question_id, (q.id, a.question_id)
        row = {
            "arm": arm, "question_id": q.id, "kind": q.kind, "origin": q.origin, "answerable": q.answerable,
            "question": q.question, "reference": q.answer, "answer": a.answer,
            "doc_ids": list(q.doc_ids), "retrieved_ids": a.retrieved_ids, "cited_ids": cited_ids(a.answer),
            **answer_metrics(a.answer, q.answer, q.answerable, semantic),
            "latency_s": round(a.latency_s, 4), "retrieval_s": round(a.retrieval_s, 4),
            "prompt_tokens": a.prompt_tokens, "generated_tokens": a.generated_tokens,
        }
        row["answer_score"] = answer_score(row["exact_match"], row["token_f1"])
        if uses_retrieval:  # what it read, for the report's question explorer
            row["contexts"], row["context_ids"] = list(a.contexts), list(a.context_ids)
        if uses_retrieval and q.answerable:
            row["context_recall"] = context_recall(a.retrieved_ids, q.doc_ids)
            row["context_precision"] = context_precision(a.retrieved_ids, q.doc_ids)
        if evidence is not None:
            row["fabricated"] = float(is_fabricated(
                a.answer, q.question, q.answer, q.answerable, bool(row["refused"]),
                [*q.doc_ids, *a.retrieved_ids, *row["cited_ids"]], evidence))
            if uses_retrieval:
                row["cites"] = float(bool(row["cited_ids"]))
                row["citation_precision"] = citation_precision(a.answer, q.question, evidence)
        row.update(plug_in_scores(q, a))
        rows.append(row)
    return add_correctness(rows)


def with_correctness(rows: list[dict]) -> list[dict]:
    """Saved rows judged again by today's decision and headline, from what each row holds (question, reference,
    answer, refusal, kind): `rag-vs-ft report` re-renders any run, older ones included, on the current rules."""
    out: list[dict] = [{}] * len(rows)
    for group in _group_by(list(enumerate(rows)), lambda ir: (ir[1]["arm"], ir[1].get("seed"))).values():
        for (i, _), judged in zip(group, add_correctness([r for _, r in group])):
            out[i] = judged
    return out


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (q in 0..100), as numpy's default."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.fmean(vals) if vals else None


def _median_of_rows(m: np.ndarray) -> np.ndarray:
    return np.percentile(m, 50, axis=1)


def _p95_of_rows(m: np.ndarray) -> np.ndarray:
    return np.percentile(m, 95, axis=1)


def summarize_arm(rows: list[dict], resamples: int = 2000, seed: int = 0) -> dict:
    """Means of every metric with their 95 % bootstrap intervals over questions (in `ci`), plus cost figures."""
    subsets = {"all": rows, "answerable": [r for r in rows if r["answerable"]],
               "unanswerable": [r for r in rows if not r["answerable"]]}
    lat = [r["latency_s"] for r in rows]
    out: dict = {"n": len(rows), "n_answerable": len(subsets["answerable"]),
                 "n_unanswerable": len(subsets["unanswerable"]), "ci": {}}
    for column in columns():
        name, subset = column.name, column.rows
        values = [r.get(column.row_field) for r in subsets[subset]]
        out[name] = _mean(values)
        by_stratum = name == HEADLINE and all("stratum" in r for r in rows)  # as the headline weighs questions
        strata = [r["stratum"] for r in subsets[subset]] if by_stratum else None
        interval = bootstrap_ci(values, resamples, seed, strata=strata)
        out["ci"][name] = None if interval is None else [interval.low, interval.high]
    out["latency_p50_s"] = percentile(lat, 50)
    out["latency_p95_s"] = percentile(lat, 95)
    for name, stat in (("latency_p50_s", _median_of_rows), ("latency_p95_s", _p95_of_rows)):
        interval = bootstrap_ci(lat, resamples, seed, statistic=stat)
        out["ci"][name] = None if interval is None else [interval.low, interval.high]
    out["answers_per_s"] = len(lat) / sum(lat) if lat and sum(lat) > 0 else None
    out["prompt_tokens_mean"] = _mean(r["prompt_tokens"] for r in rows)
    out["generated_tokens_mean"] = _mean(r["generated_tokens"] for r in rows)
    out["by_kind"] = {k: {"n": len(rs), "credit": kind_score(rs),
                          "correct": _mean(r["correct"] for r in rs), "answer_score": _mean(r["answer_score"] for r in rs),
                          "exact_match": _mean(r["exact_match"] for r in rs), "token_f1": _mean(r["token_f1"] for r in rs)}
                      for k, rs in sorted(_group(rows, "kind").items())}
    out["by_origin"] = {k: {"n": len(rs), "correct": _mean(r["correct"] for r in rs),
                            "answer_score": _mean(r["answer_score"] for r in rs)}
                        for k, rs in sorted(_group([{"origin": "hand-written", **r} for r in rows], "origin").items())}
    return out


def _group_by(rows: list[dict], key) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return out


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    return _group_by(rows, lambda r: r[key])


def summarize(rows: list[dict], resamples: int = 2000, seed: int = 0) -> dict[str, dict]:
    return {arm: summarize_arm(rs, resamples, seed) for arm, rs in _group(rows, "arm").items()}

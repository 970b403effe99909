"""The shared harness: the same questions go to every arm; every answer is scored the same way."""

from __future__ import annotations

import statistics
from typing import Iterable

from rag_vs_ft.arms.base import ArmAnswer
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.metrics import answer_metrics, cited_ids, context_precision, context_recall

QUALITY_METRICS = ("exact_match", "token_f1", "rouge_l", "string_similarity", "semantic_similarity")


def score_answers(arm: str, uses_retrieval: bool, questions: list[QAItem], answers: list[ArmAnswer],
                  semantic=None) -> list[dict]:
    """One results row per question: the question, reference, answer, retrieval, every metric, cost."""
    rows = []
    if semantic is not None:  # the same texts semantic.score embeds below (empty answers become " ")
        semantic.embeddings.warm([q.answer or " " for q in questions] + [a.answer or " " for a in answers])
    for q, a in zip(questions, answers, strict=True):
        assert q.id == a.question_id, (q.id, a.question_id)
        row = {
            "arm": arm, "question_id": q.id, "kind": q.kind, "answerable": q.answerable,
            "question": q.question, "reference": q.answer, "answer": a.answer,
            "doc_ids": list(q.doc_ids), "retrieved_ids": a.retrieved_ids, "cited_ids": cited_ids(a.answer),
            **answer_metrics(a.answer, q.answer, q.answerable, semantic),
            "latency_s": round(a.latency_s, 4), "retrieval_s": round(a.retrieval_s, 4),
            "prompt_tokens": a.prompt_tokens, "generated_tokens": a.generated_tokens,
        }
        if uses_retrieval and q.answerable:
            row["context_recall"] = context_recall(a.retrieved_ids, q.doc_ids)
            row["context_precision"] = context_precision(a.retrieved_ids, q.doc_ids)
        rows.append(row)
    return rows


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


def summarize_arm(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    lat = [r["latency_s"] for r in rows]
    out: dict = {"n": len(rows), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable)}
    for m in QUALITY_METRICS:
        out[m] = _mean(r.get(m) for r in rows)
    out["context_recall"] = _mean(r.get("context_recall") for r in answerable)
    out["context_precision"] = _mean(r.get("context_precision") for r in answerable)
    out["refusal_rate_unanswerable"] = _mean(r["refused"] for r in unanswerable)
    out["wrong_refusal_rate"] = _mean(r["refused"] for r in answerable)
    out["latency_p50_s"] = percentile(lat, 50)
    out["latency_p95_s"] = percentile(lat, 95)
    out["answers_per_s"] = len(lat) / sum(lat) if lat and sum(lat) > 0 else None
    out["prompt_tokens_mean"] = _mean(r["prompt_tokens"] for r in rows)
    out["generated_tokens_mean"] = _mean(r["generated_tokens"] for r in rows)
    out["by_kind"] = {k: {"n": len(rs), "exact_match": _mean(r["exact_match"] for r in rs),
                          "token_f1": _mean(r["token_f1"] for r in rs)}
                      for k, rs in sorted(_group(rows, "kind").items())}
    return out


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


def summarize(rows: list[dict]) -> dict[str, dict]:
    return {arm: summarize_arm(rs) for arm, rs in _group(rows, "arm").items()}

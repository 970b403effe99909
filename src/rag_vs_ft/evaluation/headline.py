"""The headline: the share of correct answers beyond what chance gives, over the kinds of answerable questions
(pure functions).

Per answerable question an answer scores x = 1 when correct and 0 otherwise; on a yes/no question a right verdict
scores 1, a wrong one 0 and no verdict (a refusal, a hedge, an echo) 0.5 — what a coin expects — so chance there is
c = 0.5, and 0 elsewhere. Each kind's score is its questions' mean of x, with the yes- and the no-questions of a
kind weighing half each (so answering every yes/no question "yes" scores exactly chance), and the headline is
Cohen's correction applied once, to the mix of kinds:

    headline = (S - C) / (1 - C),   S = sum_k w_k * score_k,   C = sum_k w_k * chance_k

with kind weights w_k summing to 1. Guessing, answering always yes or always no and refusing all score 0, a
perfect answerer 1. Why once and not per question (the old ±1 credit on yes/no): correcting every yes/no answer
doubles its spread, and the test split then needs about four times the questions to separate two arms; the
correction of the whole mix divides by (1 - C) instead, which is 1.33 when half the kinds are yes/no.

Kind weights: equal (a macro average) so that one large kind cannot outvote the rest, except that a kind with
fewer than MIN_KIND test questions weighs in proportion to its size against one of MIN_KIND: three definition
questions must not carry half the headline of a run.

Every per-question value is written so that the headline is the plain mean of the column over all test questions
(unanswerable ones hold 0: the refusal criterion judges them), and the stratum of each question (its kind, and
its verdict class on yes/no questions) is kept so that bootstrap resamples draw within strata, as the estimator
does.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from rag_vs_ft.corpus.schema import yes_no

# Spread (SD) of the per-question paired differences of the headline between two arms, pooled within strata,
# assumed before any answer exists: the median over the six candidate pairs of the default legal run (range
# 0.20-0.63, measured 2026-12-04 on a bf16 CPU; the headline before this one measured 0.83 on the same answers).
# Used only to say how small a test split is (the run's warning, `domain validate`); the report uses the spread
# it observes, through the same sentence (statistics.power_sentence).
PRIOR_PAIRED_SD = 0.547
CHANCE = 0.5  # a coin's expected score on a yes/no question
MIN_KIND = 10  # a kind with fewer test questions weighs size/MIN_KIND of a full kind
UNANSWERABLE = "unanswerable"


def stratum(kind: str, reference: str, answerable: bool) -> str:
    """Where a question is resampled: its kind, split by the reference's verdict on yes/no questions."""
    if not answerable:
        return UNANSWERABLE
    verdict = yes_no(reference)
    return f"{kind}:{verdict}" if verdict else kind


def kind_weights(counts: dict[str, int]) -> dict[str, float]:
    """w_k: equal per kind, a kind below MIN_KIND questions scaled down by size; they sum to 1."""
    raw = {k: min(1.0, n / MIN_KIND) for k, n in counts.items() if n}
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()}


def question_weights(kinds: Sequence[str], strata: Sequence[str]) -> tuple[list[float], list[float], float]:
    """(beta, chance, C): each question's weight within the whole headline (w_k times its share of its kind, the
    yes- and no-questions of a kind each holding half of the kind's yes/no share), its chance score, and the
    headline's chance level C. Unanswerable questions weigh 0."""
    in_kind = Counter(k for k, s in zip(kinds, strata, strict=True) if s != UNANSWERABLE)
    in_stratum = Counter(strata)
    yes_no_in_kind = Counter(k for k, s in zip(kinds, strata) if s not in (k, UNANSWERABLE))
    w = kind_weights(dict(in_kind))
    beta, chance = [], []
    for k, s in zip(kinds, strata):
        if s == UNANSWERABLE:
            beta.append(0.0)
            chance.append(0.0)
        elif s == k:  # a free-form question: chance cannot write the reference's fact
            beta.append(w[k] / in_kind[k])
            chance.append(0.0)
        else:  # a yes/no question: its verdict class holds half of the kind's yes/no share
            classes = sum(1 for c in ("yes", "no") if in_stratum.get(f"{k}:{c}"))
            share = yes_no_in_kind[k] / in_kind[k]
            beta.append(w[k] * share / (classes * in_stratum[s]))
            chance.append(CHANCE)
    return beta, chance, sum(b * c for b, c in zip(beta, chance))


def headline_values(scores: Sequence[float], kinds: Sequence[str], strata: Sequence[str]) -> list[float]:
    """Per-question values whose plain mean over the questions is the headline."""
    beta, chance, c_all = question_weights(kinds, strata)
    n = len(scores)
    scale = n / (1 - c_all) if c_all < 1 else 0.0
    return [scale * b * (x - c) for x, b, c in zip(scores, beta, chance, strict=True)]


def _stratum_of(r: dict) -> str:
    return r.get("stratum") or stratum(r["kind"], r.get("reference", ""), r["answerable"])


def headline_column(rows: Sequence[dict]) -> list[float]:
    """The headline's per-question values from judged rows (credit, kind, answerable, and stratum or reference),
    for any subset of questions — one kind's rows give that kind's score. x comes from the credit: on a yes/no
    question (credit 1, 0 for no verdict, -1) it is 1, 0.5 (a coin's chance) or 0; elsewhere the credit is x."""
    strata = [_stratum_of(r) for r in rows]
    scores = [(r["credit"] + 1) / 2 if s not in (r["kind"], UNANSWERABLE) else r["credit"]
              for r, s in zip(rows, strata)]
    return headline_values(scores, [r["kind"] for r in rows], strata)


def kind_score(rows: Sequence[dict]) -> float:
    """One kind's score on the headline's scale (beyond chance, yes- and no-questions half each); a kind of
    unanswerable questions scores its share of correct refusals."""
    if not any(r["answerable"] for r in rows):
        return sum(r["credit"] for r in rows) / max(1, len(rows))
    return sum(headline_column(rows)) / len(rows)

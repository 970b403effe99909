"""Which arm to deploy, and the measured reasons (pure functions over results rows and summaries)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag_vs_ft.evaluation.statistics import PairedDiff, paired_bootstrap

# Among arms the data cannot separate, the simpler one to operate wins: no training, then no index.
OPERATING_COMPLEXITY = {"prompt": 0, "rag": 1, "finetune": 2, "finetune_rag": 3}


def answer_score(row: dict) -> float:
    """Per-question headline score: mean of exact match and token F1 (a refusal is right on unanswerable ones)."""
    return (row["exact_match"] + row["token_f1"]) / 2


@dataclass
class Recommendation:
    arm: str
    ranking: list[tuple[str, float]]
    versus: dict[str, PairedDiff] = field(default_factory=dict)  # leader minus each other arm
    tied_with_leader: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def recommend(rows: list[dict], summaries: dict[str, dict], seed: int = 0) -> Recommendation:
    by_arm: dict[str, dict[str, float]] = {}
    for r in rows:
        by_arm.setdefault(r["arm"], {})[r["question_id"]] = answer_score(r)
    qids = sorted(set.intersection(*(set(v) for v in by_arm.values())))
    means = {arm: sum(s[q] for q in qids) / len(qids) for arm, s in by_arm.items()}
    ranking = sorted(means.items(), key=lambda kv: (-kv[1], OPERATING_COMPLEXITY.get(kv[0], 9)))
    leader = ranking[0][0]
    versus = {arm: paired_bootstrap([by_arm[leader][q] for q in qids], [by_arm[arm][q] for q in qids], seed=seed)
              for arm, _ in ranking[1:]}
    tied = [arm for arm, d in versus.items() if not d.significant]
    pool = [leader] + tied
    choice = min(pool, key=lambda a: (OPERATING_COMPLEXITY.get(a, 9), summaries[a]["latency_p50_s"]))
    rec = Recommendation(arm=choice, ranking=ranking, versus=versus, tied_with_leader=tied)
    s = summaries[choice]
    n = len(qids)
    if choice == leader and not tied:
        rec.reasons.append(f"{choice} has the best answer score ({means[choice]:.3f}) and beats every other arm "
                           f"by a margin whose 95% bootstrap interval excludes zero on {n} questions.")
    elif choice == leader:
        rec.reasons.append(f"{choice} has the best answer score ({means[choice]:.3f}); no significant difference "
                           f"from {', '.join(tied)} on {n} questions, and it is the simplest of them to run.")
    else:
        d = versus[choice]
        rec.reasons.append(f"{leader} scores highest ({means[leader]:.3f}) but there is no significant difference "
                           f"from {choice} ({means[choice]:.3f}; difference {d.mean_diff:+.3f}, 95% CI "
                           f"[{d.low:+.3f}, {d.high:+.3f}], {n} questions), and {choice} is simpler to run.")
    rec.reasons.append(f"{choice}: exact match {s['exact_match']:.3f}, token F1 {s['token_f1']:.3f}, "
                       f"ROUGE-L {s['rouge_l']:.3f}, p50 latency {s['latency_p50_s']:.2f}s per answer.")
    if s.get("refusal_rate_unanswerable") is not None:
        rec.reasons.append(f"{choice} refuses {s['refusal_rate_unanswerable']:.0%} of unanswerable questions and "
                           f"wrongly refuses {s['wrong_refusal_rate']:.0%} of answerable ones.")
    if s.get("context_recall") is not None:
        rec.reasons.append(f"Its retriever finds the evidence document for {s['context_recall']:.0%} of answerable questions.")
    per_kind = best_per_kind(rows)
    if len(per_kind) > 1:
        rec.reasons.append("Best arm per question kind (answer score): " + "; ".join(
            f"{kind}: {arm} ({score:.3f}, n={n})" for kind, (arm, score, n) in per_kind.items()) + ".")
    return rec


def best_per_kind(rows: list[dict]) -> dict[str, tuple[str, float, int]]:
    """For each question kind, the arm with the highest mean answer score (ties: the simpler arm)."""
    sums: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        sums.setdefault(r["kind"], {}).setdefault(r["arm"], []).append(answer_score(r))
    out = {}
    for kind in sorted(sums):
        means = {arm: sum(v) / len(v) for arm, v in sums[kind].items()}
        arm = min(means, key=lambda a: (-means[a], OPERATING_COMPLEXITY.get(a, 9)))
        out[kind] = (arm, means[arm], len(sums[kind][arm]))
    return out

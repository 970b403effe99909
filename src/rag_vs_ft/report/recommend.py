"""Which arm to deploy under a decision profile, and the measured reasons (pure functions over results rows).

The profile score of each arm is recomputed on every bootstrap resample of the questions (the same questions
for every arm), so the interval of a difference between arms covers the whole composite score. A leader is
called a winner only where that interval excludes zero; among arms the data cannot separate, the simplest to
operate is recommended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from rag_vs_ft.evaluation.harness import HEADLINE
from rag_vs_ft.evaluation.statistics import (PairedDiff, paired_bootstrap, paired_power, paired_statistic,
                                             power_sentence)
from rag_vs_ft.report.dominance import SMALL_N, CriterionDiff, dominated
from rag_vs_ft.report.profiles import Profile, arm_constants, profile_score, question_criteria

STRATUM = "stratum"  # resamples draw within strata (headline.py), coded as numbers in the columns
COLUMNS = (HEADLINE, "credit", "answer_score", "fabricated", "refused", "answerable", "fresh")


@dataclass
class Recommendation:
    arm: str | None  # None: no candidate beats the floors significantly
    profile: Profile
    n: int
    scores: dict[str, float]                       # profile score per arm
    criteria: dict[str, dict[str, float]]          # criterion values per arm
    ranking: list[tuple[str, float]]
    versus: dict[str, PairedDiff] = field(default_factory=dict)  # leader minus each other arm, profile score
    pairwise: list[dict] = field(default_factory=list)  # every pair: profile-score and answer-score differences
    tied_with_leader: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    floors: dict[str, dict[str, PairedDiff]] = field(default_factory=dict)  # candidate -> floor -> headline diff
    below_floor: list[str] = field(default_factory=list)  # candidates that do not beat every floor significantly
    dominated: dict[str, tuple[str, list[CriterionDiff]]] = field(default_factory=dict)  # arm -> (by whom, how)
    n_unanswerable: int = 0  # below SMALL_N the refusal of unanswerable questions decides nothing
    undertrained: list[str] = field(default_factory=list)  # tuned arms whose adapter saw < 1 epoch: not judged


def waits(summary: dict) -> float:
    """The median wait of one request: measured one at a time where the run did, else the batch's share."""
    return summary.get("request_p50_s", summary["latency_p50_s"])


def question_columns(rows: list[dict]) -> tuple[list[str], dict[str, dict[str, np.ndarray]]]:
    """Per-arm arrays over the questions every arm answered, in one shared order (so resamples pair up)."""
    by_arm: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_arm.setdefault(r["arm"], {})[r["question_id"]] = r
    qids = sorted(set.intersection(*(set(v) for v in by_arm.values())))
    cols = {arm: {c: np.array([float(rs[q].get(c) or 0.0) for q in qids]) for c in COLUMNS}
            for arm, rs in by_arm.items()}
    first = next(iter(by_arm.values()), {})
    labels = [first[q].get("stratum", "") for q in qids]  # the same for every arm: kind, verdict, answerable
    codes = {s: i for i, s in enumerate(sorted(set(labels)))}
    for arm_cols in cols.values():
        arm_cols[STRATUM] = np.array([codes[s] for s in labels], dtype=float)
    return qids, cols


def _one_row(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v[None, :] for k, v in cols.items()}


def _scorer(profile: Profile, constants: dict[str, float], unanswerable_counts: bool = True):
    def stat(cols: dict[str, np.ndarray]) -> np.ndarray:
        return profile_score({**question_criteria(cols, unanswerable_counts), **constants}, profile.weights)
    return stat


def recommend(rows: list[dict], summaries: dict[str, dict], profile: Profile, setup_usd: dict[str, float],
              usd_per_answer: dict[str, float], seed: int = 0, resamples: int = 2000,
              arms: dict[str, dict] | None = None, undertrained: list[str] = ()) -> Recommendation:
    """Rank the candidate arms (`arms`: run.json's description of every arm; all rows are candidates when it is
    missing) by profile score. Only a candidate that beats every floor significantly on the headline can be
    recommended; an arm another one dominates is out, and so is an `undertrained` one (a fine-tune that did not
    finish one epoch is a straw man, not the approach); among the rest, those the data cannot separate from the
    leader go to the simplest to run."""
    arms = arms or {a: {"role": "candidate", "complexity": 0} for a in {r["arm"] for r in rows}}
    qids, cols = question_columns(rows)
    cands = [a for a in cols if arms.get(a, {}).get("role") == "candidate"]
    floor_names = [a for a in cols if arms.get(a, {}).get("role") == "floor"]
    complexity = {a: arms[a].get("complexity", 0) for a in cands}
    n_unans = int((1 - next(iter(cols.values()))["answerable"]).sum()) if cols else 0
    counts = n_unans >= SMALL_N
    consts = arm_constants({a: waits(summaries[a]) for a in cands}, setup_usd, usd_per_answer, profile.queries)
    criteria = {a: {**{k: float(v[0]) for k, v in question_criteria(_one_row(cols[a]), counts).items()},
                    **consts[a]} for a in cands}
    scores = {a: float(_scorer(profile, consts[a], counts)(_one_row(cols[a]))[0]) for a in cands}
    ranking = sorted(scores.items(), key=lambda kv: (-kv[1], complexity[kv[0]]))
    strata = next(iter(cols.values()))[STRATUM] if cols else None
    floors = {c: {f: paired_bootstrap(cols[c][HEADLINE], cols[f][HEADLINE], resamples, seed, strata=strata)
                  for f in floor_names} for c in cands}
    below = [c for c in cands if not all(d.low > 0 for d in floors[c].values())]
    unjudged = [a for a in cands if a in set(undertrained)]
    beaten = dominated([a for a, _ in ranking if a not in below and a not in unjudged], cols, resamples, seed)
    eligible = [a for a, _ in ranking if a not in below and a not in beaten and a not in unjudged]

    def diff(a: str, b: str) -> PairedDiff:
        return paired_statistic(_scorer(profile, consts[a], counts), cols[a], _scorer(profile, consts[b], counts),
                                cols[b], resamples, seed, strata=strata)

    pairwise = [{"a": a, "b": b, "profile": diff(a, b),
                 "headline": paired_bootstrap(cols[a][HEADLINE], cols[b][HEADLINE], resamples, seed, strata=strata),
                 "power": paired_power(cols[a][HEADLINE], cols[b][HEADLINE], strata)}
                for a, b in combinations([arm for arm, _ in ranking], 2)]
    leader = eligible[0] if eligible else None
    versus = {arm: diff(leader, arm) for arm in eligible[1:]} if leader else {}
    tied = [arm for arm, d in versus.items() if not d.significant]
    choice = (min([leader] + tied, key=lambda a: (complexity[a], waits(summaries[a]))) if leader
              else None)
    rec = Recommendation(arm=choice, profile=profile, n=len(qids), scores=scores, criteria=criteria,
                         ranking=ranking, versus=versus, pairwise=pairwise, tied_with_leader=tied, floors=floors,
                         below_floor=below, dominated=beaten, n_unanswerable=n_unans, undertrained=unjudged)
    rec.reasons = reasons(rec, summaries, leader, arms) if choice else no_winner(rec, summaries)
    if choice:
        extra = [f"Not ranked: {', '.join(below)} — no significant lead over every trivial answerer "
                 f"({', '.join(floor_names)}) on {rec.n} questions."] if below else []
        extra += [dominance_sentence(b, a, diffs) for b, (a, diffs) in beaten.items()]
        rec.reasons[1:1] = extra
    if unjudged:
        rec.reasons.insert(1 if choice else len(rec.reasons), f"Not judged: {', '.join(unjudged)} — the fine-tune "
                           "stopped before one full epoch (undertrained), so this run cannot judge "
                           f"{'these approaches' if len(unjudged) > 1 else 'that approach'}; raise "
                           "finetune.max_steps (or set it to null) to train a full epoch.")
    if 0 < n_unans < SMALL_N:
        rec.reasons.append(f"Only {n_unans} unanswerable test question(s): refusing them is shown with its n and "
                           f"interval but decides nothing here (fewer than {SMALL_N}).")
    return rec


def dominance_sentence(loser: str, winner: str, diffs: list[CriterionDiff]) -> str:
    better = "; ".join(f"{d.name} {d.diff.mean_diff:+.3f} [{d.diff.low:+.3f}, {d.diff.high:+.3f}]"
                       for d in diffs if d.better)
    return (f"{winner} dominates {loser}: significantly better on {better} (n={diffs[0].diff.n}), and significantly "
            "worse on nothing, so simplicity cannot bring it back.")


def no_winner(rec: Recommendation, summaries: dict[str, dict]) -> list[str]:
    """Plain words when no approach beats a trivial answerer, with the numbers behind it."""
    judged = [a for a in rec.scores if a not in rec.undertrained]
    best = max(judged, key=lambda a: summaries[a][HEADLINE]) if judged else None
    out = [f"No approach beats a trivial answerer on this corpus with this model: on {rec.n} questions no "
           "candidate's share of correct answers is significantly above every floor's."]
    if best:
        worst_gap = min(rec.floors[best].items(), key=lambda kv: kv[1].mean_diff, default=None)
        if worst_gap:
            f, d = worst_gap
            out.append(f"Closest: {best} ({summaries[best][HEADLINE]:.3f}) against the floor {f} "
                       f"({summaries[f][HEADLINE]:.3f}): difference {d.mean_diff:+.3f}, 95% CI "
                       f"[{d.low:+.3f}, {d.high:+.3f}].")
    out.append("Try a larger model (`model.name=...`), a larger test split (more questions) or better retrieval "
               "settings before choosing an approach; see the floors and the oracle ceiling below.")
    if note := too_small_note(rec.pairwise, rec.n):
        out.append(note)
    return out


def _ci(summary: dict, key: str, pct: bool = False) -> str:
    v, ci = summary.get(key), summary.get("ci", {}).get(key)
    if v is None:
        return "–"
    f = (lambda x: f"{x:.0%}") if pct else (lambda x: f"{x:.3f}")
    return f"{f(v)} (95% CI {f(ci[0])}–{f(ci[1])})" if ci else f(v)


def reasons(rec: Recommendation, summaries: dict[str, dict], leader: str, arms: dict[str, dict]) -> list[str]:
    """Plain sentences, each with the numbers behind it (`arms`: the arms' specs, as in run.json)."""
    choice, n, p = rec.arm, rec.n, rec.profile
    out = []
    if choice == leader and not rec.versus:
        out.append(f"Under the `{p.name}` profile {choice} scores {rec.scores[choice]:.3f} and is the only candidate "
                   "that beats every floor and is dominated by no other arm.")
    elif choice == leader and not rec.tied_with_leader:
        out.append(f"Under the `{p.name}` profile {choice} scores {rec.scores[choice]:.3f}, ahead of every other arm "
                   f"by a margin whose 95% bootstrap interval excludes zero on {n} questions.")
    elif choice == leader:
        out.append(f"Under the `{p.name}` profile {choice} scores highest ({rec.scores[choice]:.3f}), but there is no "
                   f"significant difference from {', '.join(rec.tied_with_leader)} on {n} questions; {choice} is the "
                   "simplest of them to run.")
    else:
        d = rec.versus[choice]
        out.append(f"Under the `{p.name}` profile {leader} scores highest ({rec.scores[leader]:.3f}), but the data "
                   f"cannot separate it from {choice} ({rec.scores[choice]:.3f}; difference {d.mean_diff:+.3f}, 95% CI "
                   f"[{d.low:+.3f}, {d.high:+.3f}] on {n} questions), and {choice} is simpler to run.")
    close = [p["b"] if p["a"] == choice else p["a"] for p in rec.pairwise  # among the arms that beat the floors
             if choice in (p["a"], p["b"]) and not p["headline"].significant
             and not {p["a"], p["b"]} & set(rec.below_floor)]
    if close:  # a profile lead can rest on latency or cost alone: say so
        out.append(f"On correct answers alone the data cannot separate {choice} from {', '.join(close)} on {n} "
                   "questions; the profile's other criteria decide.")
    if note := too_small_note(rec.pairwise, n):
        out.append(note)
    s = summaries[choice]
    out.append(f"{choice}: correct answers (headline) {_ci(s, HEADLINE)}, raw share correct {_ci(s, 'correct', True)}, "
               f"p50 latency {waits(s):.2f} s per {'request (one at a time)' if 'request_p50_s' in s else 'answer'}.")
    if s.get("refusal_rate_unanswerable") is not None:
        out.append(f"{choice} refuses {_ci(s, 'refusal_rate_unanswerable', True)} of unanswerable questions, wrongly "
                   f"refuses {_ci(s, 'wrong_refusal_rate', True)} of answerable ones and fabricates in "
                   f"{_ci(s, 'fabrication_rate', True)} of answers.")
    worst = max(summaries, key=lambda a: summaries[a].get("fabrication_rate") or 0)
    if worst != choice and (summaries[worst].get("fabrication_rate") or 0) > (s.get("fabrication_rate") or 0):
        out.append(f"Most fabrication: {worst}, {_ci(summaries[worst], 'fabrication_rate', True)} of answers.")
    if s.get("context_recall") is not None:
        out.append(f"Its retriever finds the evidence document for {s['context_recall']:.0%} of answerable questions.")
    fresh = {a: c["freshness"] for a, c in rec.criteria.items() if not np.isnan(c["freshness"])}
    if fresh:
        best = max(fresh, key=fresh.get)
        closed = [a for a in fresh if arms.get(a, {}).get("tuned") and not arms.get(a, {}).get("uses_retrieval")]
        line = (f"On questions about documents added after training, {best} scores best "
                f"({fresh[best]:.3f})")
        for a in (a for a in closed if a != best):  # a fine-tune without retrieval never saw those documents
            line += f"; {a}, a fine-tune that never saw them, scores {fresh[a]:.3f}"
        out.append(line + ".")
    return out


def candidate_sd(pairwise: list[dict]) -> tuple[float, float, float] | None:
    """(median, min, max) paired SD of the headline over the pairs of candidate arms (`pairwise` holds only those)."""
    sds = sorted(p["power"].sd for p in pairwise)
    return (float(np.median(sds)), sds[0], sds[-1]) if sds else None


def power_line(pairwise: list[dict], n: int) -> str | None:
    """The power statement of the run's warning, with the paired SD observed here (median over candidate pairs)."""
    spread = candidate_sd(pairwise)
    if not spread:
        return None
    median, low, high = spread
    return power_sentence(n, median, f"the median over the {len(pairwise)} pairs of candidate arms here, "
                                     f"range {low:.2f}–{high:.2f}")


def too_small_note(pairwise: list[dict], n: int) -> str | None:
    """One sentence when the test split cannot separate some arms on the headline: the power statement of the
    run's warning with the paired SD observed here (the median over the pairs of candidate arms), and how many
    questions the closest unresolved pair would need."""
    unresolved = [p for p in pairwise if not p["headline"].significant]
    if not unresolved:
        return None
    closest = min(unresolved, key=lambda p: p["power"].needed)
    need = closest["power"].needed
    grow = f"about {need:,} test questions ({need / max(1, n):.1f}× this split)" if need < 10**6 else \
        "more questions than any test split holds (the arms score alike)"
    return (f"The test split is too small to separate {len(unresolved)} of {len(pairwise)} pairs of arms on correct "
            f"answers: {power_line(pairwise, n)}. The closest unresolved pair, "
            f"{closest['a']} − {closest['b']} ({closest['headline'].mean_diff:+.3f}), would need {grow}.")

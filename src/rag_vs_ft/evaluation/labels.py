"""The automatic correctness decision checked against a user's own labels (pure functions).

`rag-vs-ft label` shows a sample stratified by (arm, decision): every arm and both decisions appear even when an
arm is almost always wrong. Because the sample over-represents the rare strata, every estimate here weighs a
labelled answer by the share of the run's answers its stratum stands for (its stratum's size over the labels in
it): the agreement is that of the run's answers, not of the sample, and an arm's share correct is re-estimated as
Σ_d P(decision d) · P(user says correct | decision d) within the arm. Intervals: bootstrap over the labelled
answers, resampled within strata.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

Key = tuple[str, str]  # (arm, question id)

KAPPA_WARNING = 0.6  # below this the decision and the user disagree too much to read its scores unchecked


def label_sample(rows: list[dict], n: int = 60, seed: int = 0) -> list[Key]:
    """Up to n answers to label: one stratum (arm, decision) after another in turn, each stratum in a seeded
    random order, then shuffled so consecutive answers do not come from one arm."""
    strata: dict[tuple[str, bool], list[Key]] = {}
    for r in rows:
        strata.setdefault((r["arm"], bool(r["correct"])), []).append((r["arm"], r["question_id"]))
    rng = random.Random(seed)
    for keys in strata.values():
        rng.shuffle(keys)
    order, out = sorted(strata), []
    while len(out) < n and any(strata.values()):
        for stratum in order:
            if strata[stratum] and len(out) < n:
                out.append(strata[stratum].pop())
    rng.shuffle(out)
    return out


@dataclass(frozen=True)
class Labelled:
    arm: str
    decision: bool  # the automatic decision: correct?
    label: bool     # the user's
    weight: float   # answers of the run this label stands for


def labelled_answers(rows: list[dict], labels: dict[Key, bool]) -> list[Labelled]:
    """The labelled answers among `rows`, each weighed by its stratum's size over the labels in it."""
    size: dict[tuple[str, bool], int] = {}
    for r in rows:
        size[(r["arm"], bool(r["correct"]))] = size.get((r["arm"], bool(r["correct"])), 0) + 1
    decision = {(r["arm"], r["question_id"]): bool(r["correct"]) for r in rows}
    keys = [k for k in labels if k in decision]
    count: dict[tuple[str, bool], int] = {}
    for k in keys:
        count[(k[0], decision[k])] = count.get((k[0], decision[k]), 0) + 1
    return [Labelled(k[0], decision[k], bool(labels[k]), size[(k[0], decision[k])] / count[(k[0], decision[k])])
            for k in keys]


def weighted_agreement(items: list[Labelled]) -> dict | None:
    """Balanced accuracy and Cohen's kappa of the weighted (decision, label) confusion matrix; None when the
    labels hold one class only."""
    w = np.array([i.weight for i in items], dtype=float)
    d = np.array([i.decision for i in items], dtype=bool)
    lab = np.array([i.label for i in items], dtype=bool)
    total, pos = w.sum(), w[lab].sum()
    if not len(items) or pos in (0.0, total):
        return None
    tp, tn = w[d & lab].sum(), w[~d & ~lab].sum()
    observed = (tp + tn) / total
    p_dec, p_lab = w[d].sum() / total, pos / total
    chance = p_dec * p_lab + (1 - p_dec) * (1 - p_lab)
    kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
    return {"balanced_accuracy": float((tp / pos + tn / (total - pos)) / 2), "kappa": float(kappa)}


def share_from_labels(items: list[Labelled], arm: str, auto_share: float) -> float | None:
    """The arm's share correct by the user's judgement: the decision's share on all its answers, corrected by how
    often the user agrees within each decision (from the arm's own labels; None when a decision the arm made has
    no label)."""
    estimate = 0.0
    for decision, p in ((True, auto_share), (False, 1 - auto_share)):
        labs = [i.label for i in items if i.arm == arm and i.decision == decision]
        if p > 0 and not labs:
            return None
        estimate += p * (sum(labs) / len(labs) if labs else 0.0)
    return estimate


def _interval(stats: list[float]) -> tuple[float, float] | None:
    return (float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5))) if stats else None


def label_agreement(rows: list[dict], labels: dict[Key, bool], resamples: int = 2000, seed: int = 0) -> dict | None:
    """The decision against the user's labels: weighted balanced accuracy and kappa with bootstrap intervals, and
    per arm its share correct by the decision and re-estimated from the labels. None without usable labels."""
    items = labelled_answers(rows, labels)
    point = weighted_agreement(items)
    if point is None:
        return None
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    auto = {a: float(np.mean([bool(r["correct"]) for r in rows if r["arm"] == a])) for a in arms}
    strata: dict[tuple[str, bool], list[Labelled]] = {}
    for i in items:
        strata.setdefault((i.arm, i.decision), []).append(i)
    rng = np.random.default_rng(seed)
    kappas, balanced, shares = [], [], {a: [] for a in arms}
    for _ in range(resamples):
        sample = [group[j] for group in strata.values() for j in rng.integers(0, len(group), len(group))]
        agree = weighted_agreement(sample)
        if agree:
            kappas.append(agree["kappa"])
            balanced.append(agree["balanced_accuracy"])
        for a in arms:
            s = share_from_labels(sample, a, auto[a])
            if s is not None:
                shares[a].append(s)
    per_arm = []
    for a in arms:
        mine = [i for i in items if i.arm == a]
        per_arm.append({"arm": a, "labelled": len(mine), "auto_share": auto[a],
                        "label_share": share_from_labels(items, a, auto[a]), "label_ci": _interval(shares[a]),
                        "disagreements": sum(i.decision != i.label for i in mine)})
    return {**point, "n": len(items), "kappa_ci": _interval(kappas), "balanced_accuracy_ci": _interval(balanced),
            "disagreements": sum(i.decision != i.label for i in items), "arms": per_arm,
            "warning": point["kappa"] < KAPPA_WARNING}

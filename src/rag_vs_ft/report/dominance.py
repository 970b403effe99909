"""Dominance before simplicity (pure functions over per-question columns).

An arm that is significantly better than another on some criterion and significantly worse on none beats it,
whatever the composite profile score says: a team would not ship the arm that fabricates in 70 % of its
answers because the headline cannot separate it from one that fabricates in 26 %. A criterion measured on
fewer than SMALL_N questions (one unanswerable question, say) is shown with its n and interval but never
counts as significant here: a handful of questions cannot by itself decide the recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag_vs_ft.evaluation.correctness import HEADLINE
from rag_vs_ft.evaluation.statistics import PairedDiff, paired_bootstrap

SMALL_N = 10  # fewer questions than this: shown, never decisive


@dataclass(frozen=True)
class CriterionDiff:
    name: str
    diff: PairedDiff  # a minus b, higher is better for a
    decisive: bool    # measured on at least SMALL_N questions

    @property
    def better(self) -> bool:
        return self.decisive and self.diff.significant and self.diff.mean_diff > 0

    @property
    def worse(self) -> bool:
        return self.decisive and self.diff.significant and self.diff.mean_diff < 0


def _criteria(cols: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """criterion -> (per-question values with higher better, mask of the questions it is measured on)."""
    answerable = cols["answerable"].astype(bool)
    return {
        "correct answers": (cols[HEADLINE], np.ones_like(answerable)),
        "no fabrication": (1 - cols["fabricated"], np.ones_like(answerable)),
        "refusing unanswerable questions": (cols["refused"], ~answerable),
    }


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray], resamples: int = 2000,
            seed: int = 0) -> list[CriterionDiff]:
    """Per-criterion paired differences a - b over the questions each criterion is measured on."""
    out = []
    crit_b = _criteria(b)
    for name, (values, mask) in _criteria(a).items():
        if not mask.any():
            continue
        strata = a["stratum"][mask] if "stratum" in a else None
        d = paired_bootstrap(values[mask], crit_b[name][0][mask], resamples, seed, strata=strata)
        out.append(CriterionDiff(name, d, decisive=int(mask.sum()) >= SMALL_N))
    return out


def dominates(diffs: list[CriterionDiff]) -> bool:
    return any(d.better for d in diffs) and not any(d.worse for d in diffs)


def dominated(arms: list[str], cols: dict[str, dict[str, np.ndarray]], resamples: int = 2000,
              seed: int = 0) -> dict[str, tuple[str, list[CriterionDiff]]]:
    """Each arm dominated by another of `arms` -> (the first arm that dominates it, the comparison)."""
    out: dict[str, tuple[str, list[CriterionDiff]]] = {}
    for b in arms:
        for a in arms:
            if a != b and b not in out and dominates(diffs := compare(cols[a], cols[b], resamples, seed)):
                out[b] = (a, diffs)
    return out

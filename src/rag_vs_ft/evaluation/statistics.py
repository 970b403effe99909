"""Uncertainty of a comparison measured on a finite question set (pure functions)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class PairedDiff:
    mean_diff: float  # mean of a - b over the same questions
    low: float        # 95 % bootstrap interval
    high: float
    n: int

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_bootstrap(a: Sequence[float], b: Sequence[float], resamples: int = 2000, seed: int = 0,
                     confidence: float = 0.95) -> PairedDiff:
    """Percentile bootstrap over questions of the mean per-question difference a - b."""
    if len(a) != len(b) or not a:
        raise ValueError("paired_bootstrap needs two equally long, non-empty score lists")
    diffs = [x - y for x, y in zip(a, b)]
    n = len(diffs)
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    lo = means[int(tail * (resamples - 1))]
    hi = means[int(round((1 - tail) * (resamples - 1)))]
    return PairedDiff(mean_diff=sum(diffs) / n, low=lo, high=hi, n=n)

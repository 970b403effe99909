"""Uncertainty of a comparison measured on a finite question set (pure functions).

Every interval is a percentile bootstrap over questions. Comparisons between arms are paired: each resample
draws the same questions for both arms, so question difficulty cancels out of the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class PairedDiff:
    mean_diff: float  # statistic(a) - statistic(b) on the same questions
    low: float        # 95 % bootstrap interval of that difference
    high: float
    n: int

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def resample_indices(n: int, resamples: int, seed: int, strata: Sequence | None = None) -> np.ndarray:
    """(resamples, n) question indices drawn with replacement; shared by every arm for pairing. With `strata`
    (one label per question) each stratum keeps its size and is drawn from itself: the headline weighs kinds
    and verdict classes by their counts in the test split, so its resamples must keep those counts."""
    rng = np.random.default_rng(seed)
    if strata is None:
        return rng.integers(0, n, size=(resamples, n))
    labels = np.asarray(strata)
    out = np.empty((resamples, n), dtype=np.int64)
    for label in sorted(set(labels.tolist())):
        pos = np.flatnonzero(labels == label)
        out[:, pos] = pos[rng.integers(0, pos.size, size=(resamples, pos.size))]
    return out


def _bounds(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.nanpercentile(stats, [tail, 100 - tail])
    return float(lo), float(hi)


def mean_of_rows(m: np.ndarray) -> np.ndarray:
    return m.mean(axis=1)


def bootstrap_ci(values: Sequence[float | None], resamples: int = 2000, seed: int = 0,
                 confidence: float = CONFIDENCE,
                 statistic: Callable[[np.ndarray], np.ndarray] = mean_of_rows,
                 strata: Sequence | None = None) -> Interval | None:
    """A statistic (default: the mean) of one metric over questions, with its bootstrap interval.
    None values (metric undefined for that question) are left out; `statistic` maps (rows, n) -> (rows,)."""
    keep = [i for i, v in enumerate(values) if v is not None]
    xs = np.array([values[i] for i in keep], dtype=float)
    if xs.size == 0:
        return None
    labels = None if strata is None else [strata[i] for i in keep]
    stats = statistic(xs[resample_indices(xs.size, resamples, seed, labels)])
    return Interval(float(statistic(xs[None, :])[0]), *_bounds(stats, confidence), n=int(xs.size))


def paired_bootstrap(a: Sequence[float], b: Sequence[float], resamples: int = 2000, seed: int = 0,
                     confidence: float = CONFIDENCE, strata: Sequence | None = None) -> PairedDiff:
    """Bootstrap interval of mean(a) - mean(b) where a[i] and b[i] score the same question (drawn within
    `strata` when given)."""
    if len(a) != len(b) or not len(a):
        raise ValueError("paired_bootstrap needs two equally long, non-empty score lists")
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    means = diffs[resample_indices(diffs.size, resamples, seed, strata)].mean(axis=1)
    return PairedDiff(float(diffs.mean()), *_bounds(means, confidence), n=int(diffs.size))


Stat = Callable[[dict[str, np.ndarray]], np.ndarray]


def paired_statistic(stat_a: Stat, a: dict[str, np.ndarray], stat_b: Stat, b: dict[str, np.ndarray],
                     resamples: int = 2000, seed: int = 0, confidence: float = CONFIDENCE,
                     strata: Sequence | None = None) -> PairedDiff:
    """Bootstrap interval of stat_a(a) - stat_b(b) for any statistic of per-question columns.

    `a` and `b` map column names to arrays over the same questions; a statistic receives a dict of
    (resamples, n) arrays and returns one value per row. This is how a composite score such as a decision
    profile gets an honest interval: the whole score is recomputed on every resample, with the same questions
    drawn for both sides.
    """
    n = len(next(iter(a.values())))
    idx = resample_indices(n, resamples, seed, strata)

    def rows(cols: dict[str, np.ndarray], pick) -> dict[str, np.ndarray]:
        return {k: v[pick] for k, v in cols.items()}

    point = float(stat_a(rows(a, np.arange(n)[None, :]))[0] - stat_b(rows(b, np.arange(n)[None, :]))[0])
    diffs = stat_a(rows(a, idx)) - stat_b(rows(b, idx))
    return PairedDiff(point, *_bounds(diffs, confidence), n=n)


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation, min and max of a few repeated measurements (e.g. one per seed)."""
    xs = np.asarray(values, dtype=float)
    return {"mean": float(xs.mean()), "sd": float(xs.std(ddof=1)) if xs.size > 1 else 0.0,
            "min": float(xs.min()), "max": float(xs.max()), "n": int(xs.size)}


# Normal quantiles for a two-sided 5 % test with 80 % power: the usual planning values for a paired comparison.
_Z_ALPHA, _Z_POWER = 1.959964, 0.841621


def detectable_difference(sd: float, n: int) -> float:
    """Smallest mean paired difference that n questions detect with 80 % power at the 5 % level, given the
    standard deviation of the per-question differences (normal approximation)."""
    return float("inf") if n < 1 else (_Z_ALPHA + _Z_POWER) * sd / np.sqrt(n)


def required_questions(sd: float, difference: float) -> int:
    """Questions a paired comparison needs to detect `difference` with 80 % power at the 5 % level."""
    if difference == 0:
        return 10**9
    return int(np.ceil(((_Z_ALPHA + _Z_POWER) * sd / abs(difference)) ** 2))


@dataclass(frozen=True)
class Power:
    """How far a paired comparison is from resolving a difference: the spread of the per-question differences,
    the smallest difference these n questions detect, and the questions needed for the observed one."""

    sd: float
    n: int
    detectable: float
    needed: int  # questions to detect the observed mean difference (80 % power, 5 % level)


def paired_sd(diffs: Sequence[float], strata: Sequence | None = None) -> float:
    """The spread that sets a paired comparison's power: the SD of the per-question differences, pooled within
    strata when the estimator keeps their sizes (sd**2 * n is then n times the variance of the mean difference,
    as for an unstratified mean)."""
    d = np.asarray(diffs, dtype=float)
    if d.size < 2:
        return 0.0
    if strata is None:
        return float(d.std(ddof=1))
    labels = np.asarray(strata)
    groups = [d[labels == s] for s in set(labels.tolist())]
    within = sum(float(((g - g.mean()) ** 2).sum()) for g in groups)
    return float(np.sqrt(within / max(1, d.size - len(groups))))


def paired_power(a: Sequence[float], b: Sequence[float], strata: Sequence | None = None) -> Power:
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    sd = paired_sd(diffs, strata)
    return Power(sd, int(diffs.size), detectable_difference(sd, diffs.size),
                 required_questions(sd, float(diffs.mean())) if sd > 0 else int(diffs.size))


TARGET_DIFFERENCE = 0.10  # a difference in the headline a team would act on


def power_sentence(n: int, sd: float, where: str, target: float = TARGET_DIFFERENCE) -> str:
    """The one statement of a test split's power, used by the run's warning, `domain validate` and the report:
    the smallest headline difference n questions detect, and the questions that separating arms `target` apart
    needs. `where` says where the paired SD comes from."""
    need = required_questions(sd, target)
    more = f" ({need - n:,} more)" if need > n else ""
    return (f"with {n} test questions a paired comparison detects differences in the headline of about "
            f"{detectable_difference(sd, n):.2f} or more (80 % power, 5 % level; paired SD {sd:.2f}, {where}); "
            f"separating arms {target:.2f} apart needs about {need:,} test questions{more}")

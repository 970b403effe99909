"""Decision profiles: what a team cares about, as weights over criteria every arm is measured on.

A profile lives in `evals/profiles/NAME.yaml`. Every criterion is scaled to 0..1 (higher is better):

- quality       the headline: share of correct answers to answerable questions, chance-corrected on yes/no
                questions, macro-averaged over question kinds (evaluation/correctness.py)
- groundedness  1 - fabrication rate (answers backed by neither the reference nor any evidence document)
- refusal       balanced refusal accuracy: refusing unanswerable questions and answering answerable ones
- freshness     mean chance-corrected credit on questions about documents added after training
- latency       fastest arm's p50 latency / this arm's
- cost          cheapest arm's cost / this arm's, cost = one-off setup (training, indexing) + `queries` answers
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rag_vs_ft.evaluation.correctness import HEADLINE

CRITERIA = ("quality", "groundedness", "refusal", "freshness", "latency", "cost")
_REPO_PROFILES = Path(__file__).resolve().parents[3] / "evals" / "profiles"


class ProfileError(ValueError):
    """A profile that cannot be found or read; the message is one line."""


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quality: float = Field(0.0, ge=0)
    groundedness: float = Field(0.0, ge=0)
    refusal: float = Field(0.0, ge=0)
    freshness: float = Field(0.0, ge=0)
    latency: float = Field(0.0, ge=0)
    cost: float = Field(0.0, ge=0)


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    description: str
    weights: Weights
    queries: int = Field(100_000, ge=1, description="answers served over the deployment, to weigh setup cost")

    @model_validator(mode="after")
    def _some_weight(self) -> "Profile":
        if sum(self.weights.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return self


def list_profiles(root: Path = _REPO_PROFILES) -> list[str]:
    return sorted(p.stem for p in root.glob("*.yaml"))


def load_profile(name_or_path: str, root: Path = _REPO_PROFILES) -> Profile:
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = root / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ProfileError(f"unknown profile {name_or_path!r}; shipped profiles: {', '.join(list_profiles(root))}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
        return Profile.model_validate({"name": path.stem, **data})
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "profile"
        raise ProfileError(f"{path}: {where}: {err['msg']}") from None


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row-wise mean of values where mask is 1; NaN for a row with no such entry."""
    count = mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (values * mask).sum(axis=-1) / np.maximum(count, 1), np.nan)


def question_criteria(cols: dict[str, np.ndarray], unanswerable_counts: bool = True) -> dict[str, np.ndarray]:
    """Per-question criteria from an arm's per-question columns; works row-wise on (resamples, n) arrays.
    Columns: headline, credit, fabricated, refused, answerable, fresh (0/1 floats but the first two).
    `unanswerable_counts=False` (too few unanswerable questions to decide anything) leaves refusing them out of
    the refusal criterion, which then only rewards answering the answerable questions."""
    answerable, refused = cols["answerable"], cols["refused"]
    unans = (1 - answerable) if unanswerable_counts else np.zeros_like(answerable)
    refusal_parts = np.stack([_masked_mean(refused, unans), _masked_mean(1 - refused, answerable)])
    with warnings.catch_warnings():  # a resample without unanswerable questions: use the answerable half alone
        warnings.simplefilter("ignore", RuntimeWarning)
        refusal = np.nanmean(refusal_parts, axis=0)
    return {
        "quality": cols[HEADLINE].mean(axis=-1),
        "groundedness": 1 - cols["fabricated"].mean(axis=-1),
        "refusal": refusal,
        "freshness": _masked_mean(cols["credit"], cols["fresh"]),
    }


def arm_constants(latency_p50: dict[str, float], setup_usd: dict[str, float], usd_per_answer: dict[str, float],
                  queries: int) -> dict[str, dict[str, float]]:
    """Latency and cost criteria, relative to the best arm (they do not vary with the question sample)."""
    fastest = min(latency_p50.values())
    total = {a: setup_usd[a] + usd_per_answer[a] * queries for a in latency_p50}
    cheapest = min(total.values())
    return {a: {"latency": fastest / latency_p50[a] if latency_p50[a] > 0 else 1.0,
                "cost": cheapest / total[a] if total[a] > 0 else 1.0} for a in latency_p50}


def profile_score(criteria: dict[str, np.ndarray | float], weights: Weights) -> np.ndarray:
    """Weighted mean of the criteria; a criterion that is undefined (NaN, e.g. no fresh questions) drops out."""
    w = weights.model_dump()
    shape = np.shape(criteria["quality"])
    num, den = np.zeros(shape), np.zeros(shape)
    for name in CRITERIA:
        if w[name] <= 0:
            continue
        value = np.broadcast_to(np.asarray(criteria[name], dtype=float), shape)
        defined = ~np.isnan(value)
        num += np.where(defined, w[name] * np.nan_to_num(value), 0.0)
        den += np.where(defined, w[name], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)

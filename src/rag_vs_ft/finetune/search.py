"""Hyper-parameters chosen on dev: a small grid over learning rate and LoRA rank, each trial trained on a short
budget and judged by its best dev loss; the best is then refit on the full budget (`finetune.search`).

Only train and dev questions reach a trial, so no test question influences the choice. Off by default on CPU,
where each trial costs minutes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import product
from typing import Callable

from rag_vs_ft.config import FinetuneConfig


@dataclass(frozen=True)
class Trial:
    learning_rate: float
    lora_r: int
    dev_loss: float | None  # best dev loss within the trial's budget (None: no dev questions)
    steps: int
    seconds: float


def best_trial(trials: list[Trial]) -> Trial:
    """Lowest dev loss; ties go to the smaller rank, then the lower learning rate (the cheaper, safer setting)."""
    scored = [t for t in trials if t.dev_loss is not None]
    if not scored:
        raise ValueError("no trial has a dev loss: the search needs dev questions")
    return min(scored, key=lambda t: (round(t.dev_loss, 4), t.lora_r, t.learning_rate))


def search(cfg: FinetuneConfig, train: Callable[[FinetuneConfig], object]) -> tuple[FinetuneConfig, list[Trial]]:
    """Run every (learning rate, rank) of the grid with `train(trial_cfg)` (which returns a TrainResult-like
    object) on `cfg.search_steps` steps; return the full-budget config with the best values, and the trials."""
    trials = []
    for lr, r in product(cfg.search_learning_rates, cfg.search_ranks):
        trial_cfg = cfg.model_copy(update={"learning_rate": lr, "lora_r": r, "lora_alpha": 2 * r,
                                           "max_steps": cfg.search_steps,
                                           "eval_every": max(1, cfg.search_steps // 2)})
        res = train(trial_cfg)
        trials.append(Trial(lr, r, res.best_dev_loss, res.steps, res.seconds))
    best = best_trial(trials)
    return cfg.model_copy(update={"learning_rate": best.learning_rate, "lora_r": best.lora_r,
                                  "lora_alpha": 2 * best.lora_r}), trials


def trials_table(trials: list[Trial]) -> list[dict]:
    return [asdict(t) for t in trials]

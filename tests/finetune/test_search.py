"""The hyper-parameter search picks the best trial on a toy objective and refits with it."""

from types import SimpleNamespace

import pytest

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.finetune.search import Trial, best_trial, search


def test_search_picks_the_lowest_dev_loss_and_refits_at_full_budget():
    cfg = FinetuneConfig(search=True, search_learning_rates=[1e-4, 3e-4, 1e-3], search_ranks=[4, 8],
                         search_steps=6, max_steps=50)
    seen = []

    def train(trial_cfg):  # a bowl with its minimum at lr 3e-4, rank 8
        seen.append((trial_cfg.learning_rate, trial_cfg.lora_r, trial_cfg.max_steps))
        loss = (trial_cfg.learning_rate * 1e4 - 3) ** 2 + (trial_cfg.lora_r - 8) ** 2 / 10 + 1.0
        return SimpleNamespace(best_dev_loss=loss, steps=trial_cfg.max_steps, seconds=0.1)

    best_cfg, trials = search(cfg, train)
    assert len(trials) == 6 and all(steps == 6 for _, _, steps in seen)  # every trial on the short budget
    assert (best_cfg.learning_rate, best_cfg.lora_r, best_cfg.lora_alpha) == (3e-4, 8, 16)
    assert best_cfg.max_steps == 50  # the refit keeps the full budget


def test_ties_go_to_the_smaller_rank_and_no_dev_loss_is_an_error():
    t = [Trial(2e-4, 16, 1.00001, 5, 1.0), Trial(2e-4, 8, 1.0, 5, 1.0), Trial(1e-4, 8, 1.2, 5, 1.0)]
    assert best_trial(t) == t[1]
    with pytest.raises(ValueError, match="needs dev questions"):
        best_trial([Trial(1e-4, 8, None, 5, 1.0)])

"""The run's fine-tuning: one adapter per recipe the arms need and per seed, each on its own training set
(a registered recipe: finetune/recipes/), optionally after a hyper-parameter search on dev (finetune.search).

Only train and dev questions and the training documents reach a training set; the RAFT set's distractors come
from the run's retriever with the withheld (fresh) documents filtered out, so nothing that arrives after
training is trained on.
"""

from __future__ import annotations

from typing import Callable

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.finetune.launch import trainer
from rag_vs_ft.finetune.qlora import StepCallback, TrainResult
from rag_vs_ft.finetune.recipes.registry import RecipeInputs, recipe
from rag_vs_ft.finetune.recipes.selection import TrainingSet
from rag_vs_ft.measure import release_freed_memory
from rag_vs_ft.models.generator import dtype_name, load_tokenizer


def training_set(name: str, inp: RecipeInputs, cfg: FinetuneConfig, seed: int) -> TrainingSet:
    """The registered recipe's training set, cut to the epoch's token budget on this device."""
    chosen = recipe(name)
    if chosen.needs_retriever and inp.search is None:
        raise ValueError(f"the {name} recipe needs the run's retriever")
    tok = load_tokenizer(inp.base_path, inp.trust_remote_code)
    return chosen.build(tok, inp, cfg, cfg.token_budget(inp.device, dtype_name(inp.dtype)), seed)


def search_stage(inp: RecipeInputs, cfg: FinetuneConfig, first_recipe: str, seed: int
                 ) -> tuple[FinetuneConfig, dict]:
    """Learning rate and rank chosen on the dev loss of the first recipe the arms need; every recipe then trains
    with them."""
    from rag_vs_ft.finetune.search import search, trials_table

    tset = training_set(first_recipe, inp, cfg, seed)
    train_adapter = trainer(cfg.processes)
    best, trials = search(cfg, lambda c: train_adapter(inp.base_path, inp.base_info, tset, c, seed, inp.device,
                                                      inp.dtype, inp.cache_dir, inp.trust_remote_code))
    return best, {"trials": trials_table(trials), "learning_rate": best.learning_rate, "lora_r": best.lora_r}


def train_all(inp: RecipeInputs, cfg: FinetuneConfig, recipes: list[str], seeds: list[int],
              on_start: Callable[[str, int, int], StepCallback] | None = None,
              stage: Callable[[str], object] | None = None) -> dict[tuple[str, int], tuple[TrainResult, TrainingSet]]:
    """{(recipe, seed): (result, its training set)}; `stage(name)` is a context manager timing each adapter."""
    from contextlib import nullcontext

    out, train_adapter = {}, trainer(cfg.processes)
    for name in recipes:
        for seed in seeds:
            with (stage(f"finetune:{name}@seed{seed}") if stage else nullcontext()):
                tset = training_set(name, inp, cfg, seed)
                start = (lambda total, r=name, s=seed: on_start(r, s, total)) if on_start else None
                out[(name, seed)] = (train_adapter(inp.base_path, inp.base_info, tset, cfg, seed, inp.device,
                                                     inp.dtype, inp.cache_dir, inp.trust_remote_code, start), tset)
                release_freed_memory()  # the training model must not linger beside the next one
    return out

"""The run's fine-tuning: one adapter per recipe the arms need and per seed, each on its own training set
(finetune.recipes), optionally after a hyper-parameter search on dev (finetune.search).

Only train and dev questions and the training documents reach a training set; the RAFT set's distractors come
from the run's retriever with the withheld (fresh) documents filtered out, so nothing that arrives after
training is trained on.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.finetune.qlora import StepCallback, TrainResult, train_adapter
from rag_vs_ft.finetune.recipes import RECIPES, TrainingSet, closed_book_set, raft_set
from rag_vs_ft.models.generator import load_tokenizer


@dataclass
class FinetuneInputs:
    base_path: str
    base_info: dict
    docs: list[Document]  # training documents (withheld ones excluded)
    train_qa: list[QAItem]
    dev_qa: list[QAItem]
    device: str
    dtype: torch.dtype
    cache_dir: Path
    trust_remote_code: bool = False
    search: Callable | None = None  # the run's retriever search(queries, k), for RAFT
    top_k: int = 3
    withheld: set[str] = field(default_factory=set)


def training_set(recipe: str, inp: FinetuneInputs, cfg: FinetuneConfig, seed: int) -> TrainingSet:
    if recipe not in RECIPES:
        raise ValueError(f"unknown fine-tuning recipe {recipe!r}; known: {', '.join(RECIPES)}")
    tok = load_tokenizer(inp.base_path, inp.trust_remote_code)
    budget = cfg.token_budget(inp.device, str(inp.dtype).replace("torch.", ""))
    if recipe == "closed_book":
        return closed_book_set(tok, inp.docs, inp.train_qa, inp.dev_qa, cfg, budget)
    if inp.search is None:
        raise ValueError("the RAFT recipe needs the run's retriever")
    return raft_set(tok, inp.train_qa, inp.dev_qa, inp.search, inp.top_k, cfg, budget, seed, inp.withheld)


def search_stage(inp: FinetuneInputs, cfg: FinetuneConfig, seed: int) -> tuple[FinetuneConfig, dict]:
    """Learning rate and rank chosen on the closed-book dev loss; both recipes then train with them."""
    from rag_vs_ft.finetune.search import search, trials_table

    tset = training_set("closed_book", inp, cfg, seed)
    best, trials = search(cfg, lambda c: train_adapter(inp.base_path, inp.base_info, tset, c, seed, inp.device,
                                                      inp.dtype, inp.cache_dir, inp.trust_remote_code))
    return best, {"trials": trials_table(trials), "learning_rate": best.learning_rate, "lora_r": best.lora_r}


def train_all(inp: FinetuneInputs, cfg: FinetuneConfig, recipes: list[str], seeds: list[int],
              on_start: Callable[[str, int, int], StepCallback] | None = None,
              stage: Callable[[str], object] | None = None) -> dict[tuple[str, int], tuple[TrainResult, TrainingSet]]:
    """{(recipe, seed): (result, its training set)}; `stage(name)` is a context manager timing each adapter."""
    from contextlib import nullcontext

    out = {}
    for recipe in recipes:
        for seed in seeds:
            with (stage(f"finetune:{recipe}@seed{seed}") if stage else nullcontext()):
                tset = training_set(recipe, inp, cfg, seed)
                start = (lambda total, r=recipe, s=seed: on_start(r, s, total)) if on_start else None
                out[(recipe, seed)] = (train_adapter(inp.base_path, inp.base_info, tset, cfg, seed, inp.device,
                                                     inp.dtype, inp.cache_dir, inp.trust_remote_code, start), tset)
                gc.collect()  # the 4-bit training model must not linger beside the next one
    return out

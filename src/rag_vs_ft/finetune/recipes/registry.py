"""Every fine-tuning recipe, registered in one place: a recipe turns the run's train split (and training documents)
into the training set of one adapter. A tuned arm names the recipe its adapter is trained with
(`ArmSpec.recipe`); the fine-tune stage trains one adapter per recipe the arms need, and the report shows each
recipe's summary beside its adapter.

A recipe module in this package ends with `register(Recipe(...))`; `registered()` imports every module here (and
the modules named in RAG_VS_FT_RECIPES, comma-separated, for recipes kept outside it), so a new recipe — say,
continued pre-training on raw text — is one module and its test, with no edit anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import torch

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.plugins import Registry

if TYPE_CHECKING:
    from rag_vs_ft.finetune.recipes.selection import TrainingSet


@dataclass
class RecipeInputs:
    """What a recipe (and the training after it) may use: nothing from the test split."""

    base_path: str
    base_info: dict
    docs: list[Document]  # training documents (withheld ones excluded)
    train_qa: list[QAItem]
    dev_qa: list[QAItem]
    device: str
    dtype: torch.dtype
    cache_dir: Path
    trust_remote_code: bool = False
    search: Callable | None = None  # the run's retriever search(queries, k), for recipes that retrieve
    top_k: int = 3
    withheld: set[str] = field(default_factory=set)


# build(tokenizer, inputs, settings, token budget per epoch or None, seed) -> the adapter's training set
Build = Callable[[object, RecipeInputs, FinetuneConfig, "int | None", int], "TrainingSet"]


@dataclass(frozen=True)
class Recipe:
    name: str
    summary: str  # one line for the report
    build: Build
    needs_retriever: bool = False  # its examples are built with the run's retriever (RecipeInputs.search)


_RECIPES: Registry[Recipe] = Registry("fine-tuning recipe", "rag_vs_ft.finetune.recipes", "RAG_VS_FT_RECIPES")


def register(recipe: Recipe) -> Recipe:
    return _RECIPES.register(recipe.name, recipe)


def registered() -> dict[str, Recipe]:
    """Every registered recipe, by name."""
    return dict(sorted(_RECIPES.items().items()))


def recipe(name: str) -> Recipe:
    known = registered()
    if name not in known:
        raise ValueError(f"unknown fine-tuning recipe {name!r}; known: {', '.join(known)}")
    return known[name]

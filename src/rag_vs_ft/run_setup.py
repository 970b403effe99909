"""What every stage of a run shares: the validated settings, where and how the model runs, the seeds and the
arms to compare. Decided once, before anything is computed."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rag_vs_ft.arms.registry import ArmSpec
from rag_vs_ft.config import RunConfig
from rag_vs_ft.models.generator import dtype_name
from rag_vs_ft.ui import UI


@dataclass(frozen=True)
class RunSetup:
    cfg: RunConfig
    ui: UI
    device: str
    dtype: torch.dtype
    seeds: list[int]  # the fine-tune's seeds; the first is the primary one the tables compare
    specs: dict[str, ArmSpec]  # the arms to answer with, in registry order

    @property
    def dtype_name(self) -> str:
        return dtype_name(self.dtype)

    @property
    def tuned_recipes(self) -> list[str]:
        """The fine-tuning recipes the arms need, in arm order."""
        return list(dict.fromkeys(s.recipe for s in self.specs.values() if s.tuned))

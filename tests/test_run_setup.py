"""run_setup.RunSetup: the recipes the arms need (arm order, once each) and the dtype's plain name."""

import pytest
import torch

from rag_vs_ft.arms.registry import ArmSpec
from rag_vs_ft.config import RunConfig
from rag_vs_ft.run_setup import RunSetup
from rag_vs_ft.ui import UI


def _spec(name, tuned=False, recipe=None):
    return ArmSpec(name, "candidate", name, lambda inputs: None, tuned=tuned, recipe=recipe)


def _setup(specs, dtype=torch.float32):
    return RunSetup(RunConfig(), UI(quiet=True), "cpu", dtype, [0], {s.name: s for s in specs})


def test_tuned_recipes_in_arm_order_each_once():
    setup = _setup([_spec("ft_raft", True, "raft"), _spec("rag"), _spec("ft", True, "closed_book"),
                    _spec("ft_raft_rag", True, "raft"), _spec("ft_rag", True, "closed_book")])
    assert setup.tuned_recipes == ["raft", "closed_book"]


def test_untuned_arms_need_no_recipe_even_when_one_is_named():
    setup = _setup([_spec("rag"), _spec("prompt", tuned=False, recipe="closed_book")])
    assert setup.tuned_recipes == []


def test_no_arms_no_recipes():
    assert _setup([]).tuned_recipes == []


@pytest.mark.parametrize("dtype, name", [(torch.float32, "float32"), (torch.bfloat16, "bfloat16"),
                                         (torch.float16, "float16")])
def test_dtype_name_drops_the_torch_prefix(dtype, name):
    assert _setup([], dtype).dtype_name == name


def test_dtype_name_is_what_the_cpu_training_budget_is_keyed_by():
    """FinetuneConfig.token_budget takes this name: bf16 gets the bf16 budget, not the fp32 fallback."""
    cfg = RunConfig().finetune
    assert cfg.token_budget("cpu", _setup([], torch.bfloat16).dtype_name) != cfg.token_budget("cpu", "float32")

"""The arm seam: every approach and reference row is one registered module; a new one needs no other edit
(a toy arm written as a module outside the package reaches a real run's report in tests/test_plugins.py)."""

import pytest

from rag_vs_ft.arms.registry import ArmSpec, arm_names, candidates, references, register, registered
from rag_vs_ft.config import ConfigError, load_config


def test_shipped_arms_are_registered_with_their_roles():
    specs = registered()
    assert candidates() == ["prompt", "rag", "finetune", "finetune_rag"]  # simplest to run first
    assert set(references()) == {"always-refuse", "majority", "extractive", "oracle"}
    assert specs["oracle"].role == "ceiling" and specs["finetune_rag"].tuned and specs["rag"].uses_retrieval
    assert not any(specs[f].uses_model for f in ("always-refuse", "majority", "extractive"))


def test_a_name_cannot_be_registered_twice_with_another_meaning():
    import pytest

    spec = registered()["prompt"]
    register(spec)  # the same spec again (a module imported twice) is fine
    with pytest.raises(ValueError, match="two arms"):
        register(ArmSpec("prompt", "floor", "not the prompt arm", spec.make))


def test_default_arm_names_are_every_candidate_then_every_reference_row():
    assert arm_names(load_config([]).eval) == ["prompt", "rag", "finetune", "finetune_rag",
                                               "always-refuse", "extractive", "majority", "oracle"]
    assert arm_names(load_config(["eval.arms=[rag]", "eval.references=[]"]).eval) == ["rag"]


@pytest.mark.parametrize("override, where", [("eval.arms=[rag,magic]", "eval.arms"), ("eval.arms=[]", "eval.arms"),
                                             ("eval.references=[oracle,rag]", "eval.references")])
def test_an_unregistered_arm_name_is_a_one_line_config_error(override, where):
    with pytest.raises(ConfigError) as exc:
        arm_names(load_config([override]).eval)
    assert where in str(exc.value) and "\n" not in str(exc.value)

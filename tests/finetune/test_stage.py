"""finetune.stage: `training_set` builds a registered recipe's set with the tokenizer and the epoch's token budget
for this device and dtype, and refuses a recipe that needs the retriever when there is none; `train_all` trains
one adapter per (recipe, seed). Toy recipes and a stand-in tokenizer and trainer: no model is loaded."""

import contextlib
from pathlib import Path

import pytest
import torch

from rag_vs_ft.config import CPU_TRAIN_TOKENS, FinetuneConfig
from rag_vs_ft.finetune import stage
from rag_vs_ft.finetune.recipes import registry
from rag_vs_ft.finetune.recipes.registry import Recipe, RecipeInputs, register
from tiny_docs import rules


class Tok:
    """The stand-in tokenizer load_tokenizer returns here."""


@pytest.fixture
def tools(monkeypatch):
    """Toy recipes `toy_plain` and `toy_retrieving` (each records its calls), a recorded load_tokenizer, and
    the toy recipes removed afterwards (the registry is module-global)."""
    calls = {"tokenizer": [], "builds": []}

    def fake_load_tokenizer(path, trust_remote_code=False):
        calls["tokenizer"].append((path, trust_remote_code))
        return Tok()

    def build_for(name):
        def build(tok, inp, cfg, budget, seed):
            calls["builds"].append((name, tok, inp, cfg, budget, seed))
            return f"{name} set for seed {seed}"
        return build

    monkeypatch.setattr(stage, "load_tokenizer", fake_load_tokenizer)
    register(Recipe("toy_plain", "a toy", build_for("toy_plain")))
    register(Recipe("toy_retrieving", "a toy that retrieves", build_for("toy_retrieving"), needs_retriever=True))
    yield calls
    for name in ("toy_plain", "toy_retrieving"):
        registry._RECIPES._items.pop(name, None)


def _inputs(device="cpu", dtype=torch.float32, search=None, trust=False):
    docs, qa = rules(4)
    return RecipeInputs("/models/base", {"content": "x"}, docs, qa[:3], qa[3:], device, dtype, Path("/tmp/cache"),
                        trust_remote_code=trust, search=search)


def test_a_recipe_needing_the_retriever_without_one_is_refused_before_loading_anything(tools):
    with pytest.raises(ValueError, match="the toy_retrieving recipe needs the run's retriever"):
        stage.training_set("toy_retrieving", _inputs(), FinetuneConfig(), seed=0)
    assert tools["tokenizer"] == [] and tools["builds"] == []


def test_a_recipe_needing_the_retriever_is_built_when_there_is_one(tools):
    out = stage.training_set("toy_retrieving", _inputs(search=lambda qs, k: [[] for _ in qs]), FinetuneConfig(), 0)
    assert out == "toy_retrieving set for seed 0"


def test_the_recipe_gets_the_tokenizer_inputs_settings_seed_and_budget(tools):
    inp, cfg = _inputs(trust=True), FinetuneConfig(max_tokens=777)
    assert stage.training_set("toy_plain", inp, cfg, seed=3) == "toy_plain set for seed 3"
    assert tools["tokenizer"] == [("/models/base", True)]  # the base model's tokenizer, trust passed on
    (name, tok, got_inp, got_cfg, budget, seed), = tools["builds"]
    assert (name, got_inp, got_cfg, budget, seed) == ("toy_plain", inp, cfg, 777, 3)
    assert isinstance(tok, Tok)


@pytest.mark.parametrize("device, dtype, budget", [
    ("cpu", torch.float32, CPU_TRAIN_TOKENS["float32"]),
    ("cpu", torch.bfloat16, CPU_TRAIN_TOKENS["bfloat16"]),  # the dtype reaches the budget by its plain name
    ("cuda", torch.bfloat16, None),  # a GPU trains the whole set
])
def test_the_auto_budget_follows_the_device_and_training_dtype(tools, device, dtype, budget):
    stage.training_set("toy_plain", _inputs(device, dtype), FinetuneConfig(), seed=0)
    assert tools["builds"][-1][4] == budget
    assert CPU_TRAIN_TOKENS["float32"] != CPU_TRAIN_TOKENS["bfloat16"]  # else the bf16 case proves nothing


def test_no_cap_is_no_budget(tools):
    stage.training_set("toy_plain", _inputs(), FinetuneConfig(max_tokens=None), seed=0)
    assert tools["builds"][-1][4] is None


def test_an_unknown_recipe_is_an_error(tools):
    with pytest.raises(ValueError, match="unknown fine-tuning recipe 'nope'"):
        stage.training_set("nope", _inputs(), FinetuneConfig(), seed=0)
    assert tools["tokenizer"] == []


def test_train_all_trains_one_adapter_per_recipe_and_seed(tools, monkeypatch):
    trained, started, stages = [], [], []

    def fake_train(base_path, base_info, tset, cfg, seed, device, dtype, cache_dir, trust, on_start=None):
        trained.append((tset, seed, device, dtype))
        if on_start:
            on_start(10 * (seed + 1))
        return f"adapter of {tset}"

    @contextlib.contextmanager
    def timed(name):
        stages.append(name)
        yield

    processes = []
    monkeypatch.setattr(stage, "trainer", lambda n: processes.append(n) or fake_train)
    with pytest.raises(ValueError, match="needs the run's retriever"):  # a retrieving recipe, no retriever
        stage.train_all(_inputs(), FinetuneConfig(), ["toy_plain", "toy_retrieving"], [0], stage=timed)
    trained.clear()
    stages.clear()

    inp = _inputs(search=lambda qs, k: [[] for _ in qs])
    out = stage.train_all(inp, FinetuneConfig(), ["toy_plain", "toy_retrieving"], [0, 1],
                          on_start=lambda r, s, total: started.append((r, s, total)), stage=timed)
    assert list(out) == [("toy_plain", 0), ("toy_plain", 1), ("toy_retrieving", 0), ("toy_retrieving", 1)]
    assert out[("toy_retrieving", 1)] == ("adapter of toy_retrieving set for seed 1", "toy_retrieving set for seed 1")
    assert stages == ["finetune:toy_plain@seed0", "finetune:toy_plain@seed1", "finetune:toy_retrieving@seed0",
                      "finetune:toy_retrieving@seed1"]
    assert started == [("toy_plain", 0, 10), ("toy_plain", 1, 20), ("toy_retrieving", 0, 10),
                       ("toy_retrieving", 1, 20)]
    assert all(device == "cpu" and dtype == torch.float32 for _, _, device, dtype in trained)
    assert set(processes) == {1}  # finetune.processes' default: the one-process trainer

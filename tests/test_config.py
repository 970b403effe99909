import pytest

from rag_vs_ft.config import ConfigError, RunConfig, load_config, parse_overrides, valid_keys


def test_defaults_are_valid_and_offline():
    cfg = load_config([])
    assert cfg.domain == "legal"
    assert cfg.model.name.startswith("embedded:")
    assert cfg.retrieval.embedder.startswith("embedded:")
    assert cfg.model.trust_remote_code is False
    assert cfg.eval.arms is None


def test_overrides_are_typed_and_nested():
    cfg = load_config(["domain=legal", "retrieval.top_k=5", "finetune.max_steps=null", "eval.limit=20",
                       "model.name=HuggingFaceTB/SmolLM2-360M-Instruct", "eval.arms=[rag,prompt]", "seed=1"])
    assert cfg.retrieval.top_k == 5 and isinstance(cfg.retrieval.top_k, int)
    assert cfg.finetune.max_steps is None
    assert cfg.eval.limit == 20
    assert cfg.model.name == "HuggingFaceTB/SmolLM2-360M-Instruct"
    assert cfg.eval.arms == ["rag", "prompt"]
    assert cfg.seed == 1


def test_unknown_key_names_the_valid_keys():
    with pytest.raises(ConfigError) as exc:
        load_config(["retrieval.topk=3"])
    msg = str(exc.value)
    assert "retrieval.topk" in msg and "retrieval.top_k" in msg and "\n" not in msg


@pytest.mark.parametrize("override, where", [
    ("retrieval.top_k=abc", "retrieval.top_k"),
    ("retrieval.top_k=0", "retrieval.top_k"),
    ("finetune.learning_rate=0.2", "finetune.learning_rate"),
    ("domain=../etc", "domain"),
    ("domain=a/b", "domain"),
    ("split.train=0.9", "split"),
    ("retrieval.chunk_overlap=600", "retrieval.chunk_overlap"),
])
def test_bad_values_are_one_line_errors(override, where):
    with pytest.raises(ConfigError) as exc:
        load_config([override])
    assert where in str(exc.value) and "\n" not in str(exc.value)


def test_override_without_equals_sign():
    with pytest.raises(ConfigError, match="not key=value"):
        parse_overrides(["legal"])


def test_every_key_listed_is_settable():
    defaults = RunConfig().model_dump()
    for key in valid_keys():
        node = defaults
        for part in key.split("."):
            node = node[part]
    assert "finetune.lora_r" in valid_keys()


def test_the_cpu_training_budget_follows_the_training_dtype():
    from rag_vs_ft.config import FinetuneConfig

    f = FinetuneConfig()
    assert f.token_budget("cuda", "bfloat16") is None  # a GPU trains every example
    assert f.token_budget("cpu", "float32") == 12000 < f.token_budget("cpu", "bfloat16") == 30000
    assert f.token_budget("cpu") == 12000
    assert FinetuneConfig(max_tokens=500).token_budget("cpu", "bfloat16") == 500
    assert FinetuneConfig(max_tokens=None).token_budget("cpu") is None


def test_passes_per_step_follow_the_device_and_dtype():
    from rag_vs_ft.config import FinetuneConfig

    auto = FinetuneConfig()
    assert auto.pass_tokens("cpu", "float32") == 256 and auto.pass_tokens("cpu", "bfloat16") == 512
    assert auto.pass_tokens("cuda", "bfloat16") is None  # a GPU's memory is the GPU's: one pass
    assert FinetuneConfig(micro_batch_tokens=None).pass_tokens("cpu") is None
    assert FinetuneConfig(micro_batch_tokens=1024).pass_tokens("cpu") == 1024

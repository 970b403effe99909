"""A model given by path or HF id is cached by what it holds, not by its name: changing it re-keys everything."""

from pathlib import Path

import pytest

from rag_vs_ft.models import resolve
from rag_vs_ft.models.resolve import content_id, generator_path


@pytest.fixture
def tiny_model(tmp_path) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1)
    path = tmp_path / "tiny"
    LlamaForCausalLM(cfg).save_pretrained(path)
    return path


def test_a_local_model_is_keyed_by_its_files(tiny_model, tmp_path):
    _, before = generator_path(str(tiny_model), tmp_path / "cache")
    assert before["content"].startswith("sha256:") and len(before["content"]) == 7 + 64
    assert generator_path(str(tiny_model), tmp_path / "cache")[1] == before  # same files, same key
    weights = next(tiny_model.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # one bit of one weight
    weights.write_bytes(bytes(data))
    _, after = generator_path(str(tiny_model), tmp_path / "cache")
    assert after["content"] != before["content"] and after["name"] == before["name"]


def test_the_answer_cache_key_follows_the_model_content(tiny_model, tmp_path):
    from rag_vs_ft.config import RunConfig
    from rag_vs_ft.answering import AnswerSources, answers_key

    def sources(model: dict) -> AnswerSources:
        return AnswerSources(model, "cpu", "float32", "c", "i", [], {})

    _, info = generator_path(str(tiny_model), tmp_path / "cache")
    key = answers_key("prompt", RunConfig(), sources(info), None, [], [])
    (tiny_model / "generation_config.json").write_text('{"temperature": 0.5}')
    _, changed = generator_path(str(tiny_model), tmp_path / "cache")
    assert answers_key("prompt", RunConfig(), sources(changed), None, [], []) != key


def test_file_hashes_are_remembered_by_size_and_mtime(tiny_model, tmp_path, monkeypatch):
    content_id(str(tiny_model), tmp_path / "cache")
    calls = []
    monkeypatch.setattr(resolve, "file_sha256", lambda p: calls.append(p) or "x")
    content_id(str(tiny_model), tmp_path / "cache")
    assert calls == []  # nothing re-read
    (tiny_model / "config.json").write_text((tiny_model / "config.json").read_text() + " ")
    content_id(str(tiny_model), tmp_path / "cache")
    assert [p.name for p in calls] == ["config.json"]  # only the changed file


def test_an_hf_id_is_keyed_by_the_snapshot_commit(tmp_path, monkeypatch):
    import huggingface_hub.constants as hub

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--tiny-lm"
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "snapshots" / commit / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hub"))
    assert content_id("someone/tiny-lm", tmp_path / "cache") == f"revision:{commit}"
    assert content_id("someone/not-downloaded", tmp_path / "cache") == "unknown"


def test_trust_remote_code_reaches_the_first_check(monkeypatch, tmp_path):
    seen = {}

    class FakeConfig:
        @staticmethod
        def from_pretrained(name, **kwargs):
            seen.update(kwargs)

    import transformers

    monkeypatch.setattr(transformers, "AutoConfig", FakeConfig)
    generator_path("someone/custom-arch", tmp_path / "cache", trust_remote_code=True)
    assert seen.get("trust_remote_code") is True

"""index.embedder: which model embeds the index — PyTorch, or int8 ONNX kept only when the dev check passes —
and the stage building every chunk size with it (the check failing rebuilds by PyTorch)."""

import pytest

from rag_vs_ft.config import RetrievalConfig
from rag_vs_ft.index import embedder as emb_mod
from rag_vs_ft.index import quantized, stage
from fakes import BlindEmbedder
from tiny_docs import TOPIC_DEV, TOPIC_DOCS

CORPUS, DEV = TOPIC_DOCS, TOPIC_DEV


@pytest.fixture
def real_embedder(monkeypatch, embedder):
    monkeypatch.setattr(emb_mod, "load_embedder", lambda path, device: embedder)


# BM25 alone finds every one of these, so the grid leaves it out: the check must see the embedder
RC = RetrievalConfig(mode="auto", embedder_backend="auto", chunk_size=200, chunk_overlap=20, grid_modes=["dense", "hybrid"],
                     grid_chunk_size=[200, 400], grid_top_k=[1, 3])


def test_auto_keeps_int8_where_the_dev_check_passes(real_embedder, tmp_path):
    retriever, dense, info, choice = stage.build_retrieval(RC, CORPUS, DEV, "p", tmp_path, "cpu", embedder_id="m")
    backend = info["embedder_backend"]
    assert isinstance(dense.embedder, quantized.OnnxEmbedder), backend
    assert backend["backend"] == "onnx-int8" and backend["check"]["passed"] and "within" in backend["reason"]
    assert info["embedder"] == "m+onnx-int8"  # its own index key: never mixed with PyTorch vectors


def test_auto_falls_back_to_pytorch_and_rebuilds_when_int8_loses_dev_recall(real_embedder, embedder, monkeypatch,
                                                                           tmp_path):
    monkeypatch.setattr(quantized, "load_int8", lambda st, cache_dir, name: BlindEmbedder())
    retriever, dense, info, choice = stage.build_retrieval(RC, CORPUS, DEV, "p", tmp_path, "cpu", embedder_id="m")
    backend = info["embedder_backend"]
    assert dense.embedder is embedder and info["embedder"] == "m" and backend["backend"] == "torch"
    assert not backend["check"]["passed"] and "beyond" in backend["reason"]
    assert choice.selected and len(choice.grid) == 2 * 2 * 2  # the grid was scored on the PyTorch indexes


def test_pytorch_when_told_on_a_gpu_or_with_too_few_dev_questions(real_embedder, embedder, tmp_path):
    for cfg, device, dev in [(RC.model_copy(update={"embedder_backend": "torch"}), "cpu", DEV),
                             (RC, "cuda", DEV), (RC, "cpu", DEV[:2])]:
        got = emb_mod.open_embedder(cfg, dev, "p", "m", tmp_path, device)
        assert got.model is embedder and got.name == "m" and got.info["backend"] == "torch" and got.reference is None


def test_forced_int8_skips_the_check(real_embedder, tmp_path):
    got = emb_mod.open_embedder(RC.model_copy(update={"embedder_backend": "onnx-int8"}), DEV, "p", "m", tmp_path, "cpu")
    assert isinstance(got.model, quantized.OnnxEmbedder) and got.reference is None
    assert "set by" in got.info["reason"]


def test_a_forced_int8_on_a_model_that_cannot_export_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(emb_mod, "load_embedder", lambda path, device: object())
    with pytest.raises(ValueError, match="not possible"):
        emb_mod.open_embedder(RC.model_copy(update={"embedder_backend": "onnx-int8"}), DEV, "p", "x", tmp_path, "cpu")
    # auto on such a model: PyTorch, with the reason
    assert "not a sentence-transformers model" in emb_mod.open_embedder(RC, DEV, "p", "x", tmp_path, "cpu").info["reason"]

"""index.quantized: the embedder as int8 ONNX, the dev check that decides whether it is used, and the stage's
choice of backend. The embedded MiniLM is exported for real (a few seconds, cached in the test's folder)."""

import numpy as np
import pytest

from rag_vs_ft.config import RetrievalConfig
from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index import quantized
from rag_vs_ft.index.retriever import DenseRetriever, chunk_text, embed, split_documents
from fakes import BlindEmbedder
from tiny_docs import TOPIC_DEV, TOPIC_DOCS

TEXTS = ["The controller shall notify the supervisory authority within 72 hours.",
         "Permission is hereby granted, free of charge.", "ICT third-party risk", "a"]


@pytest.fixture(scope="module")
def int8(embedder, tmp_path_factory):
    return quantized.load_int8(embedder, tmp_path_factory.mktemp("cache"), "minilm-test")


def test_int8_vectors_point_where_the_pytorch_ones_do(embedder, int8):
    ref = embedder.encode(TEXTS, normalize_embeddings=True)
    got = int8.encode(TEXTS, batch_size=2)  # batches cut across the length order
    assert got.shape == ref.shape == (len(TEXTS), int8.get_embedding_dimension())
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cos = (got * ref).sum(1)
    assert cos.min() > 0.97, cos
    # each text is nearest its own PyTorch vector: the order of the inputs survived the length sort
    assert (np.argmax(got @ ref.T, axis=1) == np.arange(len(TEXTS))).all()


def test_each_call_hands_the_arena_back_after_its_last_batch(int8, monkeypatch):
    seen, run = [], int8.session.run

    class Recording:  # InferenceSession.run is read-only on the instance: wrap the session instead
        def run(self, out, feeds, options=None):
            seen.append(options)
            return run(out, feeds, options)

    monkeypatch.setattr(int8, "session", Recording())
    int8.encode(TEXTS + TEXTS, batch_size=3)  # 8 texts: batches of 3, 3, 2
    assert seen[:2] == [None, None] and seen[2] is int8.shrink


def test_only_mean_or_cls_pooled_transformers_export(embedder):
    assert quantized.supported(embedder) is None
    assert "not a sentence-transformers model" in quantized.supported(object())


CORPUS, DEV = TOPIC_DOCS, TOPIC_DEV


def dense_over(model, docs=CORPUS, size=200):
    import faiss

    chunks = split_documents(docs, size, 20)
    vecs = embed(model, [chunk_text(c) for c in chunks])
    index = faiss.IndexFlatIP(vecs.shape[1])
    index.add(vecs)
    return DenseRetriever(chunks, index, model)


def test_the_check_passes_a_faithful_embedder_and_rejects_a_blind_one(embedder, int8, tmp_path):
    same = quantized.agreement(embedder, dense_over(int8), DEV, ["dense", "hybrid"], [1, 3], tmp_path / "c.json")
    assert same["passed"] and same["max_difference"] <= quantized.TOLERANCE
    assert same["reference"]["recall"] > 0.7  # the questions are answerable: the check can see a loss
    assert 0 < same["chunks_embedded"] <= same["chunks"] and (tmp_path / "c.json").exists()
    blind = quantized.agreement(embedder, dense_over(BlindEmbedder()), DEV, ["dense"], [1, 3])
    assert not blind["passed"] and blind["loss"] > quantized.TOLERANCE
    # one-sided: an int8 model that retrieves better than the reference is no reason to embed everything again
    better = quantized.agreement(BlindEmbedder(), dense_over(int8), DEV, ["dense"], [1, 3])
    assert better["passed"] and better["loss"] == 0 and better["max_difference"] > quantized.TOLERANCE


def test_the_check_re_embeds_only_the_candidates(embedder, int8, monkeypatch):
    from rag_vs_ft.index import retriever

    docs = CORPUS + [Document(f"filler-{i}", "Filler", f"unrelated filler text number {i}. " * 12) for i in range(40)]
    dense = dense_over(int8, docs)
    seen, original = [], retriever.embed

    def counting(model, texts, *a, **k):
        if model is embedder:
            seen.append(len(texts))
        return original(model, texts, *a, **k)

    monkeypatch.setattr(retriever, "embed", counting)
    monkeypatch.setattr(quantized, "POOL", 3)
    out = quantized.agreement(embedder, dense, DEV, ["dense"], [1])
    assert seen[0] == out["chunks_embedded"] <= 2 * 3 * len(DEV) < len(dense.chunks)  # not the whole index again

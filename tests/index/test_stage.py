"""index.stage: the run's retrieval, built with a stand-in embedder (bag of hashed words), no model."""

import zlib

import numpy as np
import pytest

from rag_vs_ft.config import RetrievalConfig
from rag_vs_ft.index import stage
from rag_vs_ft.index.retriever import DenseRetriever
from tiny_docs import DOCS


class WordsEmbedder:
    dim = 64

    def encode(self, texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False):
        out = np.zeros((len(texts), self.dim), "float32")
        for row, text in zip(out, texts):
            for word in text.lower().split():
                row[zlib.crc32(word.strip(".,?—").encode()) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def get_embedding_dimension(self):
        return self.dim


@pytest.fixture
def loads(monkeypatch):
    calls = []

    def load(path, device):
        calls.append((path, device))
        return WordsEmbedder()

    monkeypatch.setattr("rag_vs_ft.index.embedder.load_embedder", load)
    return calls


DEV = [("How fast must a personal data breach be notified?", {"gdpr-art-33"}),
       ("software free of charge", {"license-mit"}), ("ICT third-party risk", {"dora-art-28"}),
       ("notify the supervisory authority", {"gdpr-art-33"}),
       ("deal in the Software without restriction", {"license-mit"})]


def test_a_set_mode_builds_one_index_and_keeps_the_settings(tmp_path, loads):
    rc = RetrievalConfig(mode="dense", chunk_size=200, chunk_overlap=20, top_k=2)
    retriever, dense, info, choice = stage.build_retrieval(rc, DOCS, DEV, "emb-path", tmp_path, "cpu")
    assert loads == [("emb-path", "cpu")]
    assert retriever is dense and isinstance(dense, DenseRetriever)
    assert (choice.mode, choice.chunk_size, choice.top_k, choice.selected) == ("dense", 200, 2, False)
    assert choice.reason == "set by retrieval.mode=dense" and choice.grid == []
    assert info["sizes_built"] == [200] and info["embedder"] == rc.embedder and info["cached"] is False
    assert len(list((tmp_path / "index").iterdir())) == 1
    assert retriever.search(["personal data breach notified"], 1)[0][0].doc_id == "gdpr-art-33"
    _, _, again, _ = stage.build_retrieval(rc, DOCS, DEV, "emb-path", tmp_path, "cpu")
    assert again["cached"] is True and again["key"] == info["key"]
    _, _, other, _ = stage.build_retrieval(rc, DOCS, DEV, "emb-path", tmp_path, "cpu", embedder_id="sha256:abc")
    assert other["embedder"] == "sha256:abc" and other["key"] != info["key"]  # another embedder, another index


def test_auto_builds_every_chunk_size_once_with_one_embedder_and_chooses_on_dev(tmp_path, loads):
    rc = RetrievalConfig(mode="auto", chunk_overlap=20, grid_chunk_size=[150, 300, 150], grid_modes=["dense", "bm25"],
                         grid_top_k=[1, 2])
    retriever, dense, info, choice = stage.build_retrieval(rc, DOCS, DEV, "p", tmp_path, "cpu")
    assert len(loads) == 1 and info["sizes_built"] == [150, 300]
    assert len(list((tmp_path / "index").iterdir())) == 2
    assert choice.selected and choice.n_dev == 5 and len(choice.grid) == 2 * 2 * 2
    assert retriever.name == choice.mode and retriever.chunks == dense.chunks
    assert all(len(c.text) <= choice.chunk_size for c in dense.chunks)


def test_too_few_dev_questions_fall_back_to_the_configured_settings(tmp_path, loads):
    rc = RetrievalConfig(mode="auto", chunk_size=500, chunk_overlap=20, top_k=3, grid_chunk_size=[150, 300],
                         grid_modes=["bm25", "dense"])
    retriever, _, _, choice = stage.build_retrieval(rc, DOCS, DEV[:2], "p", tmp_path, "cpu")
    # no hybrid in the grid: its first mode; the configured chunk size was not built: the first one built
    assert (choice.mode, choice.chunk_size, choice.top_k, choice.selected) == ("bm25", 150, 3, False)
    assert retriever.name == "bm25"
    rc = RetrievalConfig(mode="auto", chunk_size=300, chunk_overlap=20, grid_chunk_size=[150, 300])
    _, _, _, choice = stage.build_retrieval(rc, DOCS, [], "p", tmp_path, "cpu")
    assert (choice.mode, choice.chunk_size) == ("hybrid", 300)


def test_a_configured_reranker_is_loaded_and_wraps_the_mode(tmp_path, loads, monkeypatch):
    from rag_vs_ft.index import rerank

    seen = []

    class Scorer:
        def predict(self, pairs, show_progress_bar=False):
            return np.arange(len(pairs), dtype=float)

    def load(name, device, trust_remote_code=False):
        seen.append((name, device, trust_remote_code))
        return Scorer()

    monkeypatch.setattr(rerank, "load_cross_encoder", load)
    rc = RetrievalConfig(mode="bm25", chunk_size=200, chunk_overlap=20, reranker="org/cross-encoder")
    retriever, dense, _, _ = stage.build_retrieval(rc, DOCS, [], "p", tmp_path, "cpu", trust_remote_code=True)
    assert seen == [("org/cross-encoder", "cpu", True)]
    assert retriever.name == "bm25+rerank" and retriever.first_stage.chunks == dense.chunks

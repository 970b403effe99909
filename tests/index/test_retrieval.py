from rag_vs_ft.index.retriever import build_or_load, split_documents
from tiny_docs import DOCS

def test_splitter_keeps_document_ids():
    chunks = split_documents(DOCS, chunk_size=120, chunk_overlap=20)
    assert {c.doc_id for c in chunks} == {d.id for d in DOCS}
    assert sum(c.doc_id == "dora-art-28" for c in chunks) > 1
    assert all(len(c.text) <= 120 for c in chunks)


def test_search_finds_the_right_document_and_cache_is_reused(tmp_path, embedder, monkeypatch):
    from rag_vs_ft.index import retriever as mod

    monkeypatch.setattr(mod, "load_embedder", lambda path, device: embedder)
    r, info = build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu")
    assert info["cached"] is False and info["chunks"] >= 3
    hits = r.search(["How fast must a data breach be notified?", "Can I use the software free of charge?"], k=2)
    assert hits[0][0].doc_id == "gdpr-art-33"
    assert hits[1][0].doc_id == "license-mit"
    assert hits[0][0].score >= hits[0][1].score

    r2, info2 = build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu")
    assert info2["cached"] is True and info2["key"] == info["key"]
    assert [c.text for c in r2.chunks] == [c.text for c in r.chunks]
    _, info3 = build_or_load(DOCS, 150, 20, "test-embedder", "unused", tmp_path, "cpu")
    assert info3["key"] != info["key"]  # splitter settings are part of the key


def test_documents_can_be_added_after_build(tmp_path, embedder, monkeypatch):
    from rag_vs_ft.index import retriever as mod

    monkeypatch.setattr(mod, "load_embedder", lambda path, device: embedder)
    r, _ = build_or_load(DOCS[:2], 200, 20, "test-embedder", "unused", tmp_path, "cpu")
    r.add(DOCS[2:], 200, 20)
    assert r.search(["third-party ICT risk of financial entities"], k=1)[0][0].doc_id == "dora-art-28"


class CountingEmbedder:
    """Wraps the real embedder, counts the texts it encodes, and can stop like a Ctrl-C after some calls."""

    def __init__(self, inner, stop_after_calls: int | None = None):
        self.inner, self.stop_after, self.calls, self.texts = inner, stop_after_calls, 0, 0

    def encode(self, texts, **kw):
        if self.stop_after is not None and self.calls == self.stop_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts, **kw)

    def get_embedding_dimension(self):
        return self.inner.get_embedding_dimension()


def test_embedding_cut_off_by_ctrl_c_resumes_where_it_stopped(tmp_path, embedder):
    import numpy as np
    import pytest

    from rag_vs_ft.index.retriever import embed

    texts = [f"Rule {i} sets a deadline of {i} days." for i in range(10)]
    whole = embed(embedder, texts, step=3)
    cut = CountingEmbedder(embedder, stop_after_calls=2)
    with pytest.raises(KeyboardInterrupt):
        embed(cut, texts, step=3, resume_dir=tmp_path / "partial")
    assert len(list((tmp_path / "partial").glob("part-*.npy"))) == 2  # the finished calls are on disk
    again, seen = CountingEmbedder(embedder), []
    resumed = embed(again, texts, step=3, resume_dir=tmp_path / "partial", on_batch=seen.append)
    assert again.texts == 10 - 6  # only what the cut-off run had not embedded
    assert seen == [3, 3, 3, 1]  # progress counts the resumed parts too
    assert np.allclose(resumed, whole, atol=1e-6)


def test_build_resumes_a_cut_off_embedding_and_clears_it_after(tmp_path, embedder, monkeypatch):
    import pytest

    from rag_vs_ft.index import retriever as mod

    one_at_a_time = mod.embed
    monkeypatch.setattr(mod, "embed", lambda *a, **kw: one_at_a_time(*a, **kw, step=1))  # a call per chunk
    n = len(mod.split_documents(DOCS, 200, 20))
    with pytest.raises(KeyboardInterrupt):
        build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu",
                      embedder=CountingEmbedder(embedder, stop_after_calls=2))
    partial = list((tmp_path / "index").glob("*.partial"))
    assert len(partial) == 1 and len(list(partial[0].glob("part-*.npy"))) == 2
    again = CountingEmbedder(embedder)
    r, info = build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu", embedder=again)
    assert again.texts == n - 2 and not partial[0].exists()
    assert r.search(["How fast must a data breach be notified?"], k=1)[0][0].doc_id == "gdpr-art-33"


def test_an_approximate_index_is_built_cached_and_keyed_apart(tmp_path, embedder):
    from rag_vs_ft.config import RetrievalConfig

    flat, flat_info = build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu", embedder=embedder,
                                    ann_settings=RetrievalConfig(index="flat"))
    hnsw, info = build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu", embedder=embedder,
                               ann_settings=RetrievalConfig(index="hnsw", ef_search=16))
    assert (flat_info["index"], info["index"], info["factory"]) == ("flat", "hnsw", "HNSW32")
    assert info["key"] != flat_info["key"] and info["path"] != flat_info["path"]
    again = build_or_load(DOCS, 200, 20, "test-embedder", "unused", tmp_path, "cpu", embedder=embedder,
                          ann_settings=RetrievalConfig(index="hnsw", ef_search=64))[1]
    # a search knob needs no rebuild (same folder) but changes the key the answers are cached under
    assert again["cached"] and again["path"] == info["path"] and again["key"] != info["key"]
    q = ["How fast must a data breach be notified?"]
    assert hnsw.search(q, k=1)[0][0].doc_id == flat.search(q, k=1)[0][0].doc_id == "gdpr-art-33"

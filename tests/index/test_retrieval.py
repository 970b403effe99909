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

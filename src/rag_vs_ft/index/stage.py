"""The run's retrieval: build (or reuse) the dense index for every chunk size in play, pick the settings on the
dev questions (`select`), and hand back the chosen retriever with what the report shows about the choice."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rag_vs_ft.config import RetrievalConfig
from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index.registry import make_retriever
from rag_vs_ft.index.retriever import DenseRetriever, Retriever, build_or_load
from rag_vs_ft.index.embedder import confirm, open_embedder
from rag_vs_ft.index.select import Choice, select_retrieval


def build_retrieval(rc: RetrievalConfig, docs: list[Document], dev: list[tuple[str, set[str]]], embedder_path: str,
                    cache_dir: Path, device: str, progress: Callable | None = None, trust_remote_code: bool = False,
                    embedder_id: str | None = None) -> tuple[Retriever, DenseRetriever, dict, Choice]:
    """(chosen retriever, its dense index, the index description, the choice with its grid). `embedder_id` names
    the embedder in the index's cache key (its content, where it is not the pinned embedded one)."""
    auto = rc.mode == "auto"
    sizes = list(dict.fromkeys(rc.grid_chunk_size)) if auto else [rc.chunk_size]
    dense: dict[int, DenseRetriever] = {}
    infos: dict[int, dict] = {}
    emb = open_embedder(rc, dev, embedder_path, embedder_id or rc.embedder, cache_dir, device)
    for size in sizes:  # one embedder for every chunk size; an int8 one is checked on the first index
        dense[size], infos[size] = build_or_load(docs, size, rc.chunk_overlap, emb.name, embedder_path, cache_dir,
                                                 device, progress, emb.model, ann_settings=rc)
        if emb.reference is not None:
            emb = confirm(emb, rc, dense[size], dev, infos[size]["key"], cache_dir)
            if emb.info["backend"] == "torch":  # the check failed: this size again, by PyTorch
                dense[size], infos[size] = build_or_load(docs, size, rc.chunk_overlap, emb.name, embedder_path,
                                                         cache_dir, device, progress, emb.model, ann_settings=rc)
    cross_encoder = None
    if rc.reranker:
        from rag_vs_ft.index.rerank import load_cross_encoder

        cross_encoder = load_cross_encoder(rc.reranker, device, trust_remote_code)

    def make(mode: str, d: DenseRetriever):
        return make_retriever(mode, d, cross_encoder)

    if auto:
        fallback = ("hybrid" if "hybrid" in rc.grid_modes else rc.grid_modes[0],
                    rc.chunk_size if rc.chunk_size in dense else sizes[0], rc.top_k)
        choice = select_retrieval(dense, dev, rc.grid_modes, sorted(set(rc.grid_top_k)), fallback, make)
    else:
        choice = Choice(rc.mode, rc.chunk_size, rc.top_k, False, f"set by retrieval.mode={rc.mode}", 0)
    chosen = dense[choice.chunk_size]
    return make(choice.mode, chosen), chosen, {**infos[choice.chunk_size], "sizes_built": sizes,
                                                        "embedder_backend": emb.info}, choice

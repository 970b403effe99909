"""The retriever seam and the dense retriever: chunk → embed → faiss, persisted in a cache keyed by (documents,
splitter settings, embedder).

Every retrieval mode (`index.registry`) ranks the same chunks: `rank` gives chunk indices with scores, best first,
and `search` turns them into hits. Sparse, hybrid and reranked retrievers are built over a dense retriever's
chunks, so one cached chunking serves all modes and they differ only in how they rank.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.index import ann
from rag_vs_ft.store import atomic_dir, stable_hash


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    text: str
    score: float


def split_documents(docs: list[Document], chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    return [Chunk(d.id, d.title, piece) for d in docs for piece in splitter.split_text(d.text)]


def load_embedder(path: str, device: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device=device)


def embed(model, texts: list[str], batch_size: int = 64, on_batch: Callable[[int], None] | None = None,
          step: int = 1024, resume_dir: Path | None = None) -> np.ndarray:
    """Normalised embeddings. Texts go to `encode` `step` at a time (it sorts each call by length, so bigger calls
    pad less; progress is reported per call). With `resume_dir`, each call's vectors are saved there as they come,
    and the ones already saved (by a run stopped by Ctrl-C or a crash) are read back instead of recomputed: the
    caller keys the folder by everything the vectors depend on."""
    parts = []
    for start in range(0, len(texts), step):
        batch = texts[start:start + step]
        saved = resume_dir / f"part-{start:010d}-{len(batch)}.npy" if resume_dir else None
        if saved is not None and saved.exists():
            parts.append(np.load(saved))
        else:
            parts.append(model.encode(batch, batch_size=batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False))
            if saved is not None:
                saved.parent.mkdir(parents=True, exist_ok=True)
                tmp = saved.with_suffix(".tmp.npy")  # a part cut off mid-write is never read as whole
                np.save(tmp, parts[-1])
                os.replace(tmp, saved)
        if on_batch:
            on_batch(len(batch))
    dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else model.get_sentence_embedding_dimension()
    return np.vstack(parts).astype("float32") if parts else np.zeros((0, dim), "float32")


def chunk_text(c: Chunk) -> str:
    # the title carries the act and article number that questions name; the chunk body often does not
    return f"{c.title}\n{c.text}"


Ranked = list[tuple[int, float]]  # (chunk index, score), best first


class Retriever(Protocol):
    """What the arms and the selection need from any retrieval mode."""

    chunks: list[Chunk]

    def rank(self, queries: list[str], depth: int) -> list[Ranked]: ...

    def search(self, queries: list[str], k: int) -> list[list[Hit]]: ...

    def add(self, docs: list[Document], chunk_size: int, chunk_overlap: int) -> None: ...


def hits(chunks: list[Chunk], ranked: list[Ranked]) -> list[list[Hit]]:
    return [[Hit(chunks[j].doc_id, chunks[j].title, chunks[j].text, float(s)) for j, s in row] for row in ranked]


class DenseRetriever:
    """Cosine similarity of MiniLM (or any sentence-transformers) embeddings, searched in faiss (exact flat, or
    HNSW / IVF on large corpora: index.ann)."""

    name = "dense"

    def __init__(self, chunks: list[Chunk], index, embedder):
        self.chunks, self.index, self.embedder = chunks, index, embedder

    def rank(self, queries: list[str], depth: int) -> list[Ranked]:
        scores, ids = self.index.search(embed(self.embedder, queries), min(depth, len(self.chunks)))
        return [[(int(j), float(s)) for s, j in zip(srow, jrow) if j >= 0] for srow, jrow in zip(scores, ids)]

    def search(self, queries: list[str], k: int) -> list[list[Hit]]:
        return hits(self.chunks, self.rank(queries, k))

    def add(self, docs: list[Document], chunk_size: int, chunk_overlap: int) -> None:
        """Index more documents (e.g. ones published after a fine-tune) without a rebuild."""
        new = split_documents(docs, chunk_size, chunk_overlap)
        self.index.add(embed(self.embedder, [chunk_text(c) for c in new]))
        self.chunks += new


def index_key(docs: list[Document], chunk_size: int, chunk_overlap: int, embedder_name: str,
              index: dict | None = None) -> str:
    """`index`: the faiss index's kind and parameters, left out for flat so exact indexes keep their old keys."""
    parts = {"docs": [(d.id, stable_hash(d.text)) for d in docs], "chunk_size": chunk_size,
             "chunk_overlap": chunk_overlap, "embedder": embedder_name}
    return stable_hash({**parts, "index": index} if index else parts)


def build_or_load(docs: list[Document], chunk_size: int, chunk_overlap: int, embedder_name: str,
                  embedder_path: str, cache_dir: Path, device: str,
                  progress: Callable[[str, int], Callable[[int], None]] | None = None,
                  embedder=None, ann_settings=None) -> tuple[DenseRetriever, dict]:
    """Return a retriever and a description; reuses the cached index when nothing it depends on changed.
    `embedder`: an already loaded one (several chunk sizes share one model). `ann_settings`: the index kind and
    its knobs (a RetrievalConfig or alike, see index.ann); None keeps the exact flat index."""
    import faiss

    chunks = None
    if ann_settings is not None and ann_settings.index in ("auto", "ivf"):
        # the kind (auto) or the IVF list count follows the number of chunks, so split before keying
        chunks = split_documents(docs, chunk_size, chunk_overlap)
    kind = ann.index_kind_for(len(chunks) if chunks is not None else 0, ann_settings)
    built = ann.build_params(kind, len(chunks or ()), ann_settings)
    target = cache_dir / "index" / index_key(docs, chunk_size, chunk_overlap, embedder_name, built)
    # search-time knobs need no rebuild, but the answers depend on them, so they go into the reported key only
    key = index_key(docs, chunk_size, chunk_overlap, embedder_name,
                    built and {**built, **ann.search_params(kind, ann_settings)})
    embedder = embedder or load_embedder(embedder_path, device)
    if (target / "index.faiss").exists():
        chunks = [Chunk(**json.loads(line)) for line in open(target / "chunks.jsonl", encoding="utf-8")]
        index = ann.tune(faiss.read_index(str(target / "index.faiss")), ann_settings)
        cached = True
        build_s = json.loads((target / "build.json").read_text())["seconds"] if (target / "build.json").exists() else None
    else:
        t0 = time.perf_counter()
        chunks = chunks if chunks is not None else split_documents(docs, chunk_size, chunk_overlap)
        step = progress("embedding chunks", len(chunks)) if progress else None
        # vectors so far, if an earlier build was cut off; they depend on the chunks and embedder, not the index
        partial = cache_dir / "index" / f"{index_key(docs, chunk_size, chunk_overlap, embedder_name)}.partial"
        vecs = embed(embedder, [chunk_text(c) for c in chunks], on_batch=step, resume_dir=partial)
        index = ann.build_index(vecs, kind, ann_settings)  # vectors are normalised: inner product = cosine
        with atomic_dir(target) as tmp:
            faiss.write_index(index, str(tmp / "index.faiss"))
            with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
                for c in chunks:
                    f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
            build_s = round(time.perf_counter() - t0, 2)  # kept so a cached run can still price the index
            (tmp / "build.json").write_text(json.dumps({"seconds": build_s}))
        shutil.rmtree(partial, ignore_errors=True)
        cached = False
    info = {"key": key, "chunks": len(chunks), "embedder": embedder_name, "cached": cached, "path": str(target),
            "build_s": build_s, "index": kind, **({"factory": built["factory"]} if built else {})}
    return DenseRetriever(chunks, index, embedder), info

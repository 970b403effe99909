"""Stand-ins for the model and the index, for testing arms without loading either."""

from types import SimpleNamespace

import numpy as np

from rag_vs_ft.index.retriever import Chunk, hits


class EchoGenerator:
    """Answers each conversation with its last turn; records what it was sent."""

    def __init__(self):
        self.conversations = []

    def generate(self, conversations, on_batch=None, skip=frozenset(), on_done=None):
        self.conversations += conversations
        out = [None if i in skip else SimpleNamespace(text=f"echo: {c[-1]['content']}", latency_s=0.5,
                                                     prompt_tokens=10 * (i + 1), generated_tokens=3)
               for i, c in enumerate(conversations)]
        if on_batch:
            on_batch(len(conversations))
        if on_done:
            idx = [i for i in range(len(conversations)) if i not in skip]
            on_done(idx, [out[i] for i in idx])
        return out


class ListRetriever:
    """Ranks chunks in a fixed order for every query; records the (queries, k) it was asked."""

    name = "fixed"

    def __init__(self, chunks: list[Chunk], order: list[int] | None = None):
        self.chunks, self.order, self.calls = chunks, order or list(range(len(chunks))), []

    def rank(self, queries, depth):
        return [[(j, 1.0 - n / 10) for n, j in enumerate(self.order[:depth])] for _ in queries]

    def search(self, queries, k):
        self.calls.append((list(queries), k))
        return hits(self.chunks, self.rank(queries, k))


class BlindEmbedder:
    """An embedder that knows nothing (random unit vectors): a retrieval check must reject it."""

    def __init__(self, dim=384):
        self.rng, self.dim = np.random.default_rng(0), dim

    def encode(self, texts, **_):
        v = self.rng.normal(size=(len(texts), self.dim)).astype("float32")
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def get_embedding_dimension(self):
        return self.dim

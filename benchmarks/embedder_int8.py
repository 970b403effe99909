"""The embedder as int8 ONNX Runtime against PyTorch on the run's own index: embedding time of every grid chunk
size over the whole (train) corpus, and the dev questions' recall@k and MRR of every retrieval mode with each —
the full-corpus version of the check the run makes on a slice (index/quantized.py).

    HF_HUB_OFFLINE=1 python benchmarks/embedder_int8.py [key=value ...]     (e.g. domain=support)

Everything else is the run's pipeline (corpus, splits, dev evidence, chunking); no test question is read. Prints
seconds per chunk size and their ratio (>1: int8 is faster), then per mode and k the two metrics and their
difference. Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import faiss

from rag_vs_ft.config import load_config
from rag_vs_ft.index import quantized
from rag_vs_ft.index.metrics import mean_metrics
from rag_vs_ft.index.registry import make_retriever
from rag_vs_ft.index.retriever import DenseRetriever, chunk_text, embed, load_embedder, split_documents
from rag_vs_ft.models.resolve import embedder_path
from rag_vs_ft.pipeline import check_before_compute, corpus_stage
from rag_vs_ft.ui import UI


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    cfg = load_config(["domain=legal", *args.overrides])
    run = check_before_compute(cfg, UI(quiet=True))
    corpus = corpus_stage(run)
    rc = cfg.retrieval
    dev = [(q, g) for q, g in corpus.plan.dev_evidence() if g]
    st = load_embedder(embedder_path(rc.embedder), "cpu")
    t0 = time.perf_counter()
    int8 = quantized.load_int8(st, Path(tempfile.mkdtemp()), rc.embedder)
    print(f"{cfg.domain}: {len(corpus.train_docs)} documents, {len(dev)} answerable dev questions; "
          f"int8 export + quantisation {time.perf_counter() - t0:.1f} s")
    ks = sorted(set(rc.grid_top_k))
    worst = 0.0
    for size in dict.fromkeys(rc.grid_chunk_size):
        chunks = split_documents(corpus.train_docs, size, rc.chunk_overlap)
        texts = [chunk_text(c) for c in chunks]
        seconds, retrievers = {}, {}
        for name, model in (("torch", st), ("int8", int8)):
            t0 = time.perf_counter()
            vecs = embed(model, texts)
            seconds[name] = time.perf_counter() - t0
            index = faiss.IndexFlatIP(vecs.shape[1])
            index.add(vecs)
            retrievers[name] = DenseRetriever(chunks, index, model)
        print(f"\nchunk {size}: {len(chunks)} chunks, torch {seconds['torch']:.1f} s, int8 {seconds['int8']:.1f} s "
              f"({seconds['torch'] / seconds['int8']:.2f}x)")
        print(f"{'mode':<8}{'k':>3}{'recall torch':>14}{'int8':>7}{'MRR torch':>11}{'int8':>7}{'max |diff|':>12}")
        for mode in rc.grid_modes:
            ranked = {}
            for name, dense in retrievers.items():
                r = make_retriever(mode, dense)
                ranked[name] = [[r.chunks[j].doc_id for j, _ in row] for row in r.rank([q for q, _ in dev], max(ks))]
            for k in ks:
                m = {n: mean_metrics(ranked[n], [g for _, g in dev], k) for n in ranked}
                diff = max(abs(m["torch"][x] - m["int8"][x]) for x in ("recall", "mrr"))
                worst = max(worst, diff)
                print(f"{mode:<8}{k:>3}{m['torch']['recall']:>14.3f}{m['int8']['recall']:>7.3f}"
                      f"{m['torch']['mrr']:>11.3f}{m['int8']['mrr']:>7.3f}{diff:>12.3f}")
    print(f"\nlargest difference {worst:.3f} (tolerance {quantized.TOLERANCE}): "
          f"{'within' if worst <= quantized.TOLERANCE else 'OUTSIDE'}")


if __name__ == "__main__":
    main()

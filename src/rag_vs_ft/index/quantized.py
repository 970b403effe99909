"""The embedder as an int8 ONNX Runtime model on a CPU: about 2x the chunks a second of the PyTorch path, used
only where the run has checked that it ranks the dev questions' evidence as well.

Why not sentence-transformers' own `backend="onnx"`: it needs optimum, whose releases pin transformers below the
version this project runs on. So the export is torch's (`torch.onnx.export`), the quantisation ONNX Runtime's
(`quantize_dynamic`, int8 weights per output channel, MatMul only: quantising everything else, or per tensor,
measured a mean cosine of 0.954 to the fp32 vectors on legal chunks, per channel 0.994), and what is left here is
tokenise → run → pool → normalise, the three sentence-transformers modules this supports.

The check (`agreement`), once the int8 index of the smallest chunk size is built: the retrieval grid (every mode x
top_k) on the dev questions, with each embedder ranking the same candidates (the int8 index's and BM25's best for
each question; PyTorch embeds only those); int8 stays when, at PyTorch's pick, recall@k and MRR drop by at most
`TOLERANCE`. One-sided: with ~40 dev questions one question moves a metric by ~0.025, so a two-sided test fails
an int8 model for retrieving one question better (seen on legal on an AVX2 CPU), and that costs a second index.
Not the whole corpus again in PyTorch: that would cost the embedding the int8 model saves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from rag_vs_ft.store import atomic_write_json

TOLERANCE = 0.01  # dev recall@k and MRR may drop this much at most
POOL = 20  # candidates per dev question and ranking (int8, BM25) the check re-embeds with PyTorch
BACKEND = "onnx-int8"


def supported(st_model) -> str | None:
    """Why `st_model` cannot run as int8 ONNX here, or None when it can."""
    try:
        names = [type(m).__name__ for m in st_model]
    except TypeError:
        return "not a sentence-transformers model"
    if names[:2] != ["Transformer", "Pooling"] or any(n != "Normalize" for n in names[2:]):
        return f"modules {names}: only Transformer + Pooling (+ Normalize) export"
    if st_model[1].get_config_dict().get("pooling_mode") not in ("mean", "cls"):
        return f"pooling {st_model[1].get_config_dict().get('pooling_mode')}: only mean or cls"
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "onnxruntime is not installed"
    return None


class OnnxEmbedder:
    """What `index.retriever.embed` and the semantic-similarity metric call on a sentence-transformers model."""

    def __init__(self, model_file: Path, tokenizer, max_seq_length: int, pooling: str, dim: int, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])
        # ORT's arena keeps its peak for the session's life: after embedding a corpus in batches of 64, 1.75 GB
        # (measured) resident through the fine-tunes. Shrinking it after every batch cost 1.28x; after the last
        # batch of each call, nothing measurable.
        self.shrink = ort.RunOptions()
        self.shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer, self.max_seq_length, self.pooling, self.dim = tokenizer, max_seq_length, pooling, dim

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts: list[str], batch_size: int = 64, normalize_embeddings: bool = True,
               convert_to_numpy: bool = True, show_progress_bar: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # like encode: similar lengths pad less
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_seq_length, return_tensors="np")
            last = start + batch_size >= len(texts)
            hidden = self.session.run(None, {n: enc[n].astype(np.int64) for n in self.inputs},
                                      self.shrink if last else None)[0]
            if self.pooling == "cls":
                vecs = hidden[:, 0]
            else:
                mask = enc["attention_mask"][..., None].astype(np.float32)
                vecs = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            if normalize_embeddings:
                vecs = vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
            out[idx] = vecs
        return out


def export_int8(st_model, target: Path) -> Path:
    """The int8 model file, exported once into `target` (the caller keys the folder by the embedder)."""
    model_file = target / "model-int8.onnx"
    if model_file.exists():
        return model_file
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    hf = st_model[0].auto_model.eval()
    names = list(st_model.tokenizer.model_input_names)

    class _Hidden(torch.nn.Module):  # keyword inputs: the model's positional order differs across versions
        def __init__(self):
            super().__init__()
            self.hf = hf

        def forward(self, *args):
            return self.hf(**dict(zip(names, args))).last_hidden_state

    enc = st_model.tokenizer(["a b", "a"], padding=True, return_tensors="pt")
    target.mkdir(parents=True, exist_ok=True)
    fp32 = target / f"model-{os.getpid()}.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's notes on traced control flow
        torch.onnx.export(_Hidden(), tuple(enc[n] for n in names), str(fp32), input_names=names,
                          output_names=["hidden"], dynamo=False, opset_version=17,
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]})
    tmp = target / f"model-int8-{os.getpid()}.onnx"
    logging.disable(logging.WARNING)  # its advice to pre-process (shape inference) is for static quantisation
    try:
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    finally:
        logging.disable(logging.NOTSET)
    fp32.unlink()
    os.replace(tmp, model_file)  # a cut-off export is never taken for a whole one
    return model_file


def load_int8(st_model, cache_dir: Path, embedder_id: str) -> OnnxEmbedder:
    import onnxruntime
    import torch

    key = hashlib.sha256(f"{embedder_id}|ort {onnxruntime.__version__}|torch {torch.__version__}".encode()).hexdigest()[:16]
    model_file = export_int8(st_model, cache_dir / "embedders" / key)
    return OnnxEmbedder(model_file, st_model.tokenizer, st_model.max_seq_length,
                        st_model[1].get_config_dict()["pooling_mode"], st_model.get_embedding_dimension(),
                        torch.get_num_threads())


class _Pooled:
    """A dense retriever over precomputed rankings: each dev question's candidate pool, ordered by one embedder."""

    def __init__(self, chunks, rankings: dict[str, list[tuple[int, float]]]):
        self.chunks, self.rankings = chunks, rankings

    def rank(self, queries: list[str], depth: int):
        return [self.rankings[q][:depth] for q in queries]


def agreement(reference, dense, dev: list[tuple[str, set[str]]], modes: list[str], ks: list[int],
              cache_file: Path | None = None) -> dict:
    """The grid (modes x ks) on the dev questions with `dense` (the int8 index) and with `reference` (PyTorch)
    ranking the same candidates: for each question, the `POOL` best chunks of the int8 index and of BM25. Only
    those are embedded again, so the check costs a fraction of a PyTorch index; a chunk PyTorch would rank high
    that neither ranked in its `POOL` best is the approximation. int8 passes when, at PyTorch's pick, recall@k and
    MRR drop by at most TOLERANCE (whether it picks the same setting is reported: ties may break either way)."""
    from rag_vs_ft.index.bm25 import Bm25Retriever
    from rag_vs_ft.index.registry import make_retriever
    from rag_vs_ft.index.retriever import chunk_text, embed
    from rag_vs_ft.index.select import choose, score_grid

    if cache_file is not None and cache_file.exists():
        return json.loads(cache_file.read_text())
    queries, chunks = [q for q, _ in dev], dense.chunks
    pools = [sorted({j for j, _ in a} | {j for j, _ in b})
             for a, b in zip(dense.rank(queries, POOL), Bm25Retriever(chunks).rank(queries, POOL))]
    need = sorted(set().union(*pools))
    row_of = {j: i for i, j in enumerate(need)}
    texts = [chunk_text(chunks[j]) for j in need]
    grids, picks = {}, {}
    for name, model in (("reference", reference), ("candidate", dense.embedder)):
        cv, qv = embed(model, texts), embed(model, queries)
        rankings = {}
        for q, pool, v in zip(queries, pools, qv):
            scores = cv[[row_of[j] for j in pool]] @ v
            rankings[q] = sorted(zip(pool, map(float, scores)), key=lambda t: -t[1])
        rows = score_grid({0: _Pooled(chunks, rankings)}, dev, modes, ks, make_retriever)
        grids[name], picks[name] = {(r.mode, r.top_k): r for r in rows}, choose(rows)
    at = (picks["reference"].mode, picks["reference"].top_k)
    ref, cand = grids["reference"][at], grids["candidate"][at]
    worst = max(abs(ref.recall - cand.recall), abs(ref.mrr - cand.mrr))
    loss = max(ref.recall - cand.recall, ref.mrr - cand.mrr, 0.0)
    out = {"setting": {"mode": at[0], "top_k": at[1]},
           "reference": {"recall": ref.recall, "mrr": ref.mrr}, "candidate": {"recall": cand.recall, "mrr": cand.mrr},
           "candidate_pick": {"mode": picks["candidate"].mode, "top_k": picks["candidate"].top_k},
           "same_setting": (picks["candidate"].mode, picks["candidate"].top_k) == at,
           "max_difference": round(worst, 4), "loss": round(loss, 4), "tolerance": TOLERANCE,
           "passed": loss <= TOLERANCE,
           "questions": len(dev), "chunks_embedded": len(need), "chunks": len(chunks)}
    if cache_file is not None:
        atomic_write_json(cache_file, out)
    return out

"""Which model embeds the index: PyTorch (sentence-transformers), or on a CPU the int8 ONNX export
(`index.quantized`), about twice as fast, kept only when the dev check says it retrieves as well.

`retrieval.embedder_backend`: `torch`, `onnx-int8` (forced, no check), or `auto`: int8 on a CPU, pending the check
that `confirm` makes once the first index is built; PyTorch on a GPU, for a model that cannot export, or with
too few dev questions to check on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag_vs_ft.config import RetrievalConfig
from rag_vs_ft.index import quantized
from rag_vs_ft.index.retriever import load_embedder
from rag_vs_ft.index.select import MIN_DEV_QUESTIONS
from rag_vs_ft.store import stable_hash


@dataclass
class Embedder:
    model: object  # what index.retriever.embed calls
    name: str  # in the index keys: another backend, other vectors, another index
    info: dict  # what the report says: backend, reason, the check
    reference: object | None = None  # the PyTorch model while int8 awaits its check
    torch_name: str = ""  # its index name, should the check send the run back to it


def open_embedder(rc: RetrievalConfig, dev: list[tuple[str, set[str]]], embedder_path: str, embedder_id: str,
                  cache_dir: Path, device: str) -> Embedder:
    st = load_embedder(embedder_path, device)
    if rc.embedder_backend == "torch" or (rc.embedder_backend == "auto" and device != "cpu"):
        why = "set by retrieval.embedder_backend" if rc.embedder_backend == "torch" else f"auto on {device}"
        return Embedder(st, embedder_id, {"backend": "torch", "reason": why})
    unsupported = quantized.supported(st)
    if unsupported and rc.embedder_backend == quantized.BACKEND:
        raise ValueError(f"retrieval.embedder_backend={quantized.BACKEND} is not possible for {embedder_id}: "
                         f"{unsupported}")
    if unsupported:
        return Embedder(st, embedder_id, {"backend": "torch", "reason": f"auto: {unsupported}"})
    answerable = [q for q, g in dev if g]
    if rc.embedder_backend == "auto" and len(answerable) < MIN_DEV_QUESTIONS:  # before the export: nothing to gain
        return Embedder(st, embedder_id, {"backend": "torch", "reason": f"auto: {len(answerable)} answerable dev "
                                          "questions are too few to check the int8 model on"})
    int8 = quantized.load_int8(st, cache_dir, embedder_id)
    name = f"{embedder_id}+{quantized.BACKEND}"
    if rc.embedder_backend == quantized.BACKEND:
        return Embedder(int8, name, {"backend": quantized.BACKEND, "reason": "set by retrieval.embedder_backend"})
    return Embedder(int8, name, {"backend": quantized.BACKEND, "reason": "auto: pending the dev check"}, st,
                    embedder_id)


def confirm(emb: Embedder, rc: RetrievalConfig, dense, dev: list[tuple[str, set[str]]], index_key: str,
            cache_dir: Path) -> Embedder:
    """`emb` with its check made on `dense` (its first index): still int8 when it passed, else PyTorch."""
    if emb.reference is None:
        return emb
    dev = [(q, g) for q, g in dev if g]
    # the settings the run can end with: the grid's modes and ks, or the fixed ones
    modes, ks = (list(rc.grid_modes), sorted(set(rc.grid_top_k))) if rc.mode == "auto" else ([rc.mode], [rc.top_k])
    key = stable_hash({"index": index_key, "dev": dev, "modes": modes, "ks": ks, "pool": quantized.POOL,
                       "rule": "loss"})  # a check cached under the two-sided rule says nothing of this one
    check = quantized.agreement(emb.reference, dense, dev, modes, ks, cache_dir / "index" / f"embedder-check-{key}.json")
    at, ref, cand = check["setting"], check["reference"], check["candidate"]
    verdict = (f"at PyTorch's pick on {check['questions']} dev questions ({at['mode']}, top_k {at['top_k']}), "
               f"recall@k {ref['recall']:.3f} → {cand['recall']:.3f}, MRR {ref['mrr']:.3f} → {cand['mrr']:.3f}: "
               f"{'a loss within' if check['passed'] else 'a loss beyond'} {quantized.TOLERANCE}")
    if check["passed"]:
        return Embedder(emb.model, emb.name, {"backend": quantized.BACKEND, "reason": f"auto: {verdict}",
                                              "check": check})
    return Embedder(emb.reference, emb.torch_name, {"backend": "torch", "reason": f"auto: int8 {verdict}",
                                                    "check": check})

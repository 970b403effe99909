"""A PEFT LoRA adapter as a GGUF LoRA, so llama.cpp's server can serve a tuned arm on the base model's GGUF.

The format (read in llama.cpp's adapter loader and its HF converter): `general.type=adapter`,
`adapter.type=lora`, `adapter.lora.alpha`; for every adapted base tensor two tensors named after it with
`.lora_a` (PEFT's lora_A, [r, in]) and `.lora_b` (lora_B, [out, r]); llama.cpp scales the product by alpha / r,
as PEFT does. One trap: converting a llama-architecture model to GGUF permutes the rows of the q and k
projections (rotary embedding layout), and transformers undoes it when loading a GGUF. The adapter was trained
on the un-permuted weights, so its q/k lora_B rows must get the same permutation, or it loads and silently
answers wrong (tests/models/test_gguf_lora.py shows the difference).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from rag_vs_ft.models.resolve import ModelError

GGUF_NAME = "adapter.gguf"
_PEFT = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<half>[AB])(?:\.default)?\.weight$")


class AdapterConversionError(ModelError):
    """The adapter cannot be expressed on the base GGUF; one line."""


def gguf_rope_permute(rows: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder the rows of a q or k projection as llama.cpp's converter does: within each head, the two rotary
    halves are interleaved. Inverse of transformers' `_reverse_permute_weights`."""
    dim = rows.shape[0] // n_head // 2
    return rows.reshape(n_head, 2, dim, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def _base_facts(base_gguf: Path) -> tuple[str, int, int, int]:
    from gguf import GGUFReader

    fields = GGUFReader(str(base_gguf)).fields

    def value(key: str):
        f = fields[key]
        part = f.parts[f.data[0]]
        return bytes(part).decode() if part.dtype == np.uint8 else int(part[0])

    arch = value("general.architecture")
    return arch, value(f"{arch}.block_count"), value(f"{arch}.attention.head_count"), \
        value(f"{arch}.attention.head_count_kv")


def gguf_tensors(adapter_dir: Path, base_gguf: Path, permute: bool = True) -> tuple[str, float, dict[str, np.ndarray]]:
    """(architecture, alpha, GGUF tensor name -> array) for the adapter in `adapter_dir` (PEFT format).
    `permute=False` skips the q/k permutation: only the tests use it, to show what it prevents."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    arch, blocks, n_head, n_head_kv = _base_facts(base_gguf)
    names = gguf.get_tensor_name_map(next(a for a, n in gguf.MODEL_ARCH_NAMES.items() if n == arch), blocks)
    out: dict[str, np.ndarray] = {}
    for key, array in load_file(str(adapter_dir / "adapter_model.safetensors")).items():
        m = _PEFT.match(key)
        target = m and names.get_name(m["module"] + ".weight", try_suffixes=(".weight",))
        if not target or target.startswith(("token_embd", "output.")):
            raise AdapterConversionError(f"adapter tensor {key} has no place on the base GGUF (embedding, lm_head "
                                         "and unknown modules cannot be served as a LoRA)")
        array = array.astype(np.float32)
        if permute and m["half"] == "B" and arch == "llama" and ".attn_q." in target:
            array = gguf_rope_permute(array, n_head)
        elif permute and m["half"] == "B" and arch == "llama" and ".attn_k." in target:
            array = gguf_rope_permute(array, n_head_kv)
        out[f"{target}.lora_{m['half'].lower()}"] = array
    return arch, float(config.get("lora_alpha") or config["r"]), out


def convert_adapter(adapter_dir: Path, base_gguf: Path, permute: bool = True) -> Path:
    """Write `adapter_dir/adapter.gguf` (kept while newer than the PEFT weights) and return its path."""
    import gguf

    target = adapter_dir / GGUF_NAME
    source = adapter_dir / "adapter_model.safetensors"
    if not source.exists():
        raise AdapterConversionError(f"no PEFT adapter in {adapter_dir} (adapter_model.safetensors missing)")
    if permute and target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    arch, alpha, tensors = gguf_tensors(adapter_dir, base_gguf, permute)
    partial = target.with_suffix(".partial")
    writer = gguf.GGUFWriter(str(partial), arch)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    for name, array in sorted(tensors.items()):
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    out = target if permute else adapter_dir / "adapter-unpermuted.gguf"
    partial.replace(out)  # a crash mid-write never leaves a half adapter under the served name
    return out

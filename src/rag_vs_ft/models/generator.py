"""Batched, greedy chat generation with per-answer timings and token counts.

`Generator` is the one seam between the arms and a model: chat conversations in, generations out. Arms only
ever call `generate`, and `open_generator` is the one place a backend is chosen (a registered module in
models/backends/), so a served model (an OpenAI-compatible endpoint, vLLM) can replace the in-process one without
touching any arm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import torch

Messages = list[dict[str, str]]


@dataclass
class Generation:
    text: str
    latency_s: float  # wall time of the answer's batch divided by the batch size (amortised)
    prompt_tokens: int
    generated_tokens: int


BatchDone = Callable[[list[int], list[Generation]], None]  # (conversation indices, their generations)


class Generator(Protocol):
    def generate(self, conversations: list[Messages], on_batch: Callable[[int], None] | None = None,
                 skip: set[int] = frozenset(), on_done: BatchDone | None = None) -> list[Generation | None]:
        """Generations in input order. The batches are planned over all `conversations`, so a batch always holds
        the same conversations whatever was done before; a batch whose members are all in `skip` (answered by an
        interrupted earlier run) is not generated and its entries stay None. `on_done` gets each finished batch,
        for the caller to save it at once."""
        ...


def pick_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(name: str, device: str) -> torch.dtype:
    if name == "fp32":
        return torch.float32
    if name == "fp16":
        return torch.float16
    if name == "bf16":
        return torch.bfloat16
    if device == "cuda":  # auto
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_fast_bf16() else torch.float32


def dtype_name(dtype: torch.dtype) -> str:
    """torch's name of a dtype without the module prefix ("bfloat16"): how run.json, cache keys and budgets say it."""
    return str(dtype).replace("torch.", "")


def cpu_has_fast_bf16() -> bool:
    """bf16 pays off on CPU only with native bf16 matmul (AVX512-BF16 or AMX); without it, measured here on
    an AVX512 Xeon, bf16 generation ran at 0.5-0.7x and training at ~0.5x the fp32 speed."""
    try:
        flags = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def load_tokenizer(path: str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def open_generator(path: str, dtype: torch.dtype, device: str, max_new_tokens: int, batch_size: int,
                   trust_remote_code: bool = False, adapter_dir: str | None = None, backend: str = "hf",
                   settings=None) -> Generator:
    """The generator every stage answers with: the model at `path` (with the adapter) on the registered
    `backend` (models/backends/). `settings`: the run's ModelConfig, where a backend reads its own keys (a
    server's URL, how adapters are addressed)."""
    from rag_vs_ft.models.backends.registry import GeneratorRequest, backend_named

    return backend_named(backend).open(GeneratorRequest(path, dtype, device, max_new_tokens, batch_size,
                                                        trust_remote_code, adapter_dir, settings))

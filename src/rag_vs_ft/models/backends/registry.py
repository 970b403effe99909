"""Every generator backend, registered in one place: a backend opens a `Generator` (chat conversations in,
generations out) for a base model and, for a tuned arm, its LoRA adapter. `model.backend` names the one a run
answers with; the arms never know which it is.

A backend module in this package ends with `register(Backend(...))`; `registered()` imports every module here
(and the modules named in RAG_VS_FT_BACKENDS, comma-separated, for backends kept outside it), so a new engine — an
OpenAI-compatible server, vLLM — is one module and its test, with no edit anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from rag_vs_ft.config import ConfigError, ModelConfig
from rag_vs_ft.models.generator import Generator
from rag_vs_ft.plugins import Registry


@dataclass(frozen=True)
class GeneratorRequest:
    path: str  # the base model: a local directory (or what the backend serves it as)
    dtype: torch.dtype
    device: str
    max_new_tokens: int
    batch_size: int
    trust_remote_code: bool = False
    adapter_dir: str | None = None  # a tuned arm's LoRA adapter (PEFT format)
    settings: ModelConfig | None = None  # the run's model keys (a served backend's URL, how adapters are chosen)


@dataclass(frozen=True)
class Backend:
    name: str
    summary: str  # one line for docs and errors
    open: Callable[[GeneratorRequest], Generator]


_BACKENDS: Registry[Backend] = Registry("generator backend", "rag_vs_ft.models.backends", "RAG_VS_FT_BACKENDS")


def register(backend: Backend) -> Backend:
    return _BACKENDS.register(backend.name, backend)


def registered() -> dict[str, Backend]:
    return dict(sorted(_BACKENDS.items().items()))


def backend_named(name: str) -> Backend:
    """The registered backend; an unknown name is a one-line config error."""
    known = registered()
    if name not in known:
        raise ConfigError(f"model.backend: unknown generator backend {name!r}; choose from {', '.join(known)}")
    return known[name]

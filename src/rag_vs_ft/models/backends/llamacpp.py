"""The `llamacpp` backend: llama.cpp's HTTP server (the prebuilt `xllamacpp` wheel), started by the run itself on
the base model's GGUF, with every tuned arm's adapter converted to a GGUF LoRA and served by it, never merged
here. The arms answer through it exactly as through any OpenAI-compatible server (the `openai` backend's
client, llama.cpp's per-request adapter scales), so a run is a served deployment without a server to set up.

One server lives for the whole run; an arm whose adapter it does not hold yet restarts it with every adapter
seen so far (the default run: three starts of a second or two). On a CPU it is slower than the `hf` backend
(README: 0.32 against 1.40 answers/s in bf16): it stands in for a served deployment, it does not speed one up.
"""

from __future__ import annotations

import atexit
from pathlib import Path

from rag_vs_ft.config import EMBEDDED_LLM, ModelConfig
from rag_vs_ft.models.backends.openai import ServedGenerator, ServedModelError, open_served
from rag_vs_ft.models.backends.registry import Backend, GeneratorRequest, register

SLOTS = 4  # requests the server decodes together; more slots only split its context further on 2 cores
SLOT_CONTEXT = 2048  # tokens per slot: a RAG prompt of eight 1,000-character chunks and its answer fit


class _Managed:
    """The run's one llama.cpp server and the adapters it holds."""

    server = None
    adapters: tuple[str, ...] = ()


def base_gguf(settings: ModelConfig) -> Path:
    if settings.name != EMBEDDED_LLM:
        raise ServedModelError(f"model.backend=llamacpp serves the embedded model's GGUF only, not "
                               f"{settings.name!r}: serve that model yourself and use model.backend=openai")
    from rag_vs_ft.models.resolve import embedded_gguf

    return embedded_gguf()


def server_for(gguf: Path, adapter: str | None):
    """The running server if it holds `adapter`, else a new one holding it and every adapter before it."""
    from rag_vs_ft.models.llamacpp import start_server

    wanted = tuple(sorted({*_Managed.adapters, *([adapter] if adapter else [])}))
    if _Managed.server is None or wanted != _Managed.adapters:
        stop_server()
        _Managed.server = start_server(gguf, [Path(a) for a in wanted], n_parallel=SLOTS,
                                       ctx_size=SLOTS * SLOT_CONTEXT)
        _Managed.adapters = wanted
    return _Managed.server


def stop_server() -> None:
    if _Managed.server is not None:
        _Managed.server.close()
        _Managed.server, _Managed.adapters = None, ()


atexit.register(stop_server)


def open_managed(req: GeneratorRequest) -> ServedGenerator:
    from rag_vs_ft.models.gguf_lora import convert_adapter

    settings = req.settings or ModelConfig(backend="llamacpp")
    gguf = base_gguf(settings)
    adapter = str(convert_adapter(Path(req.adapter_dir), gguf).resolve()) if req.adapter_dir else None
    server = server_for(gguf, adapter)
    served = settings.model_copy(update={"lora": "llamacpp", "base_url": server.base_url})
    return open_served(GeneratorRequest(req.path, req.dtype, req.device, req.max_new_tokens, req.batch_size,
                                        req.trust_remote_code, req.adapter_dir, served))


register(Backend("llamacpp", "llama.cpp's server (xllamacpp) started by the run on the embedded GGUF, with the "
                 "tuned arms' adapters as GGUF LoRA", open_managed))

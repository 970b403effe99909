"""llama.cpp's HTTP server in this process, through the prebuilt `xllamacpp` wheel (no compiler): a GGUF base
model, GGUF LoRA adapters loaded at scale 0 (`lora_init_without_apply`, so a request chooses its adapter by id),
bound to 127.0.0.1 only. Facts read off the wheel: `xlc.Server(params)` starts listening at once and
`listening_address` is its URL; the server's context (`n_ctx`) is split evenly over its `n_parallel` slots;
dropping the last reference stops it.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path


class LlamaServer:
    def __init__(self, server, adapters: list[Path]):
        self._server = server
        address = server.listening_address
        self.root = address if address.startswith("http") else f"http://{address}"
        self.base_url = self.root.rstrip("/") + "/v1"
        self.adapter_ids = {str(p): i for i, p in enumerate(adapters)}

    def close(self) -> None:
        if self._server is not None:
            self._server = None
            gc.collect()  # the wheel stops the server when the object is freed

    def __enter__(self) -> "LlamaServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_server(base_gguf: Path, adapters: list[Path], n_parallel: int = 1, ctx_size: int = 4096,
                 threads: int | None = None, port: int = 0) -> LlamaServer:
    """A running server (port 0: a free one) that answers /health; raises ModelError if it cannot start."""
    import httpx
    import xllamacpp as xlc

    from rag_vs_ft.models.resolve import ModelError

    params = xlc.CommonParams()
    params.model.path = str(base_gguf)
    params.hostnames = ["127.0.0.1"]  # never reachable from outside this machine
    params.port = port
    params.n_parallel, params.n_ctx = n_parallel, ctx_size
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads or os.cpu_count() or 1
    params.warmup = False
    params.verbosity = -1  # its per-request timing lines would drown the run's progress display
    params.lora_init_without_apply = True
    infos = []
    for path in adapters:
        info = xlc.CommonAdapterLoraInfo()
        info.path, info.scale = str(path), 0.0
        infos.append(info)
    params.lora_adapters = infos
    try:
        server = LlamaServer(xlc.Server(params), adapters)
    except Exception as exc:  # noqa: BLE001 - the wheel raises plain RuntimeErrors
        raise ModelError(f"llama.cpp's server did not start on {base_gguf.name}: {exc}") from None
    for _ in range(100):
        try:
            if httpx.get(server.root + "/health", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.close()
    raise ModelError("llama.cpp's server started but never answered /health")
